"""The dashboard workbook: Executive, Controller and Frontline views with native Excel charts.

Written with openpyxl (normal mode: charts, merged tiles, data validation). Frontline looks its
figures up on the Data sheet with INDEX/MATCH (no XLOOKUP: LibreOffice 7.4 lacks it), so choosing
another cost center in its list updates the snapshot and its chart. Every view carries a lineage
block: the control workbook, the locked plan version and hash, the actuals files, refresh time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..engine.dashboard_figures import (
    MAX_FRONTLINE_ACTIONS,
    SCOPES,
    SNAPSHOT_METRICS,
    STAFF_METRICS,
    DashboardData,
    frontline_actions,
)
from ..engine.variance_split import ACCURACY_BAND, EFFECTS
from . import styles
from .fileio import atomic_save

EXECUTIVE, CONTROLLER, FRONTLINE, DATA, LINEAGE = (
    "Executive", "Controller", "Frontline", "Data", "Lineage",
)  # fmt: skip
MONEY = "#,##0;[Red]-#,##0"
PCT = "0.0%"
TILE_FILL = PatternFill("solid", fgColor="EEF3FA")
TILE_VALUE = Font(name="Calibri", size=20, bold=True, color=styles.NAVY)
TILE_LABEL = Font(name="Calibri", size=9, bold=True, color="595959")
TILE_NOTE = Font(name="Calibri", size=9, color="595959")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _title(ws: Worksheet, title: str, data: DashboardData, width: int) -> int:
    """Title, subtitle and the lineage lines; returns the next free row."""
    ws.sheet_view.showGridLines = False
    ws["A1"] = title
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color=styles.NAVY)
    ws["A2"] = (
        f"{data.system_name} - month {data.month} and year to date - refreshed {data.refreshed}"
    )
    ws["A2"].font = styles.BOLD_FONT
    row = 3
    chars = sum(ws.column_dimensions[get_column_letter(c)].width for c in range(1, width + 1))
    for line in data.lineage:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = ws.cell(row, 1, line)
        cell.font, cell.alignment = styles.NOTE_FONT, styles.WRAP
        ws.row_dimensions[row].height = 12 * (1 + int(len(line) * 0.95 // chars))
        row += 1
    for col in range(1, width + 1):
        ws.cell(row, col).border = styles.TOP_RULE
    return row + 1


def _table(
    ws: Worksheet,
    row: int,
    col: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    formats: Sequence[str | None],
    title: str = "",
    span_to: int = 0,
) -> tuple[int, int]:
    """A styled table; returns (header row, last data row). `span_to`: the last column widens
    (merged) to this column."""
    if title:
        ws.cell(row, col, title).font = styles.BLOCK_FONT
        row += 1
    for j, h in enumerate(headers):
        c = ws.cell(row, col + j, h)
        c.font, c.fill, c.alignment, c.border = (
            styles.HEADER_FONT, styles.HEADER_FILL, styles.HEADER_ALIGN, styles.GRID,
        )  # fmt: skip
    for i, values in enumerate(rows, 1):
        for j, v in enumerate(values):
            c = ws.cell(row + i, col + j, None if pd.isna(v) else v)
            c.font, c.border = styles.BODY_FONT, styles.GRID
            if formats[j]:
                c.number_format = formats[j]
    if span_to > col + len(headers) - 1:
        last = col + len(headers) - 1
        for r in range(row, row + len(rows) + 1):
            ws.merge_cells(start_row=r, start_column=last, end_row=r, end_column=span_to)
    return row, row + len(rows)


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _page(ws: Worksheet, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = f"{ws.title} - page &P of &N"


def _chart(chart, title: str, y_title: str, number_format: str, width: float = 16,
           height: float = 7.5):  # fmt: skip
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.number_format = number_format
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default grid
    chart.x_axis.delete = False
    chart.x_axis.tickLblPos = "low"  # category labels outside the plot, even with negatives
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = width, height
    return chart


def _series(chart, ws: Worksheet, header: int, last: int, cols: Sequence[int], cat_col: int):
    for c in cols:
        chart.add_data(
            Reference(ws, min_col=c, min_row=header, max_row=last), titles_from_data=True
        )
    chart.set_categories(Reference(ws, min_col=cat_col, min_row=header + 1, max_row=last))
    return chart


def _tile(
    ws: Worksheet, row: int, col: int, label: str, value: object, fmt: str, note: str
) -> None:
    for r, (v, font) in enumerate(((label, TILE_LABEL), (value, TILE_VALUE), (note, TILE_NOTE))):
        ws.merge_cells(start_row=row + r, start_column=col, end_row=row + r, end_column=col + 1)
        c = ws.cell(row + r, col, v)
        c.font, c.alignment = font, CENTER
        for k in (col, col + 1):
            ws.cell(row + r, k).fill = TILE_FILL
        if r == 1:
            c.number_format = fmt
    ws.row_dimensions[row + 1].height = 30
    ws.row_dimensions[row + 2].height = 26


def executive(wb: Workbook, data: DashboardData) -> None:
    ws = wb.create_sheet(EXECUTIVE)
    _widths(ws, [15] * 10 + [3, 15, 15])
    row = _title(ws, "Executive view: the shared KPIs", data, 13)
    m, y = data.indicators
    n_open = int((data.actions.status == "open").sum()) if len(data.actions) else 0
    levels = (
        data.actions[data.actions.status == "open"].escalated_to.value_counts()
        if n_open else pd.Series(dtype=int)
    )  # fmt: skip
    tiles = (
        ("Operating margin (YTD)", y.margin_pct[2], "0.00%",
         f"plan {y.margin_pct[0]:.2%}; month {m.margin_pct[2]:.2%}"),
        ("Labor cost per UOS (YTD)", y.labor_index, PCT,
         f"of plan at actual volume; month {m.labor_index:.1%}"),
        ("Throughput vs target (YTD)", y.throughput, PCT,
         f"{y.at_target[0]} of {y.at_target[1]} cost centers at target"),
        ("Forecast accuracy (YTD)", y.accuracy, "0%",
         f"core items within {ACCURACY_BAND:.0%}; month {m.accuracy:.0%}"),
        ("Open actions", n_open, "0",
         "; ".join(f"{n} {role}" for role, n in levels.items()) or "none open"),
    )  # fmt: skip
    for k, (label, value, fmt, note) in enumerate(tiles):
        _tile(ws, row, 1 + 2 * k, label, value, fmt, note)
    row += 4
    t = data.trend
    header, last = _table(
        ws, row, 1,
        ["Month", "Margin % plan", "Margin % actual", "Labor cost / UOS, % of plan",
         "Throughput, % of target", "Forecast accuracy", "Triggers"],
        t[["month", "margin_plan", "margin_actual", "labor_index", "throughput", "accuracy",
           "triggers"]].values.tolist(),
        [None, "0.00%", "0.00%", PCT, PCT, "0%", "0"], title="Month by month",
    )  # fmt: skip
    ws.row_dimensions[header].height = 30
    margin = _series(LineChart(), ws, header, last, [2, 3], 1)
    ws.add_chart(_chart(margin, "Operating margin %", "", "0.0%", 14.5), f"A{last + 2}")
    kpis = _series(BarChart(), ws, header, last, [4, 5, 6], 1)
    ws.add_chart(_chart(kpis, "Labor, throughput, accuracy", "", "0%", 14.5), f"F{last + 2}")
    open_ = data.actions[data.actions.status == "open"] if n_open else data.actions
    rows = open_.sort_values(["level", "variance"], ascending=False).head(12)
    _table(
        ws, last + 18, 1,
        ["Action", "Cost center", "Line item", "Level", "Escalated to", "Due", "What crossed"],
        rows[["id", "cost_center", "line_item", "level", "escalated_to", "due", "trigger"]]
        .values.tolist(),
        [None, None, None, "0", None, "yyyy-mm-dd", None],
        title=f"Open actions ({n_open}; the 12 largest, highest level first)", span_to=13,
    )  # fmt: skip
    _page(ws)


def controller(wb: Workbook, data: DashboardData) -> None:
    ws = wb.create_sheet(CONTROLLER)
    _widths(ws, [26, 14, 14, 14, 14, 13, 13, 13, 13])
    row = _title(ws, "Controller view: expense variance by service line and line item", data, 9)
    effect_labels = [label for _, label in EFFECTS]
    money = [None, *[MONEY] * 8]
    s = data.service_lines.sort_values("variance", key=abs, ascending=False)
    header, last = _table(
        ws, row, 1,
        ["Service line", "Plan", "Flexible budget", "Actual", "Variance", *effect_labels],
        s[["service_line_name", "plan", "flex", "actual", "variance", "volume", "efficiency",
           "rate", "spending"]].values.tolist(),
        money, title=f"Year to date through {data.month}: expense by service line (largest first)",
    )  # fmt: skip
    ws.row_dimensions[header].height = 30
    chart = _series(BarChart(), ws, header, last, [6, 7, 8, 9], 1)
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    ws.add_chart(_chart(chart, "Expense variance by cause (YTD)", "$", "#,##0", 24, 7.6),
                 f"A{last + 2}")  # fmt: skip
    li = data.line_items
    header, last = _table(
        ws, last + 18, 1,
        ["Line item", "Plan", "Flexible budget", "Actual", "Variance", *effect_labels],
        li[["line_item_name", "plan", "flex", "actual", "variance", "volume", "efficiency",
            "rate", "spending"]].values.tolist(),
        money, title="Year to date: system by line item (revenue: more is favourable)",
    )  # fmt: skip
    ws.row_dimensions[header].height = 30
    ws.row_breaks.append(Break(id=header - 2))
    bars = _series(BarChart(), ws, header, last, [5], 1)
    ws.add_chart(_chart(bars, "Variance by line item (YTD)", "$", "#,##0", 24, 9),
                 f"A{last + 2}")  # fmt: skip
    _page(ws)


def _data_sheet(wb: Workbook, data: DashboardData) -> dict[str, tuple[str, int, int]]:
    """The Data sheet: lookup tables for Frontline; returns table -> (sheet, first, last row)."""
    ws = wb.create_sheet(DATA)
    ws["A1"] = "Data behind Frontline (written by hybridbudget dashboard; do not edit)"
    ws["A1"].font = styles.BLOCK_FONT
    out = {}
    row = 3
    for name, frame in (("snapshot", data.snapshot), ("monthly", data.cc_monthly),
                        ("actions", frontline_actions(data.actions))):  # fmt: skip
        ws.cell(row, 1, name).font = styles.BLOCK_FONT
        header, last = _table(ws, row + 1, 1, list(frame.columns), frame.values.tolist(),
                              [None] * len(frame.columns))  # fmt: skip
        out[name] = (header, last, list(frame.columns))
        row = last + 3
    ws.column_dimensions["A"].width = 22
    ws.sheet_state = "hidden"  # lookups only; unhide to audit them
    return out


def frontline(wb: Workbook, data: DashboardData, selected: str) -> None:
    ws = wb.create_sheet(FRONTLINE)
    _widths(ws, [30, 15, 15, 15, 15, 15, 15, 3, 12, 12])
    tables = _data_sheet(wb, data)
    row = _title(ws, "Frontline view: one cost center's snapshot", data, 10)
    ws.cell(row, 1, "Cost center (choose):").font = styles.BOLD_FONT
    pick = ws.cell(row, 2, selected)
    pick.fill, pick.font, pick.border = styles.INPUT_FILL, styles.BOLD_FONT, styles.GRID
    sel = f"$B${row}"
    s_head, s_last, s_cols = tables["snapshot"]
    keys = f"{DATA}!$A${s_head + 1}:$A${s_last}"
    dv = DataValidation(type="list", formula1=keys, allow_blank=False, showErrorMessage=True,
                        errorStyle="stop", error="Choose a cost center from the list.")  # fmt: skip
    dv.add(pick.coordinate)
    ws.add_data_validation(dv)

    def look(col: str) -> str:
        letter = get_column_letter(s_cols.index(col) + 1)
        return f'=IFERROR(INDEX({DATA}!${letter}${s_head + 1}:${letter}${s_last},MATCH({sel},{keys},0)),"")'

    ws.cell(row, 4, look("cost_center_name")).font = styles.BOLD_FONT
    facts = (("Service line", "service_line_name", "@"), ("Open actions", "open_actions", "0"),
             ("Accuracy (YTD)", "accuracy", "0%"))  # fmt: skip
    for col, (label, key, fmt) in zip((1, 4, 6), facts, strict=True):
        ws.cell(row + 1, col, label).font = styles.NOTE_FONT
        value = ws.cell(row + 1, col + 1, look(key))
        value.font, value.number_format = styles.BOLD_FONT, fmt
        value.alignment = Alignment(horizontal="left")
    row += 3
    rows = [[label, *(look(f"{label}|{k}") for k, _ in SCOPES)] for label, _ in SNAPSHOT_METRICS]
    _, last = _table(ws, row, 1, ["Figure", *(h for _, h in SCOPES)], rows,
                          [None, *["#,##0"] * 6], title="Plan, flexible budget and actual")  # fmt: skip
    staff = [
        [label, look(f"{label}|plan"), look(f"{label}|actual")] for label, _, _ in STAFF_METRICS
    ]
    s_header, s_last_row = _table(ws, last + 2, 1, ["Staffing (month)", "Plan", "Actual"], staff,
                                  [None, None, None])  # fmt: skip
    for i, (_, _, fmt) in enumerate(STAFF_METRICS, 1):
        for c in (2, 3):
            ws.cell(s_header + i, c).number_format = fmt
    m_head, m_last, m_cols = tables["monthly"]
    mkeys = f"{DATA}!$A${m_head + 1}:$A${m_last}"
    trend_rows = []
    for month in data.trend.month:
        cells = [month]
        for col in ("planned_uos", "actual_uos", "flex", "actual"):
            letter = get_column_letter(m_cols.index(col) + 1)
            cells.append(f'=IFERROR(INDEX({DATA}!${letter}${m_head + 1}:${letter}${m_last},'
                         f'MATCH({sel}&"|"&A{{r}},{mkeys},0)),0)')  # fmt: skip
        trend_rows.append(cells)
    t_row = s_last_row + 2
    for i, cells in enumerate(trend_rows, 1):
        cells[1:] = [c.replace("{r}", str(t_row + 1 + i)) for c in cells[1:]]
    t_head, t_last = _table(ws, t_row, 1, ["Month", "Planned UOS", "Actual UOS",
                                           "Flexible expense", "Actual expense"], trend_rows,
                            [None, "#,##0", "#,##0", "#,##0", "#,##0"],
                            title="Month by month (selected cost center)")  # fmt: skip
    uos = _series(BarChart(), ws, t_head, t_last, [2, 3], 1)
    ws.add_chart(_chart(uos, "Units of service", "UOS", "#,##0", 12, 7), f"A{t_last + 2}")
    cost = _series(LineChart(), ws, t_head, t_last, [4, 5], 1)
    ws.add_chart(_chart(cost, "Expense: flexible vs actual", "$", "#,##0", 12, 7), f"D{t_last + 2}")
    a_head, a_last, a_cols = tables["actions"]
    akeys = f"{DATA}!$A${a_head + 1}:$A${max(a_last, a_head + 1)}"
    act_rows = []
    for n in range(1, MAX_FRONTLINE_ACTIONS + 1):
        cells = []
        for col in ("id", "line_item", "level", "escalated_to", "due", "trigger"):
            letter = get_column_letter(a_cols.index(col) + 1)
            rng = f"{DATA}!${letter}${a_head + 1}:${letter}${max(a_last, a_head + 1)}"
            cells.append(f'=IFERROR(INDEX({rng},MATCH({sel}&"|{n}",{akeys},0)),"")')
        act_rows.append(cells)
    _table(ws, t_last + 18, 1, ["Action", "Line item", "Level", "Escalated to", "Due",
                                "What crossed"], act_rows, [None, None, "0", None, "yyyy-mm-dd", None],
           title="Open actions of this cost center (owner: the cost center manager)",
           span_to=10)  # fmt: skip
    _page(ws)


def lineage_sheet(wb: Workbook, data: DashboardData, imports: pd.DataFrame) -> None:
    ws = wb.create_sheet(LINEAGE)
    _widths(ws, [9, 9, 48, 66, 10])
    row = _title(ws, "Lineage: where every figure comes from", data, 5)
    _table(ws, row, 1, ["Month", "Extract", "File", "SHA-256", "Rows"],
           imports[["month", "kind", "file", "sha256", "imported"]].values.tolist(),
           [None, None, None, None, "#,##0"], title="Actuals files imported")  # fmt: skip
    _page(ws)


def write_dashboard(path: Path, data: DashboardData, imports: pd.DataFrame, selected: str) -> Path:
    """Write the dashboard workbook (atomically)."""
    wb = Workbook()
    wb.remove(wb.active)
    executive(wb, data)
    controller(wb, data)
    frontline(wb, data, selected)
    lineage_sheet(wb, data, imports)
    wb.move_sheet(DATA, offset=len(wb.sheetnames))
    wb.calculation.fullCalcOnLoad = True
    atomic_save(path, wb.save)
    return path

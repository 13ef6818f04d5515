"""The dashboard workbook: Executive, Controller and Frontline views with native Excel charts.

Written with openpyxl (charts, merged tiles, data validation, conditional formats). Conventions
of FINANCE-SHEETS.md: every variance is "fav/(unfav)" (favourable positive, unfavourable in
parentheses and red), money in whole dollars. Tile status colours come from the Thresholds
sheet (input cells; `build_dashboard` keeps the edited values when it refreshes the file).
Frontline looks its figures up on the Data sheet with INDEX/MATCH (no XLOOKUP: LibreOffice 7.4
lacks it), so choosing another cost center in its list updates the view and its charts. Every
view names its sources by file name and SHA-256, the plan version and the refresh time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from copy import copy
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import Marker
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..engine.capital import CapitalSummary
from ..engine.dashboard_figures import (
    AGE_BUCKETS,
    DEFAULT_THRESHOLDS,
    MAX_FRONTLINE_ACTIONS,
    PNL_ROWS,
    STAFF_ROWS,
    DashboardData,
    actions_by,
)
from ..engine.favourability import NEUTRAL, number_formats
from ..engine.variance_split import ACCURACY_BAND, CORE_ITEMS, EFFECTS
from ..errors import HybridBudgetError
from . import styles
from .formula_values import save_with_cached_values

EXECUTIVE, CONTROLLER, FRONTLINE, THRESHOLDS, LINEAGE, DATA = (
    "Executive", "Controller", "Frontline", "Thresholds", "Lineage", "Data",
)  # fmt: skip
MONEY = number_formats("#,##0")[NEUTRAL]  # fav/(unfav): negatives in parentheses
PCT = "0.0%"
FAV_NOTE = (
    "Variances are fav/(unfav): favourable (more revenue or margin, less cost) positive, "
    "unfavourable in parentheses and red."
)
RED_FONT = Font(color="C00000")
STATUS_FILLS = {
    "Red": PatternFill("solid", fgColor="F4B6B6", bgColor="F4B6B6"),
    "Amber": PatternFill("solid", fgColor="FFE08A", bgColor="FFE08A"),
    "Green": PatternFill("solid", fgColor="C6E0B4", bgColor="C6E0B4"),
}
TILE_FILL = PatternFill("solid", fgColor="F3F6FA")
TILE_LABEL = Font(name="Calibri", size=11, bold=True, color=styles.NAVY)
TILE_BIG = Font(name="Calibri", size=12, bold=True)
TILE_NOTE = Font(name="Calibri", size=8, italic=True, color="595959")
SMALL = Font(name="Calibri", size=9)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def fav_format(fmt: str) -> str:
    """The fav/(unfav) variant of a number format: negatives in parentheses, no [Red]."""
    return f"{fmt};({fmt})" if ";" not in fmt else fmt


# -- helpers --------------------------------------------------------------------------------------


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _title(ws: Worksheet, title: str, data: DashboardData, width: int) -> int:
    """Title, subtitle and the lineage lines; returns the next free row."""
    ws.sheet_view.showGridLines = False
    ws["A1"] = title
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color=styles.NAVY)
    ytd = f"{data.months[0]}..{data.month}"
    ws["A2"] = (
        f"{data.system_name} - month {data.month}, year to date {ytd} - plan "
        f"{data.plan_version} - refreshed {data.refreshed}"
    )
    ws["A2"].font = styles.BOLD_FONT
    row = 3
    chars = sum(ws.column_dimensions[get_column_letter(c)].width for c in range(1, width + 1))
    for line in (*data.lineage, FAV_NOTE):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = ws.cell(row, 1, line)
        cell.font, cell.alignment = styles.NOTE_FONT, styles.WRAP
        ws.row_dimensions[row].height = 12 * (1 + int(len(line) * 1.05 // chars))
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
    bold_rows: Sequence[int] = (),
    fav_cols: Sequence[int] = (),
    spans: Sequence[int] = (),
) -> tuple[int, int]:
    """A styled table; returns (header row, last data row). `spans`: sheet columns each column
    covers (merged; default 1); `span_to`: the last column widens to this sheet column;
    `bold_rows`: 0-based subtotal rows (bold, top rule); `fav_cols`: 0-based fav/(unfav)
    columns (red when negative)."""
    widths = list(spans) or [1] * len(headers)
    starts = [col + sum(widths[:j]) for j in range(len(headers))]
    if span_to:
        widths[-1] = max(widths[-1], span_to - starts[-1] + 1)
    if title:
        ws.cell(row, col, title).font = styles.BLOCK_FONT
        row += 1
    protos: dict[tuple[object, ...], StyleArray] = {}

    def style(cell: Cell, key: tuple[object, ...], apply: Callable[[Cell], None]) -> None:
        # one combination of font, fill, format and border is registered once, then copied:
        # setting them one by one per cell hashes openpyxl's style objects every time
        got = protos.get(key)
        if got is None:
            apply(cell)
            protos[key] = copy(cell._style)
        else:
            cell._style = copy(got)

    def head(c: Cell) -> None:
        c.font, c.fill, c.alignment = styles.HEADER_FONT, styles.HEADER_FILL, styles.HEADER_ALIGN
        c.border = styles.GRID

    def body(bold: bool, number_format: str | None) -> Callable[[Cell], None]:
        def apply(c: Cell) -> None:
            c.font = styles.BOLD_FONT if bold else styles.BODY_FONT
            if number_format:
                c.number_format = number_format
            c.border = _border(bold)

        return apply

    for i, values in enumerate([headers, *rows]):
        r = row + i
        bold = i - 1 in bold_rows
        for j, v in enumerate(values):
            c = ws.cell(r, starts[j], None if _blank(v) else v)
            typed = c.number_format  # openpyxl gives a date value its own format
            if i == 0:
                style(c, ("header", typed), head)
            else:
                style(c, ("body", bold, formats[j], typed), body(bold, formats[j]))
            for k in range(starts[j] + 1, starts[j] + widths[j]):
                style(ws.cell(r, k), ("border", bold and i > 0),
                      lambda c, b=bold and i > 0: setattr(c, "border", _border(b)))  # fmt: skip
            if widths[j] > 1:
                ws.merge_cells(start_row=r, start_column=starts[j], end_row=r,
                               end_column=starts[j] + widths[j] - 1)  # fmt: skip
    last_row = row + len(rows)
    for j in fav_cols:
        _red_when_negative(ws, starts[j], row + 1, last_row)
    return row, last_row


def _border(bold: bool) -> styles.Border:
    """A table cell's border: the grid, with a top rule on subtotal rows."""
    if not bold:
        return styles.GRID
    return styles.Border(left=styles.THIN, right=styles.THIN, bottom=styles.THIN,
                         top=styles.TOP_RULE.top)  # fmt: skip


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def _red_when_negative(ws: Worksheet, col: int, first: int, last: int) -> None:
    if last < first:
        return
    letter = get_column_letter(col)
    ws.conditional_formatting.add(f"{letter}{first}:{letter}{last}",
                                  CellIsRule(operator="lessThan", formula=["0"], font=RED_FONT))  # fmt: skip


def _red_when_unfav(ws: Worksheet, col: int, first: int, last: int) -> None:
    letter = get_column_letter(col)
    ws.conditional_formatting.add(f"{letter}{first}:{letter}{last}",
                                  CellIsRule(operator="equal", formula=['"Unfav"'], font=RED_FONT))  # fmt: skip


def _page(ws: Worksheet, one_page: bool = False) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.3
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = f"{ws.title} - page &P of &N"


def nice_bounds(values: Sequence[float], around: float | None = None, pad: float = 0.1,
                floor: float | None = None, min_span: float = 0.0) -> tuple[float, float, float]:  # fmt: skip
    """(min, max, major unit) of a value axis that shows the deviation: symmetric around `around`
    (0 for variance bars) or tight around the values, at least `min_span` wide (so that a
    hundredth of a point does not fill the plot); from `floor` when given (axis at zero)."""
    vals = [float(v) for v in values if not _blank(v)] or [0.0]
    if around is not None:
        half = max(abs(v - around) for v in vals) * (1 + pad) or 1.0
        lo, hi = around - half, around + half
    else:
        lo, hi = min(vals), max(vals)
        span = (hi - lo) or abs(hi) * 0.02 or 1.0
        lo, hi = lo - span * pad * 1.5, hi + span * pad * 1.5
        if hi - lo < min_span:
            mid = (hi + lo) / 2
            lo, hi = mid - min_span / 2, mid + min_span / 2
    if floor is not None:
        lo = floor
    step = _nice_step((hi - lo) / 5)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if around is not None:
        half = max(around - lo, hi - around)
        lo, hi = around - half, around + half
    return round(lo, 10), round(hi, 10), step


def _nice_step(raw: float) -> float:
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _chart(chart, title: str, y_title: str, fmt: str, bounds: tuple[float, float, float],
           width: float, height: float):  # fmt: skip
    chart.title = _small_title(title)
    chart.y_axis.title = y_title
    chart.y_axis.number_format = fmt
    chart.y_axis.scaling.min, chart.y_axis.scaling.max, chart.y_axis.majorUnit = bounds
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"  # category labels below the plot, even with negatives
    chart.legend.position = "b"
    chart.width, chart.height = width, height
    chart.visible_cells_only = False  # the data may sit on the hidden Data sheet
    return chart


def _small_title(text: str, size: int = 1000):
    """A chart title in 10 pt bold (the default 18 pt wraps and crowds the plot)."""
    font = CharacterProperties(sz=size, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _series(chart, ws: Worksheet, header: int, last: int, cols: Sequence[int], cat_col: int):
    for c in cols:
        chart.add_data(Reference(ws, min_col=c, min_row=header, max_row=last),
                       titles_from_data=True)  # fmt: skip
    chart.set_categories(Reference(ws, min_col=cat_col, min_row=header + 1, max_row=last))
    return chart


def _markers(chart) -> None:
    for s in chart.series:
        s.marker = Marker(symbol="circle", size=7)
        s.smooth = False


# -- the Data sheet -------------------------------------------------------------------------------


class DataSheet:
    """The hidden Data sheet: chart data and Frontline lookup tables, one titled table each."""

    def __init__(self, wb: Workbook) -> None:
        self.ws = wb.create_sheet(DATA)
        self.ws["A1"] = (
            "Data behind the charts and Frontline (written by hybridbudget; do not edit)"
        )
        self.ws["A1"].font = styles.BLOCK_FONT
        self.ws.column_dimensions["A"].width = 34
        self.row = 3
        self.tables: dict[str, tuple[int, int, list[str]]] = {}

    def add(self, name: str, frame: pd.DataFrame) -> tuple[int, int, list[str]]:
        self.ws.cell(self.row, 1, name).font = styles.BLOCK_FONT
        cols = list(frame.columns)
        header, last = _table(self.ws, self.row + 1, 1, cols, frame.values.tolist(),
                              [None] * len(cols))  # fmt: skip
        self.tables[name] = (header, max(last, header + 1), cols)
        self.row = max(last, header + 1) + 3
        return self.tables[name]

    def column(self, name: str, col: str) -> str:
        header, last, cols = self.tables[name]
        letter = get_column_letter(cols.index(col) + 1)
        return f"{DATA}!${letter}${header + 1}:${letter}${last}"

    def ref(self, name: str, col: str) -> Reference:
        header, last, cols = self.tables[name]
        return Reference(self.ws, min_col=cols.index(col) + 1, min_row=header, max_row=last)

    def cats(self, name: str, col: str) -> Reference:
        header, last, cols = self.tables[name]
        return Reference(self.ws, min_col=cols.index(col) + 1, min_row=header + 1, max_row=last)


def _data_chart(chart, data: DataSheet, table: str, cols: Sequence[str], cat: str):
    for c in cols:
        chart.add_data(data.ref(table, c), titles_from_data=True)
    chart.set_categories(data.cats(table, cat))
    return chart


# -- Thresholds -----------------------------------------------------------------------------------


THRESHOLD_HEADERS = ("Tile", "Key", "Status judged on", "Amber from", "Red from",
                     "Month gap", "YTD gap", "Month status", "YTD status")  # fmt: skip


def thresholds_sheet(wb: Workbook, data: DashboardData) -> dict[str, tuple[str, str]]:
    """The editable thresholds and each tile's gap and status; returns key -> (month status
    cell, YTD status cell) as absolute references."""
    ws = wb.create_sheet(THRESHOLDS)
    _widths(ws, [28, 11, 40, 11, 11, 11, 11, 12, 12])
    row = _title(ws, "Thresholds: when a tile turns amber or red", data, 9)
    ws.cell(row, 1, "Type new thresholds in the yellow cells; the Executive tiles recolour at "
            "once and the next refresh keeps them. The gap is the unfavourable deviation in the "
            "unit of 'Status judged on' (negative = favourable).").font = styles.NOTE_FONT  # fmt: skip
    row += 1
    rows = []
    for t in data.tiles:
        amber, red = data.thresholds[t.key]
        rows.append([t.label, t.key, t.gap_label, amber, red, _finite(t.gap("m")),
                     _finite(t.gap("y")), None, None])  # fmt: skip
    header, last = _table(ws, row, 1, THRESHOLD_HEADERS, rows,
                          [None, None, None, "0.00%", "0.00%", "0.00%", "0.00%", None, None])  # fmt: skip
    out = {}
    for i, t in enumerate(data.tiles, 1):
        r = header + i
        for c in (4, 5):
            ws.cell(r, c).fill = styles.INPUT_FILL
            ws.cell(r, c).protection = styles.UNLOCKED
        for gap_col, status_col in ((6, 8), (7, 9)):
            g = f"{get_column_letter(gap_col)}{r}"
            ws.cell(r, status_col, f'=IF({g}>=$E{r},"Red",IF({g}>=$D{r},"Amber","Green"))')
        out[t.key] = (f"{THRESHOLDS}!$H${r}", f"{THRESHOLDS}!$I${r}")
    for name, fill in STATUS_FILLS.items():
        ws.conditional_formatting.add(f"H{header + 1}:I{last}",
                                      CellIsRule(operator="equal", formula=[f'"{name}"'],
                                                 fill=fill))  # fmt: skip
    ws.cell(last + 2, 1, "Input cells are pale yellow. Status: Red when the gap reaches 'Red "
            "from', Amber when it reaches 'Amber from', else Green.").font = styles.NOTE_FONT  # fmt: skip
    _page(ws)
    return out


def _finite(v: float) -> float:
    return 9.99 if math.isinf(v) else v  # a cost with no plan: any spending is far off plan


def read_thresholds(path: Path) -> dict[str, tuple[float, float]] | None:
    """The thresholds typed on an existing dashboard's Thresholds sheet (None when there is no
    such sheet); a cell that is not a number is refused with its address."""
    if not Path(path).is_file():
        return None
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook we can read: start from the defaults
        return None
    if THRESHOLDS not in wb.sheetnames:
        return None
    out: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(wb[THRESHOLDS].iter_rows(values_only=True), 1):
        if len(row) < 5 or row[1] not in DEFAULT_THRESHOLDS:
            continue
        amber, red = row[3], row[4]
        for value, col in ((amber, "D"), (red, "E")):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise HybridBudgetError(
                    f"{Path(path).name}, sheet {THRESHOLDS}, cell {col}{r}: threshold "
                    f"{value!r} is not a number (type a share such as 5%)"
                )
        out[row[1]] = (float(amber), float(red))
    wb.close()
    return out or None


# -- Executive ------------------------------------------------------------------------------------


def executive(wb: Workbook, data: DashboardData, status_cells, chart_data: DataSheet) -> None:
    ws = wb.create_sheet(EXECUTIVE, 0)
    tile_cols = [10, 12, 12, 12]
    _widths(ws, [*tile_cols, 1.5] * 3 + tile_cols)
    width = 19
    row = _title(ws, "Executive view: margin, volume, staffing and accuracy against plan", data,
                 width)  # fmt: skip
    for k, t in enumerate(data.tiles):
        r0 = row + (k // 4) * 6
        c0 = 1 + (k % 4) * 5
        _tile(ws, r0, c0, t, status_cells[t.key])
    for name, fill in STATUS_FILLS.items():
        ws.conditional_formatting.add(
            f"A{row}:S{row + 12}",
            FormulaRule(formula=[f'LEFT(A{row},{len(name) + 2})="{name}: "'], fill=fill),
        )
    row += 12
    ws.cell(row, 1, "Status: month and YTD against the thresholds on the Thresholds sheet "
            "(editable). Accuracy: plan within 3% of actual, core lines per cost center."
            ).font = styles.NOTE_FONT  # fmt: skip
    row += 2
    if data.capital is not None:
        row = _capital(ws, data.capital, row) + 2
    _executive_charts(ws, data, chart_data, row)
    row += 16
    _open_actions(ws, data, row, width)
    _page(ws, one_page=True)


def _capital(ws: Worksheet, s: CapitalSummary, row: int) -> int:
    """Capital approved against the envelope (Capital Requests sheet, as Apply decisions reads
    it): one row; the remaining envelope red when negative. Returns the last row."""
    counts = s.count_by_decision
    money = "#,##0;(#,##0)"
    headers = ["Capital envelope", "Approved", "Remaining", "Requested", *counts]
    values = [s.envelope_cents / 100, s.approved_cents / 100, s.remaining_cents / 100,
              s.requested_cents / 100, *counts.values()]  # fmt: skip
    formats = [money] * 4 + ["#,##0"] * len(counts)
    _, last = _table(ws, row, 1, headers, [values], formats, title="Capital approved against "
                     "the envelope", spans=[2] * len(headers), fav_cols=[2])  # fmt: skip
    return last


def _tile(ws: Worksheet, r0: int, c0: int, t, status: tuple[str, str]) -> None:
    """Label; a Status/Actual/Plan/Fav-(unfav) grid for month and YTD; the definition."""
    ws.merge_cells(start_row=r0, start_column=c0, end_row=r0, end_column=c0 + 3)
    ws.cell(r0, c0, t.label).font = TILE_LABEL
    for j, h in enumerate(("Status", "Actual", "Plan", "Fav/(unfav)")):
        c = ws.cell(r0 + 1, c0 + j, h)
        c.font, c.alignment = TILE_NOTE, CENTER
    is_accuracy = t.gap_basis == "outside"
    for i, (scope, plan, actual) in enumerate((("Month", t.m_plan, t.m_actual),
                                               ("YTD", t.y_plan, t.y_actual))):  # fmt: skip
        r = r0 + 2 + i
        ws.cell(r, c0, f'=IFERROR({status[i]},"")&": {scope}"')
        a = ws.cell(r, c0 + 1, actual)
        a.number_format, a.font = t.fmt, TILE_BIG if i == 0 else styles.BOLD_FONT
        p = ws.cell(r, c0 + 2, None if is_accuracy else plan)
        v = ws.cell(r, c0 + 3, None if is_accuracy else t.variance("m" if i == 0 else "y"))
        p.number_format, v.number_format = t.fmt, fav_format(t.fmt)
        p.font = v.font = styles.BODY_FONT
        ws.cell(r, c0).font = SMALL
        ws.cell(r, c0).alignment = CENTER
        if not is_accuracy and (v.value or 0) < 0:
            v.font = Font(name="Calibri", size=10, color="C00000")
    if is_accuracy:
        ws.cell(r0 + 2, c0 + 2, "core lines within 3%").font = TILE_NOTE
    ws.merge_cells(start_row=r0 + 4, start_column=c0, end_row=r0 + 4, end_column=c0 + 3)
    n = ws.cell(r0 + 4, c0, t.note)
    n.font, n.alignment = TILE_NOTE, styles.WRAP
    ws.row_dimensions[r0 + 4].height = 34
    for r in range(r0, r0 + 5):
        for c in range(c0, c0 + 4):
            cell = ws.cell(r, c)
            if cell.fill is None or cell.fill.fgColor.rgb in (None, "00000000"):
                cell.fill = TILE_FILL
    ws.row_dimensions[r0 + 2].height = 18


def _executive_charts(ws: Worksheet, data: DashboardData, d: DataSheet, row: int) -> None:
    s = data.series
    d.add("Executive: month by month", s)
    margin = _data_chart(BarChart(), d, "Executive: month by month", ["margin_variance"], "month")
    margin.series[0].tx = _series_title("Margin fav/(unfav) $")
    _chart(margin, "Operating margin vs plan by month, fav/(unfav) $", "$", MONEY,
           nice_bounds(s.margin_variance, around=0), 12.5, 7.2)  # fmt: skip
    margin.legend = None
    ws.add_chart(margin, f"A{row}")
    pct = _data_chart(LineChart(), d, "Executive: month by month",
                      ["margin_pct_plan", "margin_pct_actual"], "month")  # fmt: skip
    _titles(pct, ["Plan", "Actual"])
    _markers(pct)
    _chart(pct, "Operating margin %: actual and plan (tight axis)", "", "0.0%",
           nice_bounds([*s.margin_pct_plan, *s.margin_pct_actual], min_span=0.02), 12.5, 7.2)  # fmt: skip
    ws.add_chart(pct, f"F{row}")
    idx = _data_chart(LineChart(), d, "Executive: month by month",
                      ["volume_index", "fte_index", "labor_index"], "month")  # fmt: skip
    _titles(idx, ["Volume (UOS)", "Paid FTEs", "Labor cost per UOS"])
    _markers(idx)
    _chart(idx, "Indices, % of plan (plan = 100%, tight axis)", "", "0%",
           nice_bounds([1.0, *s.volume_index, *s.fte_index, *s.labor_index], min_span=0.1), 12.5,
           7.2)  # fmt: skip
    ws.add_chart(idx, f"K{row}")
    e = data.effects_system
    d.add("Executive: variance by cause", e)
    cause = _data_chart(BarChart(), d, "Executive: variance by cause", ["amount"], "effect")
    cause.series[0].tx = _series_title("Fav/(unfav) $")
    _chart(cause, "Margin variance by cause, YTD, fav/(unfav) $", "$", MONEY,
           nice_bounds(e.amount, around=0), 12.5, 7.2)  # fmt: skip
    cause.legend = None
    ws.add_chart(cause, f"P{row}")


def _series_title(text: str) -> SeriesLabel:
    return SeriesLabel(v=text)


def _titles(chart, names: Sequence[str]) -> None:
    for s, n in zip(chart.series, names, strict=True):
        s.tx = _series_title(n)


def _open_actions(ws: Worksheet, data: DashboardData, row: int, width: int) -> None:
    a = data.actions
    levels = actions_by(a, "level")
    role = dict(zip(a.level, a.escalated_to, strict=False)) if len(a) else {}
    summary = [[int(r.level), role.get(r.level, ""), r.open, r.at_stake]
               for r in levels.itertuples()]  # fmt: skip
    _, last = _table(ws, row, 1, ["Level", "Escalated to", "Open", "$ at stake"],
                          summary or [["", "none open", 0, 0]], ["0", None, "0", MONEY],
                          title=f"Open actions by level ({len(a)} open, "
                          f"${a.at_stake.sum() if len(a) else 0:,.0f} at stake)",
                          spans=(1, 2, 1, 3))  # fmt: skip
    top = a.head(10)
    rows = [[r.level, r.escalated_to, r.owner, f"{r.cost_center} {r.cost_center_name}",
             r.line_item_name, r.at_stake, r.due, r.overdue, r.trigger]
            for r in top.itertuples()]  # fmt: skip
    header, last = _table(
        ws, last + 2, 1, ["Level", "Escalated to", "Owner", "Cost center", "Line item",
                          "$ at stake", "Due", "Overdue", "What crossed"],
        rows, ["0", None, None, None, None, MONEY, "yyyy-mm-dd", None, None],
        title=f"Open actions, highest level first, then $ at stake (the {len(top)} largest "
        f"of {len(a)})", span_to=width, spans=(1, 2, 2, 3, 3, 1, 1, 1, 5),
    )  # fmt: skip
    for r in range(header + 1, last + 1):  # the trigger text wraps instead of being clipped
        ws.cell(r, 15).alignment = styles.WRAP
        ws.row_dimensions[r].height = 24


# -- Controller -----------------------------------------------------------------------------------


def controller(wb: Workbook, data: DashboardData, d: DataSheet) -> None:
    ws = wb.create_sheet(CONTROLLER, 1)
    _widths(ws, [30, *[12.5] * 10, 9])
    width = 12
    row = _title(ws, "Controller view: revenue, expense and margin against plan", data, width)
    heads = ["Entity / service line"]
    for what in ("Revenue", "Expense", "Margin"):
        heads += [f"{what} plan", f"{what} actual", f"{what} fav/(unfav)"]
    for scope, frame in ((f"Month {data.month}", data.organisation[0]),
                         (f"Year to date {data.months[0]}..{data.month}", data.organisation[1])):  # fmt: skip
        rows, bold = [], []
        for i, r in enumerate(frame.itertuples()):
            indent = "   " if r.level == "service line" else ""
            rows.append([f"{indent}{r.name}", *(getattr(r, f"{w}_{k}")
                         for w in ("revenue", "expense", "margin") for k in ("plan", "actual", "var"))])  # fmt: skip
            if r.level != "service line":
                bold.append(i)
        header, last = _table(ws, row, 1, heads, rows, [None, *[MONEY] * 9],
                              title=f"{scope}: by entity and service line", bold_rows=bold,
                              fav_cols=(3, 6, 9))  # fmt: skip
        ws.row_dimensions[header].height = 30
        for i, r in enumerate(frame.itertuples()):
            if r.level == "service line":
                ws.row_dimensions[header + 1 + i].outlineLevel = 1
        row = last + 2
    big = data.largest
    rows = [[f"{r.cost_center} {r.cost_center_name}", r.line_item_name, r.plan, r.actual,
             r.variance, r.volume, r.efficiency, r.rate, r.spending, r.fav]
            for r in big.itertuples()]  # fmt: skip
    header, last = _table(ws, row, 1, ["Cost center", "Line item", "Plan", "Actual",
                                       "Variance fav/(unfav)", *(lbl for _, lbl in EFFECTS),
                                       "Fav/ Unfav"], rows,
                          [None, None, *[MONEY] * 7, None],
                          title=f"The ten largest variances, month {data.month} (volume + "
                          "efficiency + rate + spending = variance)", fav_cols=(4, 5, 6, 7, 8),
                          spans=(1, 2, 1, 1, 1, 1, 1, 1, 1, 1))  # fmt: skip
    _red_when_unfav(ws, 11, header + 1, last)
    ws.row_dimensions[header].height = 30
    row = last + 2
    a = data.actions
    ages = actions_by(a, "age", [label for _, label in AGE_BUCKETS])
    header, last = _table(ws, row, 1, ["Age (days since the end of the month opened)", "Open",
                                       "$ at stake", "Overdue"],
                          ages.values.tolist() or [["none open", 0, 0, 0]],
                          [None, "0", MONEY, "0"], title="Open actions by age",
                          spans=(2, 1, 1, 1))  # fmt: skip
    ws.row_dimensions[header].height = 30
    oldest = a.sort_values(["age_days", "at_stake"], ascending=False, kind="stable").head(12)
    rows = [[f"{r.cost_center} {r.cost_center_name}", r.id, r.line_item_name, r.owner,
             r.escalated_to, r.opened, r.age_days, r.at_stake, r.due, r.overdue]
            for r in oldest.itertuples()]  # fmt: skip
    _table(ws, last + 2, 1, ["Cost center", "Action", "Line item", "Owner", "Escalated to",
                             "Opened", "Age (days)", "$ at stake", "Due", "Overdue"], rows,
           [None, None, None, None, None, None, "0", MONEY, "yyyy-mm-dd", None],
           title="Open actions, oldest first", spans=(1, 1, 2, 1, 2, 1, 1, 1, 1, 1))  # fmt: skip
    row = last + 4 + len(rows) + 2
    ws.row_breaks.append(Break(id=row - 1))  # the charts on a page of their own
    e = data.effects_sl
    d.add("Controller: effects by service line", e)
    chart = _data_chart(BarChart(), d, "Controller: effects by service line",
                        ["volume", "efficiency", "rate", "spending"], "service_line_name")  # fmt: skip
    _titles(chart, [lbl for _, lbl in EFFECTS])
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    values = e[["volume", "efficiency", "rate", "spending"]]
    extremes = [*values.clip(lower=0).sum(axis=1), *values.clip(upper=0).sum(axis=1)]
    height = max(7.0, 0.6 * len(e) + 3)
    chart.gapWidth = 40
    _chart(chart, "Margin variance by cause and service line, YTD, fav/(unfav) $", "$", MONEY,
           nice_bounds(extremes, around=0), 24, height)  # fmt: skip
    ws.add_chart(chart, f"A{row}")
    m = data.entity_margin
    d.add("Controller: margin by entity", m)
    bars = _data_chart(BarChart(), d, "Controller: margin by entity", ["margin_var"], "name")
    bars.series[0].tx = _series_title("Margin fav/(unfav) $")
    _chart(bars, "Operating margin vs plan by entity, YTD, fav/(unfav) $", "$", MONEY,
           nice_bounds(m.margin_var, around=0), 24, 7)  # fmt: skip
    bars.legend = None
    ws.add_chart(bars, f"A{row + int(height * 2) + 2}")
    ws.sheet_properties.outlinePr.summaryBelow = False
    _page(ws)


# -- Frontline ------------------------------------------------------------------------------------


def frontline(wb: Workbook, data: DashboardData, selected: str, d: DataSheet) -> None:
    ws = wb.create_sheet(FRONTLINE, 2)
    _widths(ws, [30, 13, 13, 13, 8, 13, 13, 13, 8, 3, 12])
    width = 9
    f = data.frontline
    d.add("snapshot", f.snapshot)
    d.add("monthly", f.monthly)
    d.add("actions", f.actions[["lookup", "id", "line_item_name", "owner", "escalated_to",
                                "at_stake", "due", "trigger"]]
          if len(f.actions) else pd.DataFrame(columns=["lookup", "id", "line_item_name", "owner",
                                                       "escalated_to", "at_stake", "due",
                                                       "trigger"]))  # fmt: skip
    d.add("accuracy", f.accuracy[["lookup", "item_name", "plan", "actual", "off_pct",
                                  "within"]])  # fmt: skip
    row = _title(ws, "Frontline view: one cost center against its plan", data, width)
    ws.cell(row, 1, "Cost center (choose from the list):").font = styles.BOLD_FONT
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
    snap = f.snapshot.set_index("cost_center")
    pick = ws.cell(row, 2, snap.key.get(selected, f.snapshot.key.iloc[0]))
    pick.fill, pick.font, pick.border = styles.INPUT_FILL, styles.BOLD_FONT, styles.GRID
    sel = f"$B${row}"
    keys = d.column("snapshot", "key")
    dv = DataValidation(type="list", formula1=keys, allow_blank=False, showErrorMessage=True,
                        errorStyle="stop", error="Choose a cost center from the list.")  # fmt: skip
    dv.add(pick.coordinate)
    ws.add_data_validation(dv)
    ws.cell(row, 6, "Pale yellow: choose here").font = styles.NOTE_FONT

    def look(col: str, blank: str = '""') -> str:
        return f"=IFERROR(INDEX({d.column('snapshot', col)},MATCH({sel},{keys},0)),{blank})"

    facts = (("Entity", "entity"), ("Service line", "service_line"), ("Manager", "manager"),
             ("Unit of service", "unit"))  # fmt: skip
    for i, (label, key) in enumerate(facts):
        r, c = row + 1 + i // 2, 1 + (i % 2) * 5
        ws.cell(r, c, label).font = styles.NOTE_FONT
        ws.cell(r, c + 1, look(key)).font = styles.BOLD_FONT
    row += 4
    heads = [
        "",
        "Month plan",
        "Month actual",
        "Month fav/(unfav)",
        "Fav/ Unfav",
        "YTD plan",
        "YTD actual",
        "YTD fav/(unfav)",
        "Fav/ Unfav",
    ]

    def cells(key: str) -> list[str]:
        return [
            look(f"{key}|{s}_{k}") + ('&""' if k == "fav" else "")
            for s in ("m", "y")
            for k in ("plan", "actual", "var", "fav")
        ]

    unit = f'"Units of service ("&{look("unit")[1:]}&")"'
    staff_rows = [[f"={unit}", *cells("UOS")]]
    fmts = ["#,##0"]
    for key, label, fmt, _ in STAFF_ROWS:
        staff_rows.append([label, *cells(key)])
        fmts.append(fmt)
    header, last = _table(ws, row, 1, heads, staff_rows, [None] * 9,
                          title="Volume and staffing against plan (YTD FTEs: monthly average)",
                          fav_cols=(3, 7))  # fmt: skip
    ws.row_dimensions[header].height = 30
    for i, fmt in enumerate(fmts, 1):
        for c in (2, 3, 6, 7):
            ws.cell(header + i, c).number_format = fmt
        for c in (4, 8):
            ws.cell(header + i, c).number_format = fav_format(fmt)
    for c in (5, 9):
        _red_when_unfav(ws, c, header + 1, last)
    pnl = [[label, *cells(key)] for key, label, _, _ in PNL_ROWS]
    bold = [i for i, (_, _, _, b) in enumerate(PNL_ROWS) if b]
    header, last = _table(ws, last + 2, 1, heads, pnl,
                          [None, MONEY, MONEY, MONEY, None, MONEY, MONEY, MONEY, None],
                          title="Each line against plan (revenue: more is favourable; cost: "
                          "less is favourable)", bold_rows=bold, fav_cols=(3, 7))  # fmt: skip
    ws.row_dimensions[header].height = 30
    for c in (5, 9):
        _red_when_unfav(ws, c, header + 1, last)
    row = last + 2
    ws.cell(row, 1, "Forecast accuracy").font = styles.BLOCK_FONT
    ws.cell(row + 1, 1, "Month:").font = styles.NOTE_FONT
    ws.cell(row + 1, 2, look("accuracy|m")).font = styles.BOLD_FONT
    ws.cell(row + 2, 1, "Year to date:").font = styles.NOTE_FONT
    ws.cell(row + 2, 2, look("accuracy|y")).font = styles.BOLD_FONT
    ws.cell(row + 3, 1, f"A core line is on target when its plan is within "
            f"{ACCURACY_BAND:.0%} of the actual: {', '.join(n for _, n in CORE_ITEMS)} "
            "(salaries summed over job classes).").font = styles.NOTE_FONT  # fmt: skip
    akeys = d.column("accuracy", "lookup")
    acc_rows = []
    for n in range(1, len(CORE_ITEMS) + 1):
        acc_rows.append([f'=IFERROR(INDEX({d.column("accuracy", col)},MATCH({sel}&"|{n}",'
                         f'{akeys},0)),"")' for col in ("item_name", "plan", "actual", "off_pct",
                                                        "within")])  # fmt: skip
    _, last = _table(ws, row + 4, 1, ["Core line (YTD)", "Plan", "Actual",
                                      "Actual vs plan, % of actual", "Within 3%"],
                     acc_rows, [None, MONEY, MONEY, "0.0%", None])  # fmt: skip
    ws.cell(row + 4, 4).alignment = styles.HEADER_ALIGN
    ws.row_dimensions[row + 4].height = 30
    row = last + 2
    xkeys = d.column("actions", "lookup")
    act_rows = []
    for n in range(1, MAX_FRONTLINE_ACTIONS + 1):
        act_rows.append([f'=IFERROR(INDEX({d.column("actions", col)},MATCH({sel}&"|{n}",'
                         f'{xkeys},0)),"")' for col in ("id", "line_item_name", "owner",
                                                        "escalated_to", "at_stake", "due",
                                                        "trigger")])  # fmt: skip
    a_head, _ = _table(ws, row, 1, ["Action", "Line item", "Owner", "Escalated to",
                                    "$ at stake", "Due", "What crossed"], act_rows,
                       [None, None, None, None, MONEY, "yyyy-mm-dd", None],
                       title="Open actions of this cost center", span_to=width)  # fmt: skip
    ws.row_dimensions[a_head].height = 30
    row += 2 + MAX_FRONTLINE_ACTIONS + 1
    mkeys = d.column("monthly", "lookup")
    trend = []
    for month in data.months:
        trend.append([month, *(f'=IFERROR(INDEX({d.column("monthly", col)},MATCH({sel}&"|"&'
                               f'"{month}",{mkeys},0)),0)'
                               for col in ("planned_uos", "actual_uos", "flex", "actual"))])  # fmt: skip
    t_head, t_last = _table(ws, row, 1, ["Month", "Planned UOS", "Actual UOS",
                                         "Flexible budget expense", "Actual expense"], trend,
                            [None, "#,##0", "#,##0", MONEY, MONEY],
                            title="Month by month (the charts below; axes start at zero)")  # fmt: skip
    ws.row_dimensions[t_head].height = 30
    uos_max = max([*f.monthly.planned_uos, *f.monthly.actual_uos, 1])
    exp_max = max([*f.monthly.flex, *f.monthly.actual, 1])
    uos = _series(BarChart(), ws, t_head, t_last, [2, 3], 1)
    _chart(uos, "Units of service: plan and actual (axis from zero)", "UOS", "#,##0",
           (0, *nice_bounds([0, uos_max], floor=0)[1:]), 12, 7)  # fmt: skip
    _auto_max(uos)
    ws.add_chart(uos, f"A{t_last + 2}")
    cost = _series(BarChart(), ws, t_head, t_last, [4, 5], 1)
    _chart(cost, "Expense: flexible budget and actual (axis from zero)", "$", "#,##0",
           (0, *nice_bounds([0, exp_max], floor=0)[1:]), 12, 7)  # fmt: skip
    _auto_max(cost)
    ws.add_chart(cost, f"E{t_last + 2}")
    _page(ws)


def _auto_max(chart) -> None:
    """Frontline charts follow the chosen cost center: fixed minimum 0, automatic maximum."""
    chart.y_axis.scaling.max = None
    chart.y_axis.majorUnit = None


# -- Lineage --------------------------------------------------------------------------------------


def lineage_sheet(wb: Workbook, data: DashboardData, sources: pd.DataFrame) -> None:
    ws = wb.create_sheet(LINEAGE)
    _widths(ws, [22, 10, 34, 68, 10])
    row = _title(ws, "Lineage: where every figure comes from", data, 5)
    _table(ws, row, 1, ["Source", "Month", "File", "SHA-256", "Rows"],
           sources[["source", "month", "file", "sha256", "rows"]].values.tolist(),
           [None, None, None, None, "#,##0"], title="Files and versions read")  # fmt: skip
    _page(ws)


def write_dashboard(path: Path, data: DashboardData, sources: pd.DataFrame, selected: str) -> Path:
    """Write the dashboard workbook (atomically). `sources`: source, month, file (name only),
    sha256, rows."""
    wb = Workbook()
    wb.remove(wb.active)
    d = DataSheet(wb)
    status_cells = thresholds_sheet(wb, data)
    executive(wb, data, status_cells, d)
    controller(wb, data, d)
    frontline(wb, data, selected, d)
    lineage_sheet(wb, data, sources)
    wb.move_sheet(THRESHOLDS, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(THRESHOLDS))
    wb.move_sheet(DATA, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(DATA))
    d.ws.sheet_state = "hidden"  # lookups and chart data; unhide to audit them
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    save_with_cached_values(wb, path)  # previews and Protected View show the figures
    return path

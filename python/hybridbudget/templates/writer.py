"""Write one cost center's driver template: the Budget sheet from the fixed layout, plus Meta."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Container
from copy import copy
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from ..engine.drivers import Drivers
from ..engine.money import round_to
from ..engine.targets import CostCenterTarget
from ..model.line_items import JOB_CLASSES
from ..model.reference import Reference
from ..workbook import styles as S
from ..workbook.formula_values import (
    coordinate,
    evaluate,
    save_parts,
    with_cached_values,
    workbook_parts,
)
from .contract import (
    BUDGET_SHEET,
    CATEGORY_SLOTS,
    META_KEYS,
    META_SHEET,
    SCHEMA_VERSION,
)
from .fingerprint import fingerprint
from .guide import GUIDE_ROLES, GUIDE_SHEET, GUIDE_WIDTH, guide_lines, return_line
from .layout import DEFAULT, FREEZE, Area, Layout, Rule, Style, Variant, layout, variant_of

UNLOCKED = Protection(locked=False)
BUDGET_PART = "xl/worksheets/sheet1.xml"
_FONTS: dict[str, Font] = {
    "title": S.TITLE_FONT,
    "section": S.BLOCK_FONT,
    "header": S.HEADER_FONT,
    "note": S.NOTE_FONT,
    "note_strong": S.BOLD_FONT,
    "total": S.BOLD_FONT,
    "legend_warn": S.BOLD_FONT,
}
_FILLS = {
    "input": S.INPUT_FILL,
    "given": S.LOCKED_FILL,
    "computed": S.COMPUTED_FILL,
    "header": S.HEADER_FILL,
    "legend_input": S.INPUT_FILL,
    "legend_given": S.LOCKED_FILL,
    "legend_computed": S.COMPUTED_FILL,
    "legend_warn": S.WARN_FILL,
}


@cache
def _attributes(style: Style) -> dict[str, Any]:
    """The openpyxl style attributes a layout Style stands for."""
    attrs: dict[str, Any] = {"font": _FONTS.get(style.role, S.BODY_FONT)}
    if style.role in _FILLS:
        attrs["fill"] = _FILLS[style.role]
        attrs["border"] = S.GRID
    if style.fmt != "General":
        attrs["number_format"] = style.fmt
    if style.role == "header":
        attrs["alignment"] = S.HEADER_ALIGN
    elif style.wrap or style.align or style.top:
        attrs["alignment"] = Alignment(
            horizontal=style.align or None,
            vertical="top" if style.wrap or style.top else "center",
            wrap_text=style.wrap or None,
        )
    if not style.locked:
        attrs["protection"] = UNLOCKED
    return attrs


class _Painter:
    """Applies layout styles; each distinct style is registered with the workbook once."""

    def __init__(self) -> None:
        self._arrays: dict[Style, Any] = {}

    def paint(self, cell: Cell, style: Style) -> None:
        array = self._arrays.get(style)
        if array is not None:
            cell._style = copy(array)  # openpyxl's per-cell style ids, already registered
            return
        for key, value in _attributes(style).items():
            setattr(cell, key, value)
        self._arrays[style] = copy(cell._style)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def prefill(t: CostCenterTarget, tolerance_pct: float, tolerance_amount: float) -> dict[str, list]:
    """The values written into every given and input name (row-major), from the targets."""
    prior, target, fig = t.prior, t.drivers, t.figures

    def by_class(d: Drivers, attr: str) -> list[float]:
        return [getattr(d.staff(j), attr) for j in JOB_CLASSES]

    return {
        # givens
        "hb_volume_prior": list(prior.volume),
        "hb_volume_target": list(target.volume),
        "hb_fte_prior": by_class(prior, "fte"),
        "hb_wage_prior": by_class(prior, "wage_rate"),
        "hb_overtime_prior": by_class(prior, "overtime_pct"),
        "hb_agency_fte_prior": by_class(prior, "agency_fte"),
        "hb_fte_target": by_class(target, "fte"),
        "hb_agency_rate": by_class(target, "agency_rate"),
        "hb_revenue_per_uos": [target.revenue_per_uos],
        "hb_productive_ratio": [target.productive_ratio],
        "hb_benefits_load": [target.benefits_load],
        "hb_whpuos_target": [round_to(fig.worked_hours_per_uos, 4)],  # as displayed
        "hb_supplies_prior": [prior.supplies_per_uos],
        "hb_drugs_prior": [prior.drugs_per_uos],
        "hb_purchased_prior": [prior.purchased_services],
        "hb_other_prior": [prior.other_expense],
        "hb_supplies_target": [target.supplies_per_uos],
        "hb_drugs_target": [target.drugs_per_uos],
        "hb_purchased_target": [target.purchased_services],
        "hb_other_target": [target.other_expense],
        "hb_target_revenue": [fig.revenue],
        "hb_target_labor": [fig.labor_cost],
        "hb_target_nonlabor": [fig.nonlabor_cost],
        "hb_target_fte": [fig.fte],
        "hb_tolerance_pct": [tolerance_pct],
        "hb_tolerance_amount": [tolerance_amount],
        # inputs, pre-filled with the target's drivers: an untouched template shows no gap
        "hb_volume_forecast": list(target.volume),
        "hb_fte": by_class(target, "fte"),
        "hb_wage_rate": by_class(target, "wage_rate"),
        "hb_overtime_pct": by_class(target, "overtime_pct"),
        "hb_agency_fte": by_class(target, "agency_fte"),
        "hb_supplies_per_uos": [target.supplies_per_uos],
        "hb_drugs_per_uos": [target.drugs_per_uos],
        "hb_purchased_services": [target.purchased_services],
        "hb_other_expense": [target.other_expense],
    }


def volume_cap(t: CostCenterTarget) -> int:
    """Upper bound of a month's forecast: 10x the busiest prior or target month, at least 1,000."""
    busiest = max((*t.prior.volume, *t.drivers.volume), default=0.0)
    return max(1_000, int(math.ceil(busiest * 10 / 1_000) * 1_000))


def header_fields(t: CostCenterTarget, ref: Reference) -> dict[str, str]:
    """The header texts of one cost center's template."""
    cc, org, cfg = t.cost_center, ref.organization, ref.config
    sl = org.service_line_by_code[cc.service_line_code]
    entity = org.entity_by_code[sl.entity_code]
    due = cfg.templates.due_date
    return {
        "title": f"{cc.cost_center_name}: operating budget for fiscal year {cfg.fiscal_year}",
        "system": cfg.system_name,
        "entity": f"{entity.entity_code}  {entity.entity_name}",
        "service_line": f"{sl.service_line_code}  {sl.service_line_name}",
        "cost_center": f"{cc.cost_center_code}  {cc.cost_center_name}",
        "manager": f"{cc.owner_name} ({cc.owner_email})",
        "fiscal_year": f"FY{cfg.fiscal_year}",
        "due_date": f"{due:%b} {due.day}, {due.year}",
        "uos": cc.uos,
        "template": f"v{cfg.templates.version} (schema {SCHEMA_VERSION})",
        "uos_header": f"{cc.uos[:1].upper()}{cc.uos[1:]}"
        + (": set by finance" if cc.hospital_wide_uos else ""),
        "return": return_line(t, ref),
    }


def _text(cell: Cell, value: str) -> None:
    """Write text that is never taken for a formula and holds no characters Excel rejects."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"


def _validation(rule: Rule, cap: int, lay: Layout) -> DataValidation:
    high = cap if rule.high is None else rule.high
    rule = replace(rule, high=high)
    common: dict[str, Any] = {
        "allow_blank": True,
        "showErrorMessage": True,
        "errorStyle": "stop",
        "showInputMessage": True,
        "promptTitle": rule.title[:32],
        "prompt": rule.prompt[:255],
        "errorTitle": "Not accepted",
        "error": rule.error[:225],
    }
    if rule.kind == "list":
        offered = lay.names[rule.source].absolute if rule.source else f'"{",".join(rule.offered)}"'
        return DataValidation(type="list", formula1=offered, **common)
    return DataValidation(
        type=rule.kind,
        operator="between",
        formula1=f"{rule.low:.15g}",
        formula2=f"{high:.15g}",
        **common,
    )


def _page_setup(ws: Worksheet, lay: Layout, footer: str) -> None:
    for col, width in lay.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in lay.heights.items():
        ws.row_dimensions[row].height = height
    ws.freeze_panes = FREEZE
    ws.sheet_view.showGridLines = False
    ws.sheet_view.zoomScale = 90
    first_input = lay.names["hb_volume_forecast"].cells()[0]
    ws.sheet_view.selection[0].activeCell = Area(*first_input).ref
    ws.sheet_view.selection[0].sqref = Area(*first_input).ref
    ws.sheet_properties.tabColor = S.NAVY
    ws.print_area = lay.print_area
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.left.text = footer
    ws.oddFooter.right.text = "Page &P of &N"


def _protect(ws: Worksheet, password: str) -> None:
    ws.protection.sheet = True
    ws.protection.password = password
    # managers may resize rows and columns (long rationales, "####"), nothing else
    ws.protection.formatRows = False
    ws.protection.formatColumns = False


@dataclass(frozen=True)
class SheetValues:
    """What differs between two cost centers' Budget sheets: the rest is the fixed layout."""

    cells: dict[tuple[int, int], object]  # (row, column) -> value of every name and header field
    cap: int  # upper bound of a month's volume forecast (data validation)
    footer: str
    guide: tuple[str, ...] = ()  # the Instructions sheet's lines (guide.guide_lines)
    variant: Variant = DEFAULT  # the layout's styles for this cost center (layout.variant_of)


@cache
def _name_cells() -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """Every contract name with its cells (row-major), in the layout's order."""
    return tuple((name, tuple(area.cells())) for name, area in layout().names.items())


def budget_cells(
    t: CostCenterTarget, ref: Reference, names: Container[str] | None = None
) -> dict[tuple[int, int], object]:
    """(row, column) -> value written into the header fields and into the cells of `names`
    (every name when None) of `t`'s Budget sheet."""
    g = ref.config.guardrails
    values = prefill(t, g.divergence_tolerance_pct, g.divergence_tolerance_amount)
    cells: dict[tuple[int, int], object] = {}
    for name, rcs in _name_cells():
        if names is None or name in names:
            for rc, v in zip(rcs, values.get(name, ()), strict=False):
                cells[rc] = _number(v)
    lay = layout()
    if names is None or "hb_capital_categories" in names:
        slots = lay.names["hb_capital_categories"].cells()
        categories = [p.category for p in ref.config.capital_priorities][:CATEGORY_SLOTS]
        for rc, category in zip(slots, categories, strict=False):
            cells[rc] = ILLEGAL_CHARACTERS_RE.sub("", category)
    fields = header_fields(t, ref)
    for key, rc in lay.fields.items():
        cells[rc] = ILLEGAL_CHARACTERS_RE.sub("", fields[key])
    return cells


def sheet_values(t: CostCenterTarget, ref: Reference) -> SheetValues:
    """The per-cost-center content of a Budget sheet, as written into its cells."""
    footer = (
        f"{t.cost_center.cost_center_code} FY{ref.config.fiscal_year} budget template "
        f"v{ref.config.templates.version}"
    )
    guide = tuple(ILLEGAL_CHARACTERS_RE.sub("", line) for line in guide_lines(t, ref))
    return SheetValues(budget_cells(t, ref), volume_cap(t), footer, guide, variant_of(t))


def build_budget_sheet(ws: Worksheet, t: CostCenterTarget, ref: Reference) -> None:
    """Fill an empty worksheet with one cost center's Budget sheet (styles, values, rules)."""
    paint_budget_sheet(ws, sheet_values(t, ref))


def paint_budget_sheet(ws: Worksheet, content: SheetValues) -> None:
    """Fill an empty worksheet with the fixed layout and one cost center's values."""
    lay = layout(content.variant)
    dynamic = content.cells
    # merge while the cells are still unstyled (openpyxl re-borders styled merges slowly), then
    # give every cell of a merge its first cell's style, so all of it is unlocked or locked alike
    for area in lay.merges:
        ws.merge_cells(area.ref)
    painter = _Painter()
    for (r, c), slot in lay.cells.items():
        cell = ws.cell(row=r, column=c)
        value = dynamic.get((r, c), slot.value)
        if isinstance(value, str) and (r, c) in dynamic:
            _text(cell, value)
        elif value is not None:
            cell.value = value
        painter.paint(cell, slot.style)
    for area in lay.merges:
        style = lay.cells[(area.row, area.col)].style
        for r, c in area.cells()[1:]:
            painter.paint(ws.cell(row=r, column=c), style)
    for name, rule in lay.rules.items():
        dv = _validation(rule, content.cap, lay)
        dv.add(lay.names[name].ref)
        ws.add_data_validation(dv)
    for h in lay.highlights:
        ws.conditional_formatting.add(h.ref, FormulaRule(formula=[h.formula], fill=S.WARN_FILL))
    _page_setup(ws, lay, content.footer)


def _define_names(wb: Workbook, lay: Layout) -> None:
    sheet = quote_sheetname(BUDGET_SHEET)
    for name, area in lay.names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!{area.absolute}")


_GUIDE_FONTS = {"title": S.TITLE_FONT, "section": S.GUIDE_SECTION_FONT, "body": S.GUIDE_FONT}


def _guide_sheet(wb: Workbook, lines: tuple[str, ...], password: str) -> None:
    """The Instructions sheet: one line per row, 11 pt, printed portrait at 100%."""
    ws = wb.create_sheet(GUIDE_SHEET)
    ws.column_dimensions["A"].width = GUIDE_WIDTH
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, (role, text) in enumerate(zip(GUIDE_ROLES, lines, strict=True), start=1):
        cell = ws.cell(row=row, column=1)
        _text(cell, text)
        cell.font, cell.alignment = _GUIDE_FONTS[role], wrap  # no row height: rows fit their text
    ws.sheet_view.showGridLines = False
    ws.sheet_properties.tabColor = S.NAVY
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:A{len(lines)}"
    ws.page_margins.left = ws.page_margins.right = 0.5  # 7.5 in for the 7.3 in column: 100%
    ws.protection.sheet = True
    ws.protection.password = password


def _meta_sheet(wb: Workbook, meta: dict[str, str], password: str) -> None:
    ws = wb.create_sheet(META_SHEET)
    ws.append(["key", "value"])
    for key in META_KEYS:
        ws.append([key, meta[key]])
        ws.cell(row=ws.max_row, column=2).data_type = "s"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 70
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
    ws.protection.password = password


def template_meta(
    t: CostCenterTarget,
    ref: Reference,
    template_id: str | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, str]:
    """A template's metadata, all but its fingerprint (taken over the finished Budget sheet)."""
    cfg = ref.config
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return {
        "template_id": template_id or uuid.uuid4().hex,
        "cost_center": t.cost_center.cost_center_code,
        "entity": ref.organization.entity_of(t.cost_center.cost_center_code).entity_code,
        "fiscal_year": str(cfg.fiscal_year),
        "schema_version": SCHEMA_VERSION,
        "template_version": str(cfg.templates.version),
        "generated_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "generator": f"hybridbudget {__version__}",
    }


def assemble_template(
    content: SheetValues, meta: dict[str, str], password: str
) -> tuple[Workbook, dict[str, str]]:
    """The template workbook for a Budget sheet's content and metadata (fingerprint added)."""
    wb = Workbook()
    ws = wb.active
    ws.title = BUDGET_SHEET
    paint_budget_sheet(ws, content)
    _protect(ws, password)
    _define_names(wb, layout())
    meta = meta | {"fingerprint": fingerprint(ws)}
    _guide_sheet(wb, content.guide, password)
    _meta_sheet(wb, meta, password)
    wb.security = WorkbookProtection(workbookPassword=password, lockStructure=True)
    return wb, meta


def build_template(
    t: CostCenterTarget,
    ref: Reference,
    template_id: str | None = None,
    generated_at: dt.datetime | None = None,
) -> tuple[Workbook, dict[str, str]]:
    """One cost center's template workbook and its metadata (not yet saved)."""
    return assemble_template(
        sheet_values(t, ref),
        template_meta(t, ref, template_id, generated_at),
        ref.config.templates.password,
    )


def budget_cached_values(content: SheetValues) -> dict[str, Any]:
    """Coordinate -> the value of every formula on a Budget sheet holding `content`, as Excel
    computes it (written as the cells' cached values)."""
    lay = layout()
    formulas = {(BUDGET_SHEET, *rc): f"{s.value}" for rc, s in lay.cells.items()
                if isinstance(s.value, str) and s.value.startswith("=")}  # fmt: skip
    values: dict[tuple[str, int, int], object] = {
        (BUDGET_SHEET, *rc): content.cells.get(rc, s.value) for rc, s in lay.cells.items()
    }
    return {coordinate(cell): v for cell, v in evaluate(formulas, values).items()}


def template_parts(wb: Workbook, content: SheetValues) -> dict[str, bytes]:
    """A built template's package parts, formulas carrying their cached values."""
    parts = workbook_parts(wb)
    xml = parts[BUDGET_PART].decode("utf-8")
    parts[BUDGET_PART] = with_cached_values(xml, budget_cached_values(content)).encode("utf-8")
    return parts


def write_template(
    path: Path, t: CostCenterTarget, ref: Reference, generated_at: dt.datetime | None = None
) -> dict[str, str]:
    """Build and save one template atomically; returns its metadata."""
    wb, meta = build_template(t, ref, generated_at=generated_at)
    save_parts(path, template_parts(wb, sheet_values(t, ref)))
    return meta

"""Read a template by its contract names, and turn what it holds into drivers.

Both functions take whatever a manager sends back and never raise on its content: a missing or
broken name is left out of the values, a blank or non-numeric cell counts as 0 in the drivers.
The validator reports those problems; these functions only read.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

from ..engine.drivers import Drivers, StaffDrivers, compute
from ..engine.money import sum_cents
from ..engine.tolerance import beyond_tolerance
from ..model.line_items import JOB_CLASSES, salary_line
from .contract import META_SHEET, NAMES

# Line item code -> (output name, position in it): where each engine line shows on the template.
LINE_OUTPUTS: dict[str, tuple[str, int]] = {
    "REV": ("hb_out_revenue", 0),
    **{salary_line(j): ("hb_out_salaries", i) for i, j in enumerate(JOB_CLASSES)},
    "AGY": ("hb_out_agency", 0),
    "BEN": ("hb_out_benefits", 0),
    "SUP": ("hb_out_supplies", 0),
    "DRG": ("hb_out_drugs", 0),
    "PUR": ("hb_out_purchased", 0),
    "OTH": ("hb_out_other", 0),
}


def _open(wb_or_path: Workbook | Path | str, data_only: bool) -> Workbook:
    if isinstance(wb_or_path, Workbook):
        return wb_or_path
    return load_workbook(Path(wb_or_path), data_only=data_only)


NameRange = tuple[str, int, int, int, int]  # sheet, min column, min row, max column, max row


def name_ranges(wb: Workbook, name: str) -> list[NameRange] | None:
    """Where a workbook-level defined name points; None when it does not resolve to cells."""
    defined = wb.defined_names.get(name)
    if defined is None:
        return None
    try:
        destinations = list(defined.destinations)
    except Exception:  # a broken reference (#REF!, an external link): not readable
        return None
    if not destinations:  # #REF! and other references to no cells
        return None
    out: list[NameRange] = []
    for sheet, ref in destinations:
        if sheet not in wb.sheetnames:
            return None
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        except (ValueError, TypeError):
            return None
        if None in (min_col, min_row, max_col, max_row):
            return None  # whole rows or columns are not a contract shape
        out.append((sheet, min_col, min_row, max_col, max_row))
    return out


def _name_values(wb: Workbook, name: str) -> list | None:
    """The cells of a workbook-level defined name, row-major; None when it does not resolve."""
    ranges = name_ranges(wb, name)
    if ranges is None:
        return None
    out: list = []
    for sheet, min_col, min_row, max_col, max_row in ranges:
        for row in wb[sheet].iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col, values_only=True
        ):
            out.extend(row)
    return out


def read_template_values(
    wb_or_path: Workbook | Path | str, data_only: bool = True
) -> dict[str, list]:
    """Contract name -> the values of its cells (row-major), for every name that resolves.

    Works on workbooks loaded with data_only True (computed values) or False (formula text); a
    path is loaded with `data_only`.
    """
    wb = _open(wb_or_path, data_only)
    out = {}
    for n in NAMES:
        values = _name_values(wb, n.name)
        if values is not None:
            out[n.name] = values
    return out


def read_meta(wb_or_path: Workbook | Path | str) -> dict[str, str]:
    """The key/value rows of the Meta sheet (empty when there is none)."""
    wb = _open(wb_or_path, data_only=True)
    if META_SHEET not in wb.sheetnames:
        return {}
    meta: dict[str, str] = {}
    for row in wb[META_SHEET].iter_rows(min_row=2, max_col=2, values_only=True):
        key, value = (*row, None, None)[:2]
        if key is not None:
            meta[str(key).strip()] = "" if value is None else str(value).strip()
    return meta


def number(value: object) -> float:
    """A cell as a number: blank, text, booleans, NaN and infinities count as 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return 0.0
    x = float(value)
    return x if math.isfinite(x) else 0.0


def _numbers(values: Mapping[str, list], name: str, size: int) -> list[float]:
    cells = list(values.get(name) or [])[:size]
    return [number(v) for v in cells] + [0.0] * (size - len(cells))


def _one(values: Mapping[str, list], name: str) -> float:
    return _numbers(values, name, 1)[0]


def drivers_from_values(values: Mapping[str, list]) -> Drivers:
    """The drivers a template's inputs and givens describe (missing or junk -> 0)."""
    n = len(JOB_CLASSES)
    by_class = {
        key: _numbers(values, name, n)
        for key, name in (
            ("fte", "hb_fte"),
            ("wage_rate", "hb_wage_rate"),
            ("overtime_pct", "hb_overtime_pct"),
            ("agency_fte", "hb_agency_fte"),
            ("agency_rate", "hb_agency_rate"),
        )
    }
    staffing = {
        j: StaffDrivers(**{key: column[i] for key, column in by_class.items()})
        for i, j in enumerate(JOB_CLASSES)
    }
    return Drivers(
        volume=tuple(_numbers(values, "hb_volume_forecast", 12)),
        revenue_per_uos=_one(values, "hb_revenue_per_uos"),
        productive_ratio=_one(values, "hb_productive_ratio"),
        benefits_load=_one(values, "hb_benefits_load"),
        staffing=staffing,
        supplies_per_uos=_one(values, "hb_supplies_per_uos"),
        drugs_per_uos=_one(values, "hb_drugs_per_uos"),
        purchased_services=_one(values, "hb_purchased_services"),
        other_expense=_one(values, "hb_other_expense"),
    )


def expected_outputs(values: Mapping[str, list]) -> dict[str, list[float]]:
    """What every output name should show, by the engine (drivers.compute and the tolerance rule).

    Intake compares a returned template's outputs with these; tests compare LibreOffice's.
    """
    fig = compute(drivers_from_values(values))
    revenue, labor, nonlabor = (
        _one(values, n) for n in ("hb_target_revenue", "hb_target_labor", "hb_target_nonlabor")
    )
    pct, amount = _one(values, "hb_tolerance_pct"), _one(values, "hb_tolerance_amount")

    def flag(budget: float, target: float) -> list[float]:
        return [1.0 if beyond_tolerance(sum_cents([budget, -target]), target, pct, amount) else 0.0]

    out: dict[str, list[float]] = {}
    for code, (name, i) in LINE_OUTPUTS.items():
        out.setdefault(name, []).insert(i, fig.lines[code])
    return out | {
        "hb_out_volume": [fig.volume],
        "hb_out_labor": [fig.labor_cost],
        "hb_out_nonlabor": [fig.nonlabor_cost],
        "hb_out_expense": [fig.expense],
        "hb_out_margin": [fig.margin],
        "hb_out_fte": [fig.fte],
        "hb_out_worked_hours": [fig.worked_hours],
        "hb_out_whpuos": [fig.worked_hours_per_uos],
        "hb_out_gap_margin": [sum_cents([fig.margin, -sum_cents([revenue, -labor, -nonlabor])])],
        "hb_need_rationale_volume": flag(fig.revenue, revenue),
        "hb_need_rationale_staffing": flag(fig.labor_cost, labor),
        "hb_need_rationale_nonlabor": flag(fig.nonlabor_cost, nonlabor),
    }

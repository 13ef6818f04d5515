"""The checks on one submission: small functions returning findings, listed in fixed tuples.

Identity checks run first; content checks run only on a template intake can interpret (our
template, this fiscal year and schema, a known cost center). Limits come from the template's own
data validation rules (templates.layout) and the control workbook (staffing bands, tolerances).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from openpyxl.utils.cell import coordinate_to_tuple

from ..engine.targets import CostCenterTarget, Targets
from ..findings import Finding, run_checks
from ..model.line_items import JOB_CLASSES
from ..model.reference import Reference
from ..templates.contract import (
    BUDGET_SHEET,
    CAPITAL_ROWS,
    META_KEYS,
    META_SHEET,
    NAME_BY_ID,
    PRIORITIES,
    SCHEMA_VERSION,
)
from ..templates.fingerprint import expected_formulas, fingerprint, locked_lines
from ..templates.layout import layout
from ..templates.values import expected_outputs, number
from ..templates.writer import build_template, volume_cap
from .files import finding
from .submission import Submission, cell_of

REQUIRED = ("hb_volume_forecast", "hb_fte", "hb_supplies_per_uos", "hb_drugs_per_uos",
            "hb_purchased_services", "hb_other_expense")  # fmt: skip
NUMERIC_INPUTS = tuple(
    n.name for n in NAME_BY_ID.values() if n.role == "input" and n.kind == "number"
)
RATIONALES = (
    ("hb_need_rationale_volume", "hb_rationale_volume", "volume (net revenue)"),
    ("hb_need_rationale_staffing", "hb_rationale_staffing", "staffing (labor cost)"),
    ("hb_need_rationale_nonlabor", "hb_rationale_nonlabor", "non-labor cost"),
)
CACHE_TOLERANCE = 0.005  # half a cent: engines disagree on ROUND half-way cases


@dataclass(frozen=True)
class Context:
    """What every check may consult: the control workbook's reference data and targets."""

    reference: Reference
    targets: Targets

    @cached_property
    def bands(self) -> dict[str, tuple[float, float]]:
        return {j.job_class: (j.fte_band_low, j.fte_band_high) for j in self.reference.job_classes}


@dataclass
class Review:
    sub: Submission
    ctx: Context

    @property
    def target(self) -> CostCenterTarget | None:
        return self.ctx.targets.by_cost_center.get(self.sub.cost_center)

    @cached_property
    def expected(self) -> dict[str, list[float]]:
        """What every output should show, by the engine (computed once per submission)."""
        return expected_outputs(self.sub.values)

    def at(self, code: str, message: str, cell: str = "", value: Any = "", sheet: str = BUDGET_SHEET,
           expected: str = "") -> Finding:  # fmt: skip
        return finding(
            code,
            message,
            self.sub.file,
            sheet=sheet if cell or sheet != BUDGET_SHEET else BUDGET_SHEET,
            cell=cell,
            cost_center=self.sub.cost_center,
            value="" if value is None else str(value),
            expected=expected,
        )


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _label(name: str, i: int) -> str:
    n = NAME_BY_ID[name]
    what = n.description.split(" by ")[0].split(":")[-1].strip()
    if n.rows == len(JOB_CLASSES) and n.cols == 1:
        return f"{what} ({JOB_CLASSES[i]})"
    if n.cols == 12:
        return f"{what} ({['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][i]})"
    if n.rows > 1:
        return f"{what} (row {i + 1})"
    return what


# --- identity --------------------------------------------------------------------------------


def meta_cell(key: str) -> str:
    """Where the template writes a metadata value on the Meta sheet (key in A, value in B)."""
    return f"B{META_KEYS.index(key) + 2}"


def check_is_template(r: Review) -> Iterator[Finding]:
    missing = [k for k in ("cost_center", "fiscal_year", "schema_version") if not r.sub.meta.get(k)]
    absent = [n for n in NAME_BY_ID if n not in r.sub.values]
    if missing or len(absent) == len(NAME_BY_ID):
        yield r.at("NOT_TEMPLATE", "this workbook is not a hybridbudget budget template (its "
                   "metadata is missing); fill in the template finance sent", sheet="")  # fmt: skip


def check_fiscal_year(r: Review) -> Iterator[Finding]:
    want = str(r.ctx.reference.config.fiscal_year)
    got = r.sub.meta.get("fiscal_year", "")
    if got and got != want:
        yield r.at("WRONG_FISCAL_YEAR", f"this template is for fiscal year {got}, not {want}; "
                   "use this year's template", meta_cell("fiscal_year"), got, META_SHEET, want)  # fmt: skip


def check_schema(r: Review) -> Iterator[Finding]:
    got = r.sub.meta.get("schema_version", "")
    if got and got != SCHEMA_VERSION:
        yield r.at("WRONG_SCHEMA", f"this template has layout version {got}; intake reads version "
                   f"{SCHEMA_VERSION}; ask finance for a new template", meta_cell("schema_version"),
                   got, META_SHEET, SCHEMA_VERSION)  # fmt: skip


def check_cost_center(r: Review) -> Iterator[Finding]:
    cc = r.sub.cost_center
    if cc and cc not in r.ctx.targets.by_cost_center:
        yield r.at("UNKNOWN_COST_CENTER", f"cost center {cc} is not on the Organization sheet",
                   meta_cell("cost_center"), cc, META_SHEET)  # fmt: skip


IDENTITY_CHECKS = (check_is_template, check_fiscal_year, check_schema, check_cost_center)


# --- integrity -------------------------------------------------------------------------------


def _norm_formula(f: Any) -> str:
    text = str(f).upper().replace(" ", "").replace("$", "").replace("_XLFN.", "")
    return text.removeprefix("=")


def check_formulas(r: Review) -> Iterator[Finding]:
    for coord, want in expected_formulas().items():
        got = r.sub.cells.get(coord)
        if isinstance(got, str) and got.startswith("="):
            if _norm_formula(got) != _norm_formula(want):
                yield r.at("FORMULA_CHANGED", f"the formula in {coord} was changed; the template's "
                           "calculations can no longer be trusted", coord, got, expected=want)  # fmt: skip
        else:
            yield r.at("FORMULA_CHANGED", f"the formula in {coord} was overwritten with a value; "
                       "leave computed (blue) cells alone", coord, got, expected=want)  # fmt: skip


def check_protection(r: Review) -> Iterator[Finding]:
    if not r.sub.protected:
        yield r.at("PROTECTION_REMOVED", "the Budget sheet's protection was removed; the figures "
                   "were still checked cell by cell")  # fmt: skip


def check_locked_content(r: Review) -> Iterator[Finding]:
    stored = r.sub.meta.get("fingerprint", "")
    if not stored or r.sub.fingerprint == stored or r.target is None:
        return
    regenerated = build_template(r.target, r.ctx.reference)[0][BUDGET_SHEET]
    sent = dict(line.split("=", 1) for line in locked_lines(regenerated))
    formulas = set(expected_formulas())
    if fingerprint(regenerated) != stored:  # the givens changed since: the cell cannot be named
        yield r.at("LOCKED_EDITED", "locked content differs from the template finance sent "
                   "(fingerprint mismatch)", expected=stored, value=r.sub.fingerprint)  # fmt: skip
        return
    for coord in sorted(set(sent) | set(r.sub.locked), key=_order):
        if coord in formulas:
            continue  # reported by check_formulas
        if sent.get(coord) != r.sub.locked.get(coord):
            yield r.at("LOCKED_EDITED", f"locked cell {coord} was edited (sent "
                       f"{sent.get(coord)!r}, found {r.sub.locked.get(coord)!r})", coord,
                       r.sub.locked.get(coord), expected=sent.get(coord) or "")  # fmt: skip


def _order(coord: str) -> tuple[int, int]:
    return coordinate_to_tuple(coord)


def check_cached_results(r: Review) -> Iterator[Finding]:
    """Compare what the workbook computed (when it stored results) with the engine."""
    for name, want in r.expected.items():
        for i, (w, got) in enumerate(zip(want, r.sub.cached.get(name, []), strict=False)):
            if _is_number(got) and abs(float(got) - w) > CACHE_TOLERANCE:
                yield r.at("CACHED_MISMATCH", f"the workbook shows {float(got):,.2f} for "
                           f"{NAME_BY_ID[name].description.lower()}; the engine computes {w:,.2f} "
                           "from the same inputs (the engine's figure is used)", cell_of(name, i),
                           got, expected=f"{w:.2f}")  # fmt: skip


# --- content ---------------------------------------------------------------------------------


def _input_cells(r: Review, name: str) -> Iterator[tuple[int, Any]]:
    yield from enumerate(r.sub.values.get(name, []))


def check_numbers(r: Review) -> Iterator[Finding]:
    """Text in numbers, negatives, values outside the template's own validation rules."""
    rules = layout().rules
    cap = volume_cap(r.target) if r.target is not None else None
    for name in NUMERIC_INPUTS:
        rule = rules[name]
        high = cap if rule.high is None else rule.high
        for i, v in _input_cells(r, name):
            where, label = cell_of(name, i), _label(name, i)
            if _blank(v):
                continue
            if not _is_number(v):
                yield r.at("NOT_A_NUMBER", f"{label}: {v!r} is not a number", where, v)
            elif v < 0:
                yield r.at("NEGATIVE", f"{label} cannot be negative ({v:,})", where, v)
            elif high is not None and v > high:
                yield r.at("OUT_OF_RANGE", f"{label}: {v:,} is above the allowed {high:,}", where,
                           v, expected=f"<= {high:g}")  # fmt: skip
            elif rule.kind == "whole" and float(v) != int(v):
                yield r.at("OUT_OF_RANGE", f"{label}: {v:,} is not a whole number", where, v)


def check_required(r: Review) -> Iterator[Finding]:
    fte = r.sub.values.get("hb_fte", [])
    for name in REQUIRED:
        for i, v in _input_cells(r, name):
            if _blank(v):
                yield r.at("REQUIRED_BLANK", f"{_label(name, i)} is blank; enter a value (0 if "
                           "none)", cell_of(name, i))  # fmt: skip
    for i, v in _input_cells(r, "hb_wage_rate"):
        if _blank(v) and i < len(fte) and number(fte[i]) > 0:
            yield r.at("REQUIRED_BLANK", f"{_label('hb_wage_rate', i)} is blank but FTEs are "
                       "budgeted", cell_of("hb_wage_rate", i))  # fmt: skip


def check_staffing_band(r: Review) -> Iterator[Finding]:
    t = r.target
    if t is None:
        return
    for i, j in enumerate(JOB_CLASSES):
        values = r.sub.values.get("hb_fte", [])
        if i >= len(values) or not _is_number(values[i]):
            continue
        budget, target = float(values[i]), t.drivers.staff(j).fte
        low, high = r.ctx.bands.get(j, (0.0, math.inf))
        if target > 0 and not (low * target - 1e-9 <= budget <= high * target + 1e-9):
            yield r.at("FTE_OUTSIDE_BAND", f"{j} FTEs {budget:,.2f} are outside the staffing band "
                       f"{low * target:,.2f} to {high * target:,.2f} ({low:.0%}-{high:.0%} of the "
                       f"target {target:,.2f})", cell_of("hb_fte", i), budget,
                       expected=f"{low * target:.2f}..{high * target:.2f}")  # fmt: skip
        elif target == 0 and budget > 0:
            yield r.at("FTE_OUTSIDE_BAND", f"{j}: {budget:,.2f} FTEs budgeted where the target has "
                       "none", cell_of("hb_fte", i), budget, expected="0")  # fmt: skip


def check_wage_rates(r: Review) -> Iterator[Finding]:
    t = r.target
    if t is None:
        return
    tol = r.ctx.reference.config.guardrails.wage_rate_tolerance_pct
    wages, ftes = r.sub.values.get("hb_wage_rate", []), r.sub.values.get("hb_fte", [])
    for i, j in enumerate(JOB_CLASSES):
        prior = t.prior.staff(j).wage_rate
        if i >= len(wages) or not _is_number(wages[i]) or prior <= 0:
            continue
        if i < len(ftes) and number(ftes[i]) <= 0:
            continue
        wage = float(wages[i])
        if abs(wage - prior) > tol * prior:
            yield r.at("WAGE_FAR_FROM_PAYROLL", f"{j} wage rate {wage:,.2f} is {wage / prior - 1:+.0%} "
                       f"from the payroll history ({prior:,.2f}); the tolerance is {tol:.0%}",
                       cell_of("hb_wage_rate", i), wage, expected=f"{prior:.2f}")  # fmt: skip


def check_rationales(r: Review) -> Iterator[Finding]:
    for flag, text, label in RATIONALES:
        if r.expected[flag][0] == 1 and _blank((r.sub.values.get(text) or [None])[0]):
            yield r.at("RATIONALE_MISSING", f"the {label} forecast departs from the top-down target "
                       "beyond tolerance: explain why in the rationale cell", cell_of(text))  # fmt: skip


def check_capital(r: Review) -> Iterator[Finding]:
    v = r.sub.values
    for i in range(CAPITAL_ROWS):
        item = (v.get("hb_capital_item") or [None] * CAPITAL_ROWS)[i]
        amount = (v.get("hb_capital_amount") or [None] * CAPITAL_ROWS)[i]
        priority = (v.get("hb_capital_priority") or [None] * CAPITAL_ROWS)[i]
        why = (v.get("hb_capital_justification") or [None] * CAPITAL_ROWS)[i]
        if all(_blank(x) for x in (item, amount, priority, why)):
            continue
        row = f"capital request {i + 1}"
        if _blank(item):
            yield r.at("CAPITAL_INCOMPLETE", f"{row} has no item", cell_of("hb_capital_item", i))
        if _blank(amount) or (_is_number(amount) and amount == 0):
            yield r.at(
                "CAPITAL_INCOMPLETE", f"{row} has no amount", cell_of("hb_capital_amount", i)
            )
        if _blank(why):
            yield r.at("CAPITAL_INCOMPLETE", f"{row} has no justification",
                       cell_of("hb_capital_justification", i))  # fmt: skip
        if not _blank(priority) and priority not in PRIORITIES:
            yield r.at("OUT_OF_RANGE", f"{row}: priority {priority!r} is not one of "
                       f"{', '.join(PRIORITIES)}", cell_of("hb_capital_priority", i), priority)  # fmt: skip


def check_months_add_up(r: Review) -> Iterator[Finding]:
    """The annual volume shown must be the sum of the months (where the total was typed over)."""
    shown = (r.sub.values.get("hb_out_volume") or [None])[0]
    months = [number(x) for x in r.sub.values.get("hb_volume_forecast", [])]
    if _is_number(shown) and abs(float(shown) - sum(months)) > 0.5:
        yield r.at("MONTHS_NOT_ANNUAL", f"the annual volume shows {float(shown):,.0f} but the months "
                   f"add up to {sum(months):,.0f}", cell_of("hb_out_volume"), shown,
                   expected=f"{sum(months):g}")  # fmt: skip


INTEGRITY_CHECKS = (check_formulas, check_protection, check_locked_content, check_cached_results)
CONTENT_CHECKS = (check_numbers, check_required, check_staffing_band, check_wage_rates,
                  check_rationales, check_capital, check_months_add_up)  # fmt: skip


def review(sub: Submission, ctx: Context) -> list[Finding]:
    """Every finding on one submission; a crashing check becomes an INTERNAL finding."""
    r = Review(sub, ctx)
    found = run_checks(IDENTITY_CHECKS, r, sub.file)
    if any(f.severity == "error" for f in found):
        return found
    return found + run_checks(INTEGRITY_CHECKS + CONTENT_CHECKS, r, sub.file)

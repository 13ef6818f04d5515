"""The checks on one submission: small functions returning findings, listed in fixed tuples.

Identity checks run first; content checks run only on a template intake can interpret (our
template, this fiscal year and schema, a known cost center). Limits come from the template's own
data validation rules (templates.layout) and the control workbook (staffing bands, tolerances).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from openpyxl.utils.cell import coordinate_to_tuple

from ..control.register import Register
from ..engine.targets import CostCenterTarget, Targets
from ..findings import Finding, run_checks
from ..model.line_items import JOB_CLASSES, MONTHS
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
from ..templates.fingerprint import expected_formulas
from ..templates.issued import IssuedCopy, field_at, issued_copy, name_at, static_cells
from ..templates.layout import layout
from ..templates.values import expected_outputs, number
from ..templates.writer import volume_cap
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
LABELS_OUT_OF_PLACE = 3  # more fixed labels than this off their cells: rows or columns moved


@dataclass(frozen=True)
class Context:
    """What every check may consult: the control workbook's reference data and targets."""

    reference: Reference
    targets: Targets
    register: Register = field(default_factory=Register)
    _issued: dict[str, IssuedCopy] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def bands(self) -> dict[str, tuple[float, float]]:
        return {j.job_class: (j.fte_band_low, j.fte_band_high) for j in self.reference.job_classes}

    def issued(self, cost_center: str) -> IssuedCopy | None:
        """Finance's copy of the template issued to a cost center (built once per run)."""
        found = self._issued.get(cost_center)
        if found is None:
            t = self.targets.by_cost_center.get(cost_center)
            if t is None:
                return None
            found = self._issued[cost_center] = issued_copy(t, self.reference)
        return found


def trusted_values(sub: Submission, ctx: Context) -> dict[str, list[Any]]:
    """The submission's inputs with every given taken from finance's copy, never from the file."""
    issued = ctx.issued(sub.cost_center)
    return sub.values if issued is None else {**sub.values, **issued.givens}


@dataclass
class Review:
    sub: Submission
    ctx: Context

    @property
    def target(self) -> CostCenterTarget | None:
        return self.ctx.targets.by_cost_center.get(self.sub.cost_center)

    @cached_property
    def issued(self) -> IssuedCopy | None:
        return self.ctx.issued(self.sub.cost_center)

    @cached_property
    def expected(self) -> dict[str, list[float]]:
        """What every output should show, by the engine from the inputs and finance's givens."""
        return expected_outputs(trusted_values(self.sub, self.ctx))

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
    kind = type(v)
    if kind is int:  # most cells, first: isinstance of numbers.Real is slow
        return True
    if kind is float:
        return math.isfinite(v)
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


@cache
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


def check_issued(r: Review) -> Iterator[Finding]:
    """The file must answer to a template finance issued, and to the newest version of it."""
    meta, reg = r.sub.meta, r.ctx.register
    cc, year = r.sub.cost_center, meta.get("fiscal_year", "")
    if cc not in r.ctx.targets.by_cost_center or year != str(r.ctx.reference.config.fiscal_year):
        return  # reported by check_cost_center and check_fiscal_year
    version = r.sub.version()
    issue = reg.by_id.get(meta.get("template_id", ""))
    if issue is not None and (issue.cost_center, issue.fiscal_year, issue.version) != (
        cc,
        year,
        version,
    ):
        key = "cost_center" if issue.cost_center != cc else "template_version"
        yield r.at("NOT_ISSUED", f"this file is the template finance issued to {issue.cost_center} "
                   f"(FY{issue.fiscal_year} v{issue.version}, {issue.day}), but its Meta sheet "
                   f"says {cc} v{version}; send the template issued to you, unedited outside the "
                   "yellow cells", meta_cell(key), meta.get(key, ""), META_SHEET,
                   issue.cost_center if key == "cost_center" else str(issue.version))  # fmt: skip
        return
    newest = reg.newest(cc, year)
    if newest is not None and version < newest.version and reg.find(cc, year, version):
        yield r.at("STALE_VERSION", f"this is template v{version}; finance reissued "
                   f"v{newest.version} on {newest.day}: fill in the new template",
                   meta_cell("template_version"), str(version), META_SHEET, str(newest.version))  # fmt: skip
    elif issue is None and reg.find(cc, year, version) is None:
        issued = (f"the newest issued to {cc} is v{newest.version} ({newest.day})" if newest
                  else f"none was issued to {cc}" if reg.issues
                  else "no template has been issued from this control workbook yet")  # fmt: skip
        yield r.at("NOT_ISSUED", f"finance issued no FY{year} template v{version} for {cc} "
                   f"({issued}); fill in the template you received",
                   meta_cell("template_version"), str(version), META_SHEET,
                   str(newest.version) if newest else "")  # fmt: skip


COST_CENTER_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")


def named_cost_centers(file: str, known: Iterable[str]) -> set[str]:
    """The known cost center codes a file name spells out (RMC-03000_FY2027_v1.xlsx)."""
    known = set(known)
    stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    found = set()
    for token in COST_CENTER_TOKEN.findall(stem):
        parts = re.split(r"([-.])", token)
        words, seps = parts[::2], parts[1::2]
        for i in range(len(words)):
            text = words[i]
            for j in range(i, len(words)):
                if j > i:
                    text += seps[j - 1] + words[j]
                if text in known:
                    found.add(text)
    return found


def check_file_name(r: Review) -> Iterator[Finding]:
    cc = r.sub.cost_center
    if cc not in r.ctx.targets.by_cost_center:
        return  # UNKNOWN_COST_CENTER says it
    named = named_cost_centers(r.sub.file, r.ctx.targets.by_cost_center) - {cc}
    if named and cc:
        yield r.at("NAME_MISMATCH", f"the file name names {', '.join(sorted(named))} but the "
                   f"workbook inside is the template of {cc}; {cc} is what counts",
                   meta_cell("cost_center"), cc, META_SHEET, ", ".join(sorted(named)))  # fmt: skip


IDENTITY_CHECKS = (check_is_template, check_fiscal_year, check_schema, check_cost_center,
                   check_issued, check_file_name)  # fmt: skip


# --- integrity -------------------------------------------------------------------------------


def _norm_formula(f: Any) -> str:
    text = str(f).upper().replace(" ", "").replace("$", "").replace("_XLFN.", "")
    return text.removeprefix("=")


def check_formulas(r: Review) -> Iterator[Finding]:
    expected = expected_formulas()
    if r.sub.cells == expected:
        return  # every formula exactly as the template wrote it (most files)
    for coord, want in expected.items():
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


def _shown(text: str | None) -> str:
    """A normalised cell value as a person reads it: 1,180.5, 'Nursing', blank."""
    if text is None:
        return "blank"
    try:
        return f"{float(text):,.10g}"
    except ValueError:
        return repr(text)


def _what(coord: str) -> str:
    if coord in name_at():
        return _label(*name_at()[coord])
    if coord in field_at():
        return f"the header's {field_at()[coord].replace('_', ' ')}"
    return "the label"


@cache
def _issued_names() -> dict[str, list[tuple[str, int, int, int, int]]]:
    """Where every contract name points in the issued layout, as name_ranges reads it."""
    return {
        name: [(BUDGET_SHEET, a.col, a.row, a.col + a.cols - 1, a.row + a.rows - 1)]
        for name, a in layout().names.items()
    }


def check_layout(r: Review) -> Iterator[Finding]:
    """One finding when the Budget sheet is not laid out as issued: names repointed or missing,
    or rows or columns inserted or deleted (fixed labels off their cells)."""
    if not r.sub.values:
        yield r.at("LAYOUT_CHANGED", "the workbook has no Budget sheet; fill in the template as "
                   "finance issued it", sheet="")  # fmt: skip
        return
    moved = [n for n, want in _issued_names().items() if r.sub.names.get(n) != want]
    off = [(c, want) for c, want in static_cells().items() if r.sub.locked.get(c) != want]
    if not moved and len(off) <= LABELS_OUT_OF_PLACE:
        return
    if moved:
        first = layout().names[moved[0]]
        what = (f"{len(moved)} of the template's defined names point elsewhere or are missing "
                f"({', '.join(moved[:3])}{', ...' if len(moved) > 3 else ''}; {moved[0]} belongs "
                f"at {BUDGET_SHEET}!{first.ref})")  # fmt: skip
    else:
        coord, want = off[0]
        what = (f"rows or columns were inserted or deleted ({len(off)} fixed labels are off their "
                f"cells; {_shown(want)} belongs in {coord})")  # fmt: skip
    yield r.at("LAYOUT_CHANGED", f"the Budget sheet's layout was changed: {what}; intake reads "
               "only the layout finance issued, so nothing in this file was used: fill in the "
               "issued template without moving cells or names", value=", ".join(moved[:3]))  # fmt: skip


def check_locked_content(r: Review) -> Iterator[Finding]:
    """Every locked value compared with finance's copy, whatever the fingerprint says."""
    issued = r.issued
    if issued is None or r.sub.locked == issued.locked:
        return
    got, want = r.sub.locked, issued.locked
    for coord in sorted(set(want) | set(got), key=_order):
        if got.get(coord) != want.get(coord):
            yield r.at("LOCKED_EDITED", f"{_what(coord)} in {coord} is locked: the file holds "
                       f"{_shown(got.get(coord))}, finance issued {_shown(want.get(coord))} "
                       "(finance's value is the one that counts)", coord,
                       _shown(got.get(coord)), expected=_shown(want.get(coord)))  # fmt: skip


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
                yield r.at("NOT_A_NUMBER", f"{label}: {shown(v)} is not a number", where,
                           shown(v))  # fmt: skip
            elif v < 0:
                yield r.at("NEGATIVE", f"{label} cannot be negative ({v:,})", where, v)
            elif high is not None and v > high:
                yield r.at("OUT_OF_RANGE", f"{label}: {v:,} is above the allowed {high:,}", where,
                           v, expected=f"<= {high:g}")  # fmt: skip
            elif rule.kind == "whole" and float(v) != int(v):
                yield r.at("OUT_OF_RANGE", f"{label}: {v:,} is not a whole number", where, v)


def shown(v: Any) -> str:
    """A cell value as the person typed it: text quoted, dates as dates, numbers with commas."""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(" ", "minutes")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if _is_number(v):
        return f"{v:,.10g}"
    return f'"{v}"'


def check_text(r: Review) -> Iterator[Finding]:
    """Text inputs: taken as text whatever they start with (=, +, -, @), never longer than the
    template's own length rule promises."""
    for name, rule in layout().rules.items():
        if rule.kind != "textLength" or rule.high is None:
            continue
        for i, v in _input_cells(r, name):
            if _blank(v) or len(str(v)) <= rule.high:
                continue
            yield r.at("OUT_OF_RANGE", f"{_label(name, i)} is {len(str(v)):,} characters long; "
                       f"{rule.error}", cell_of(name, i), f"{str(v)[:40]}...",
                       expected=f"<= {rule.high:,.0f} characters")  # fmt: skip


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


CAPITAL_FIELDS = ("item", "amount", "priority", "justification", "category", "life",
                  "in_service")  # fmt: skip


def capital_rows(values: dict[str, list]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row index, field -> value) of every capital request row with anything typed in it."""
    for i in range(CAPITAL_ROWS):
        row = {k: (values.get(f"hb_capital_{k}") or [None] * CAPITAL_ROWS)[i]
               for k in CAPITAL_FIELDS}  # fmt: skip
        if not all(_blank(x) for x in row.values()):
            yield i, row


def check_capital(r: Review) -> Iterator[Finding]:
    """Each request complete; priority, category (finance's list), life and month valid."""
    categories = [p.category for p in r.ctx.reference.config.capital_priorities]
    for i, c in capital_rows(r.sub.values):
        row = f"capital request {i + 1}"
        amount, priority, category, life = c["amount"], c["priority"], c["category"], c["life"]
        for key, what, missing in (
            ("item", "item", _blank(c["item"])),
            ("amount", "amount", _blank(amount) or (_is_number(amount) and amount == 0)),
            ("justification", "justification", _blank(c["justification"])),
            ("category", "category", _blank(category)),
            ("life", "useful life", _blank(life)),
        ):
            if missing:
                yield r.at("CAPITAL_INCOMPLETE", f"{row} has no {what}",
                           cell_of(f"hb_capital_{key}", i))  # fmt: skip
        if not _blank(priority) and priority not in PRIORITIES:
            yield r.at("OUT_OF_RANGE", f"{row}: priority {shown(priority)} is not one of "
                       f"{', '.join(PRIORITIES)}", cell_of("hb_capital_priority", i), priority)  # fmt: skip
        if not _blank(category) and str(category).strip() not in categories:
            yield r.at("CAPITAL_CATEGORY", f"{row}: category {shown(category)} is not one of "
                       f"finance's capital categories ({', '.join(categories)})",
                       cell_of("hb_capital_category", i), category)  # fmt: skip
        if _is_number(life) and life == 0:  # text, negatives, fractions, > 600: check_numbers
            yield r.at("OUT_OF_RANGE", f"{row}: a useful life of {shown(life)} months; give at "
                       "least 1", cell_of("hb_capital_life", i), life, expected=">= 1")  # fmt: skip
        month = c["in_service"]
        if not _blank(month) and str(month).strip() not in MONTHS:
            yield r.at("OUT_OF_RANGE", f"{row}: in-service month {shown(month)} is not one of "
                       "Jan..Dec", cell_of("hb_capital_in_service", i), month)  # fmt: skip


def check_months_add_up(r: Review) -> Iterator[Finding]:
    """The annual volume shown must be the sum of the months (where the total was typed over)."""
    shown = (r.sub.values.get("hb_out_volume") or [None])[0]
    months = [number(x) for x in r.sub.values.get("hb_volume_forecast", [])]
    if _is_number(shown) and abs(float(shown) - sum(months)) > 0.5:
        yield r.at("MONTHS_NOT_ANNUAL", f"the annual volume shows {float(shown):,.0f} but the months "
                   f"add up to {sum(months):,.0f}", cell_of("hb_out_volume"), shown,
                   expected=f"{sum(months):g}")  # fmt: skip


# typed driver -> (the Drivers attribute it budgets, per job class?, the section's rationale)
PLAUSIBLE: tuple[tuple[str, str, bool, str], ...] = (
    ("hb_volume_forecast", "volume", False, "hb_rationale_volume"),
    ("hb_fte", "fte", True, "hb_rationale_staffing"),
    ("hb_wage_rate", "wage_rate", True, "hb_rationale_staffing"),
    ("hb_overtime_pct", "overtime_pct", True, "hb_rationale_staffing"),
    ("hb_agency_fte", "agency_fte", True, "hb_rationale_staffing"),
    ("hb_supplies_per_uos", "supplies_per_uos", False, "hb_rationale_nonlabor"),
    ("hb_drugs_per_uos", "drugs_per_uos", False, "hb_rationale_nonlabor"),
    ("hb_purchased_services", "purchased_services", False, "hb_rationale_nonlabor"),
    ("hb_other_expense", "other_expense", False, "hb_rationale_nonlabor"),
)


def _references(t: CostCenterTarget, attr: str, per_class: bool, i: int) -> list[tuple[str, float]]:
    """The prior-year and target values a typed driver is weighed against (non-zero only)."""
    out = []
    for what, d in (("prior year", t.prior), ("target", t.drivers)):
        v = getattr(d.staff(JOB_CLASSES[i]), attr) if per_class else getattr(d, attr)
        v = v[i] if isinstance(v, tuple) else v
        if v > 0:
            out.append((what, float(v)))
    return out


def check_plausible(r: Review) -> Iterator[Finding]:
    """Every typed driver against prior year and target: beyond the Guardrails' warning factor of
    both (and its section's rationale blank) a warning, beyond the error factor an error. Zeros
    and blanks are left to the other checks; capital has no prior year to weigh against."""
    t = r.target
    if t is None:
        return
    g = r.ctx.reference.config.guardrails
    warn, error = g.plausible_warn_factor, g.plausible_error_factor
    rules = layout().rules
    for name, attr, per_class, rationale in PLAUSIBLE:
        explained = not _blank((r.sub.values.get(rationale) or [None])[0])
        high = volume_cap(t) if rules[name].high is None else rules[name].high
        for i, v in _input_cells(r, name):
            if not _is_number(v) or v <= 0 or v > high:
                continue  # blank, text, negative or beyond the template's rule: check_numbers
            refs = _references(t, attr, per_class, i)
            if not refs:
                continue
            what, near = min(refs, key=lambda ref: max(v / ref[1], ref[1] / v))
            factor = max(v / near, near / v)  # against the closer of prior year and target
            if factor <= warn or (factor <= error and explained):
                continue
            where, label = cell_of(name, i), _label(name, i)
            said = f"{label}: {v:,.10g} is {v / near:,.3g}x the {what} ({near:,.10g})"
            if factor > error:
                yield r.at("DRIVER_IMPLAUSIBLE", f"{said}, beyond {error:g}x either way; check "
                           "the figure (a typing slip?)", where, v,
                           expected=f"{near / error:.6g}..{near * error:.6g}")  # fmt: skip
            else:
                yield r.at("DRIVER_UNUSUAL", f"{said}, beyond {warn:g}x either way; explain it "
                           f"in the rationale cell {cell_of(rationale)}", where, v,
                           expected=f"{near / warn:.6g}..{near * warn:.6g}")  # fmt: skip


INTEGRITY_CHECKS = (check_formulas, check_protection, check_locked_content, check_cached_results)
LAYOUT_CHECKS = (check_layout,)
CONTENT_CHECKS = (check_numbers, check_text, check_required, check_staffing_band, check_wage_rates,
                  check_rationales, check_capital, check_months_add_up, check_plausible)  # fmt: skip


def review(sub: Submission, ctx: Context) -> list[Finding]:
    """Every finding on one submission; a crashing check becomes an INTERNAL finding."""
    r = Review(sub, ctx)
    found = run_checks(IDENTITY_CHECKS, r, sub.file)
    if any(f.severity == "error" for f in found):
        return found
    found += run_checks(LAYOUT_CHECKS, r, sub.file)
    if any(f.severity == "error" for f in found):  # cells are not where the checks look
        return found
    return found + run_checks(INTEGRITY_CHECKS + CONTENT_CHECKS, r, sub.file)

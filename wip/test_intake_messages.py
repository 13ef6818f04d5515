"""Issue 22 item 5: the intake findings exactly as a department manager reads them.

One representative defect per check of intake/checks.py, on Med/Surg's (HWH-03000) template as
finance sends it (templates.writer.prefill), and the whole finding it must give: code, severity,
message, sheet, cell, value and expected value. The messages are product text (the manager's
only guide to the fix), so they are asserted word for word; the figures in them are worked by
hand from the fixture (tests/test_intake_boundaries.py and test_handworked_targets.py):
RN payroll wage 40.00, RN target 11.11 FTEs, staffing band 80%..125%, wage tolerance 20%,
volume cap 4,000, target net revenue 3,777 x 1,030.00 = 3,890,310.00.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from handworked import MEDSURG, System, load_system
from hybridbudget.findings import Finding
from hybridbudget.intake import checks
from hybridbudget.intake.files import Candidate
from hybridbudget.intake.submission import Submission
from hybridbudget.templates.contract import NAME_BY_ID
from hybridbudget.templates.fingerprint import expected_formulas, fingerprint, locked_lines
from hybridbudget.templates.writer import build_template, prefill

RN, LPN, CLER = 0, 1, 4  # rows of the job-class tables
META = {"cost_center": MEDSURG, "fiscal_year": "2027", "schema_version": "1"}
FILE = "HWH-03000.xlsx"


@pytest.fixture(scope="module")
def system() -> System:
    return load_system()


def submission(system: System, meta: dict[str, str] | None = None,
               values: dict[str, list[Any]] | None = None, **fields: Any) -> Submission:  # fmt: skip
    """Med/Surg's template as sent; `values` replace whole names, `fields` other attributes."""
    g = system.reference.config.guardrails
    target = system.targets.by_cost_center[MEDSURG]
    sent = {k: list(v) for k, v in prefill(target, g.divergence_tolerance_pct,
                                           g.divergence_tolerance_amount).items()}  # fmt: skip
    base = {"cached": {}, "cells": dict(expected_formulas()), "protected": True,
            "fingerprint": ""}  # fmt: skip
    return Submission(
        candidate=Candidate(Path(FILE), FILE),
        sha256="",
        modified=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        meta=META | (meta or {}) if meta is not None else dict(META),
        values=sent | (values or {}),
        **(base | fields),
    )


def review(system: System, **kw: Any) -> checks.Review:
    return checks.Review(submission(system, **kw), checks.Context(system.reference, system.targets))


def changed(system: System, name: str, i: int, v: Any) -> dict[str, list[Any]]:
    """The sent values of `name` with cell i set to v."""
    g = system.reference.config.guardrails
    sent = prefill(system.targets.by_cost_center[MEDSURG], g.divergence_tolerance_pct,
                   g.divergence_tolerance_amount)  # fmt: skip
    values = list(sent[name]) if name in sent else [None] * NAME_BY_ID[name].rows
    values[i] = v
    return {name: values}


def want(code: str, severity: str, message: str, cell: str = "", value: str = "",
         expected: str = "", sheet: str = "Budget") -> Finding:  # fmt: skip
    return Finding(code=code, severity=severity, message=message, file=FILE, sheet=sheet,
                   cell=cell, cost_center=MEDSURG, value=value, expected=expected)  # fmt: skip


# --- identity: the review stops at the first error ---------------------------------------------

NOT_TEMPLATE = want(
    "NOT_TEMPLATE", "error", "this workbook is not a hybridbudget budget template (its metadata "
    "is missing); fill in the template finance sent", sheet="")  # fmt: skip


@pytest.mark.parametrize("missing", ["cost_center", "fiscal_year", "schema_version"])
def test_not_a_template_when_any_identity_key_is_missing(system: System, missing: str) -> None:
    sub = submission(system)
    sub.meta[missing] = ""
    found = checks.review(sub, checks.Context(system.reference, system.targets))
    expected = NOT_TEMPLATE
    if missing == "cost_center":  # the finding carries the (now empty) cost center
        expected = expected.model_copy(update={"cost_center": ""})
    assert found == [expected]


def test_not_a_template_when_no_contract_name_is_present(system: System) -> None:
    sub = submission(system)
    sub.values = {}
    ctx = checks.Context(system.reference, system.targets)
    assert checks.review(sub, ctx) == [NOT_TEMPLATE]
    sub.values = {"hb_fte": [1.0]}  # one name is enough to be read as a template
    assert [f.code for f in checks.check_is_template(checks.Review(sub, ctx))] == []


def test_wrong_fiscal_year_schema_and_cost_center(system: System) -> None:
    ctx = checks.Context(system.reference, system.targets)
    year = submission(system, meta={"fiscal_year": "2026"})
    assert checks.review(year, ctx) == [want(
        "WRONG_FISCAL_YEAR", "error", "this template is for fiscal year 2026, not 2027; use this "
        "year's template", "B5", "2026", "2027", sheet="Meta")]  # fmt: skip
    schema = submission(system, meta={"schema_version": "0"})
    assert checks.review(schema, ctx) == [want(
        "WRONG_SCHEMA", "error", "this template has layout version 0; intake reads version 1; "
        "ask finance for a new template", "B6", "0", "1", sheet="Meta")]  # fmt: skip
    cc = submission(system, meta={"cost_center": "HWH-99999"})
    assert checks.review(cc, ctx) == [want(
        "UNKNOWN_COST_CENTER", "error", "cost center HWH-99999 is not on the Organization sheet",
        "B3", "HWH-99999", sheet="Meta").model_copy(update={"cost_center": "HWH-99999"})]  # fmt: skip


def test_the_template_as_sent_has_no_finding(system: System) -> None:
    assert checks.review(submission(system), checks.Context(system.reference, system.targets)) == []


# --- integrity ---------------------------------------------------------------------------------


def test_formula_changed_overwritten_and_harmless_spelling(system: System) -> None:
    cells = dict(expected_formulas())
    # case, spaces, $ anchors and Excel's _xlfn. prefix are the same formula
    cells["N14"] = "=_xlfn.sum( $b$14 : m14 )"
    cells["N15"] = "=SUM(B15:L15)"
    cells["N16"] = 3777
    found = list(checks.check_formulas(review(system, cells=cells)))
    assert found == [
        want("FORMULA_CHANGED", "error", "the formula in N15 was changed; the template's "
             "calculations can no longer be trusted", "N15", "=SUM(B15:L15)", "=SUM(B15:M15)"),
        want("FORMULA_CHANGED", "error", "the formula in N16 was overwritten with a value; leave "
             "computed (blue) cells alone", "N16", "3777", "=SUM(B16:M16)"),
    ]  # fmt: skip


def test_protection_removed(system: System) -> None:
    assert list(checks.check_protection(review(system, protected=False))) == [
        want("PROTECTION_REMOVED", "warning", "the Budget sheet's protection was removed; the "
             "figures were still checked cell by cell")]  # fmt: skip


def test_locked_cell_edited_and_fingerprint_mismatch(system: System) -> None:
    ws = build_template(system.targets.by_cost_center[MEDSURG], system.reference)[0]["Budget"]
    sent = dict(line.split("=", 1) for line in locked_lines(ws))
    assert sent["A1"] == "Medical/Surgical Unit: operating budget for fiscal year 2027"
    edited = sent | {"A1": "Medical/Surgical Unit: budget"}
    r = review(system, meta={"fingerprint": fingerprint(ws)}, fingerprint="edited", locked=edited)
    assert list(checks.check_locked_content(r)) == [
        want("LOCKED_EDITED", "error", "locked cell A1 was edited (sent 'Medical/Surgical Unit: "
             "operating budget for fiscal year 2027', found 'Medical/Surgical Unit: budget')",
             "A1", "Medical/Surgical Unit: budget",
             "Medical/Surgical Unit: operating budget for fiscal year 2027")]  # fmt: skip
    # the same fingerprint as stored: nothing to compare
    same = review(system, meta={"fingerprint": "abc"}, fingerprint="abc", locked=edited)
    assert list(checks.check_locked_content(same)) == []
    # a stored fingerprint the regenerated template does not have: the cell cannot be named
    old = review(system, meta={"fingerprint": "abc"}, fingerprint="def", locked=edited)
    assert list(checks.check_locked_content(old)) == [
        want("LOCKED_EDITED", "error", "locked content differs from the template finance sent "
             "(fingerprint mismatch)", value="def", expected="abc")]  # fmt: skip


def test_cached_result_differs_from_the_engine(system: System) -> None:
    r = review(system, cached={"hb_out_revenue": [3890311.0]})
    assert list(checks.check_cached_results(r)) == [
        want("CACHED_MISMATCH", "warning", "the workbook shows 3,890,311.00 for net revenue; the "
             "engine computes 3,890,310.00 from the same inputs (the engine's figure is used)",
             "C8", "3890311.0", "3890310.00")]  # fmt: skip


# --- content -----------------------------------------------------------------------------------

NUMBERS = [
    # name, cell index, value typed -> code, message, cell, expected
    ("hb_volume_forecast", 0, "many", "NOT_A_NUMBER",
     "Units of service (Jan): 'many' is not a number", "B16", ""),
    ("hb_volume_forecast", 11, -1, "NEGATIVE",
     "Units of service (Dec) cannot be negative (-1)", "M16", ""),
    ("hb_volume_forecast", 1, 4001, "OUT_OF_RANGE",
     "Units of service (Feb): 4,001 is above the allowed 4,000", "C16", "<= 4000"),
    ("hb_volume_forecast", 0, 349.5, "OUT_OF_RANGE",
     "Units of service (Jan): 349.5 is not a whole number", "B16", ""),
    ("hb_overtime_pct", RN, 0.6, "OUT_OF_RANGE",
     "Overtime hours as a share of worked hours (RN): 0.6 is above the allowed 0.5", "G21",
     "<= 0.5"),
    ("hb_supplies_per_uos", 0, -5.5, "NEGATIVE",
     "Supplies $ per unit of service cannot be negative (-5.5)", "C35", ""),
    ("hb_capital_amount", 1, -100, "NEGATIVE", "amount $ (row 2) cannot be negative (-100)", "B44",
     ""),
]  # fmt: skip


@pytest.mark.parametrize(("name", "i", "typed", "code", "message", "cell", "expected"), NUMBERS)
def test_numbers(system: System, name, i, typed, code, message, cell, expected) -> None:
    r = review(system, values=changed(system, name, i, typed))
    assert list(checks.check_numbers(r)) == [
        want(code, "error", message, cell, str(typed), expected)
    ]


def test_required_blank(system: System) -> None:
    r = review(system, values=changed(system, "hb_fte", CLER, " "))
    assert list(checks.check_required(r)) == [
        want("REQUIRED_BLANK", "error", "Budget paid FTEs (CLER) is blank; enter a value (0 if "
             "none)", "E25")]  # fmt: skip
    r = review(system, values=changed(system, "hb_wage_rate", RN, None))
    assert list(checks.check_required(r)) == [
        want("REQUIRED_BLANK", "error", "Budget straight-time wage rate $/hour (RN) is blank but "
             "FTEs are budgeted", "F21")]  # fmt: skip


def test_staffing_band_and_wage_messages(system: System) -> None:
    r = review(system, values=changed(system, "hb_fte", RN, 8.88))
    assert list(checks.check_staffing_band(r)) == [
        want("FTE_OUTSIDE_BAND", "warning", "RN FTEs 8.88 are outside the staffing band 8.89 to "
             "13.89 (80%-125% of the target 11.11)", "E21", "8.88", "8.89..13.89")]  # fmt: skip
    r = review(system, values=changed(system, "hb_fte", LPN, 0.5))
    assert list(checks.check_staffing_band(r)) == [
        want("FTE_OUTSIDE_BAND", "warning", "LPN: 0.50 FTEs budgeted where the target has none",
             "E22", "0.5", "0")]  # fmt: skip
    r = review(system, values=changed(system, "hb_wage_rate", RN, 52.0))
    assert list(checks.check_wage_rates(r)) == [
        want("WAGE_FAR_FROM_PAYROLL", "warning", "RN wage rate 52.00 is +30% from the payroll "
             "history (40.00); the tolerance is 20%", "F21", "52.0", "40.00")]  # fmt: skip


def test_rationale_missing_for_each_forecast(system: System) -> None:
    # volume: 4,000 days in January instead of 349 moves net revenue far beyond 5% and $1,000;
    # staffing: 13.88 RN FTEs (in the band) move labor cost by 2.77 FTEs' pay, beyond tolerance
    volume = review(system, values=changed(system, "hb_volume_forecast", 0, 4000))
    staffing = review(system, values=changed(system, "hb_fte", RN, 13.88))
    nonlabor = review(system, values=changed(system, "hb_other_expense", 0, 37680.70))
    text = "forecast departs from the top-down target beyond tolerance: explain why in the " \
           "rationale cell"  # fmt: skip
    assert [f for f in checks.check_rationales(volume) if f.cell == "D53"] == [
        want("RATIONALE_MISSING", "error", f"the volume (net revenue) {text}", "D53")]  # fmt: skip
    assert list(checks.check_rationales(staffing)) == [
        want("RATIONALE_MISSING", "error", f"the staffing (labor cost) {text}", "D54")]  # fmt: skip
    assert list(checks.check_rationales(nonlabor)) == [
        want("RATIONALE_MISSING", "error", f"the non-labor cost {text}", "D55")]  # fmt: skip


def test_capital_request_messages(system: System) -> None:
    # row 2 has only a priority, and one that is not on the list
    r = review(system, values=changed(system, "hb_capital_priority", 1, "Urgent"))
    assert list(checks.check_capital(r)) == [
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no item", "A44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no amount", "B44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no justification", "D44"),
        want("OUT_OF_RANGE", "error", "capital request 2: priority 'Urgent' is not one of High, "
             "Medium, Low", "C44", "Urgent"),
    ]  # fmt: skip
    # a complete row with a zero amount: only the amount is missing
    full = {"hb_capital_item": ["Bed", None, None, None, None],
            "hb_capital_amount": [0, None, None, None, None],
            "hb_capital_priority": ["High", None, None, None, None],
            "hb_capital_justification": ["worn out", None, None, None, None]}  # fmt: skip
    assert list(checks.check_capital(review(system, values=full))) == [
        want("CAPITAL_INCOMPLETE", "error", "capital request 1 has no amount", "B43")]  # fmt: skip


def test_months_must_add_up_to_the_annual_volume(system: System) -> None:
    # the months as sent add up to 3,777; a typed-over annual total of 4,000 does not
    r = review(system, values={"hb_out_volume": [4000]})
    assert list(checks.check_months_add_up(r)) == [
        want("MONTHS_NOT_ANNUAL", "error", "the annual volume shows 4,000 but the months add up "
             "to 3,777", "N16", "4000", "3777")]  # fmt: skip
    assert (
        list(checks.check_months_add_up(review(system, values={"hb_out_volume": [3777.5]}))) == []
    )


def test_capital_request_complete_rows(system: System) -> None:
    # row 1 complete with an amount: no finding; row 2 has only an amount: item and
    # justification are missing, the amount is not
    rows = {"hb_capital_item": ["Bed", None, None, None, None],
            "hb_capital_amount": [5000, 1200.5, None, None, None],
            "hb_capital_priority": ["High", None, None, None, None],
            "hb_capital_justification": ["worn out", None, None, None, None]}  # fmt: skip
    assert list(checks.check_capital(review(system, values=rows))) == [
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no item", "A44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no justification", "D44"),
    ]  # fmt: skip


def test_months_add_up_within_half_a_unit(system: System) -> None:
    assert [f.message for f in checks.check_months_add_up(review(system, values={
        "hb_out_volume": [3778.0]}))] == [  # one day more than the months
        "the annual volume shows 3,778 but the months add up to 3,777"]  # fmt: skip
    # no monthly forecast at all: the months add up to 0
    r = review(system, values={"hb_out_volume": [10]})
    del r.sub.values["hb_volume_forecast"]
    assert [f.message for f in checks.check_months_add_up(r)] == [
        "the annual volume shows 10 but the months add up to 0"
    ]


def test_review_stops_after_an_identity_error(system: System) -> None:
    # a wrong fiscal year and removed protection: only the fiscal year is reported
    sub = submission(system, meta={"fiscal_year": "2026"}, protected=False)
    found = checks.review(sub, checks.Context(system.reference, system.targets))
    assert [f.code for f in found] == ["WRONG_FISCAL_YEAR"]
    # removed protection alone is a warning: the other checks run
    sub = submission(system, protected=False, values=changed(system, "hb_fte", LPN, 0.5))
    found = checks.review(sub, checks.Context(system.reference, system.targets))
    assert [f.code for f in found] == ["PROTECTION_REMOVED", "FTE_OUTSIDE_BAND"]


def test_a_crashing_check_is_reported_against_the_file(system: System) -> None:
    ctx = checks.Context(system.reference, system.targets)
    sub = submission(system)
    sub.meta = None  # every identity check fails on it
    assert [(f.code, f.file) for f in checks.review(sub, ctx)] == [("INTERNAL", FILE)] * 4
    sub = submission(system, values={"hb_volume_forecast": 5})  # not a list of cells
    internal = [(f.code, f.file) for f in checks.review(sub, ctx) if f.code == "INTERNAL"]
    assert internal and set(internal) == {("INTERNAL", FILE)}


def test_identity_keys_absent_are_not_reported_twice(system: System) -> None:
    r = review(system)
    del r.sub.meta["fiscal_year"], r.sub.meta["schema_version"]
    assert list(checks.check_fiscal_year(r)) == [] and list(checks.check_schema(r)) == []


def test_cached_result_exactly_half_a_cent_off_is_accepted(system: System) -> None:
    # LPN salaries are 0.00 (no LPN FTEs): 0.005 is at the tolerance, 0.0051 beyond it
    assert list(checks.check_cached_results(review(
        system, cached={"hb_out_salaries": [None, 0.005]}))) == []  # fmt: skip
    assert list(checks.check_cached_results(review(
        system, cached={"hb_out_salaries": [None, 0.0051]}))) == [
        want("CACHED_MISMATCH", "warning", "the workbook shows 0.01 for salaries by job class; the "
             "engine computes 0.00 from the same inputs (the engine's figure is used)", "J22",
             "0.0051", "0.00")]  # fmt: skip


def test_wage_blank_only_matters_where_ftes_are_budgeted(system: System) -> None:
    blank_lpn = changed(system, "hb_wage_rate", LPN, None)
    fte = changed(system, "hb_fte", LPN, 0.5)["hb_fte"]
    r = review(system, values=blank_lpn | {"hb_fte": fte})
    assert list(checks.check_required(r)) == [
        want("REQUIRED_BLANK", "error", "Budget straight-time wage rate $/hour (LPN) is blank but "
             "FTEs are budgeted", "F22")]  # fmt: skip
    assert list(checks.check_required(review(system, values=blank_lpn))) == []  # LPN 0 FTEs
    assert list(checks.check_required(review(system, values=blank_lpn | {"hb_fte": []}))) == []
    r = review(system, values=blank_lpn)
    del r.sub.values["hb_fte"]
    assert list(checks.check_required(r)) == []


def test_staffing_band_skips_missing_and_text_cells(system: System) -> None:
    assert list(checks.check_staffing_band(review(system, values={"hb_fte": [11.11]}))) == []
    r = review(system)
    del r.sub.values["hb_fte"]
    assert list(checks.check_staffing_band(r)) == []
    # RN typed as text is skipped (check_numbers reports it); LPN after it is still checked
    r = review(system, values={"hb_fte": ["eleven", 0.5, 0.0, 0.0, 1.0, 0.0]})
    assert [(f.code, f.cell) for f in checks.check_staffing_band(r)] == [
        ("FTE_OUTSIDE_BAND", "E22")
    ]


def test_every_month_is_named_in_its_finding(system: System) -> None:
    r = review(system, values={"hb_volume_forecast": [-1] * 12})
    assert [f.message.split(" cannot")[0] for f in checks.check_numbers(r)] == [
        f"Units of service ({m})" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                            "Aug", "Sep", "Oct", "Nov", "Dec")
    ]  # fmt: skip


def test_numbers_of_an_unknown_cost_center_have_no_volume_cap(system: System) -> None:
    r = review(system, meta={"cost_center": "HWH-99999"},
               values=changed(system, "hb_volume_forecast", 0, 999999))  # fmt: skip
    assert list(checks.check_numbers(r)) == []


def test_locked_cells_in_sheet_order_and_cleared_cells(system: System) -> None:
    ws = build_template(system.targets.by_cost_center[MEDSURG], system.reference)[0]["Budget"]
    sent = dict(line.split("=", 1) for line in locked_lines(ws))
    assert (sent["K1"], sent["A2"], sent["N1"]) == ("Input", "System", "Explain")
    edited = {k: v for k, v in sent.items() if k != "N1"} | {"K1": "In", "A2": "Sys"}
    r = review(system, meta={"fingerprint": fingerprint(ws)}, fingerprint="edited", locked=edited)
    # row by row, then column: K1 and N1 (row 1) before A2 (row 2); N1 was cleared
    assert [(f.cell, f.message) for f in checks.check_locked_content(r)] == [
        ("K1", "locked cell K1 was edited (sent 'Input', found 'In')"),
        ("N1", "locked cell N1 was edited (sent 'Explain', found None)"),
        ("A2", "locked cell A2 was edited (sent 'System', found 'Sys')"),
    ]
    cleared = [f for f in checks.check_locked_content(r) if f.cell == "N1"]
    assert [(f.value, f.expected) for f in cleared] == [("", "Explain")]  # blank, not "None"


def test_wage_rates_skip_text_unbudgeted_and_missing_cells(system: System) -> None:
    # CLER (payroll 20.00, 1.00 FTE) at 30.00 is +50%: flagged after each kind of skipped RN cell
    cler = "CLER wage rate 30.00 is +50% from the payroll history (20.00); the tolerance is 20%"
    wages = [41.4, 0.0, 0.0, 0.0, 30.0, 0.0]
    cases = [
        {"hb_wage_rate": ["x", *wages[1:]]},  # RN typed as text
        {"hb_wage_rate": wages, "hb_fte": [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]},  # RN not budgeted
        {"hb_wage_rate": wages, "hb_fte": [11.11, 0.0, 0.0, 0.0]},  # FTE cells end before CLER
    ]
    for values in cases:
        found = list(checks.check_wage_rates(review(system, values=values)))
        assert [(f.cell, f.message) for f in found] == [("F25", cler)], values
    # LPN has no payroll wage (0.00): any LPN wage is accepted, even with FTEs
    lpn = {"hb_wage_rate": [41.4, 30.0, 0.0, 0.0, 20.7, 0.0], "hb_fte": [11.11, 0.5, 0, 0, 1.0, 0]}
    assert list(checks.check_wage_rates(review(system, values=lpn))) == []
    assert list(checks.check_wage_rates(review(system, values={"hb_wage_rate": [41.4]}))) == []
    r = review(system)
    del r.sub.values["hb_wage_rate"]
    assert list(checks.check_wage_rates(r)) == []
    r = review(system, values={"hb_wage_rate": [52.0, 0.0, 0.0, 0.0, 20.7, 0.0]})
    del r.sub.values["hb_fte"]  # no FTE cells: every wage is checked
    assert [f.cell for f in checks.check_wage_rates(r)] == ["F21"]


def test_rationale_given_is_accepted(system: System) -> None:
    values = changed(system, "hb_other_expense", 0, 37680.70) | {
        "hb_rationale_nonlabor": ["new contract"]
    }
    assert list(checks.check_rationales(review(system, values=values))) == []

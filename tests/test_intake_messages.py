"""Issue 22 item 5: the intake findings exactly as a department manager reads them.

One representative defect per check of intake/checks.py, on Med/Surg's (HWH-03000) template as
finance issues it (built by templates.writer, saved and read back by intake once per module;
layout version 2: every input pre-filled at the top-down target's driver, a locked prior-year
column beside it, so FTEs are D21:D26, wages F21:F26, overtime H21:H26, supplies D35 and the
rationales E53:E55), and
the whole finding it must give: code, severity, message, sheet, cell, value and expected value.
The messages are product text (the manager's only guide to the fix), so they are asserted word
for word; the figures in them are worked by hand from the fixture (tests/test_intake_boundaries.py
and test_handworked_targets.py): RN payroll wage 40.00 and target wage 41.40, RN target 11.11 FTEs,
staffing band 80%..125%, wage tolerance 20%, volume cap 4,000, target net revenue 3,777 x 1,030.00
= 3,890,310.00, supplies per UOS 55.00 prior year and 57.20 target (55.00 x 1.04), plausibility
factors 2x (warning) and 10x (error), the Guardrails' defaults. The issue register holds the one
template issued: v1 of 30 November 2026, id ISSUED_ID.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from handworked import LAUNDRY, MEDSURG, System, load_system
from hybridbudget.control.register import Issue, Register
from hybridbudget.findings import Finding
from hybridbudget.intake import checks
from hybridbudget.intake.files import Candidate
from hybridbudget.intake.submission import Submission, read_submission
from hybridbudget.templates.fingerprint import expected_formulas
from hybridbudget.templates.writer import build_template

RN, LPN, CLER = 0, 1, 4  # rows of the job-class tables
FILE = "HWH-03000.xlsx"
ISSUED_ID = "medsurg-fy2027-v1"
ISSUED = Issue(MEDSURG, "2027", 1, "2026-11-30T08:00:00Z", ISSUED_ID)


@pytest.fixture(scope="module")
def system() -> System:
    return load_system()


@pytest.fixture(scope="module")
def sent(system: System, tmp_path_factory: pytest.TempPathFactory) -> Submission:
    """Med/Surg's template as issued, saved and read back as intake reads a submission."""
    wb, _ = build_template(system.targets.by_cost_center[MEDSURG], system.reference,
                           template_id=ISSUED_ID,
                           generated_at=dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC))  # fmt: skip
    path = tmp_path_factory.mktemp("issued") / FILE
    wb.save(path)
    sub = read_submission(Candidate(path, FILE))
    assert isinstance(sub, Submission)
    return sub


def context(system: System, *issues: Issue) -> checks.Context:
    """The fixture's control workbook with these issued templates (ISSUED when none given)."""
    return checks.Context(system.reference, system.targets, Register(list(issues or [ISSUED])))


def copy(sub: Submission, meta: dict[str, str] | None = None,
         values: dict[str, list[Any]] | None = None, **fields: Any) -> Submission:  # fmt: skip
    """The submission with `meta` keys and whole `values` names replaced, and other `fields`."""
    return dataclasses.replace(
        sub,
        meta=dict(sub.meta) | (meta or {}),
        values={k: list(v) for k, v in sub.values.items()} | (values or {}),
        **{"locked": dict(sub.locked)} | fields,
    )


def review(system: System, sent: Submission, *issues: Issue, **kw: Any) -> checks.Review:
    return checks.Review(copy(sent, **kw), context(system, *issues))


def changed(sent: Submission, name: str, i: int, v: Any) -> dict[str, list[Any]]:
    """The issued values of `name` with cell i set to v."""
    values = list(sent.values[name])
    values[i] = v
    return {name: values}


def want(code: str, severity: str, message: str, cell: str = "", value: str = "",
         expected: str = "", sheet: str = "Budget", file: str = FILE) -> Finding:  # fmt: skip
    return Finding(code=code, severity=severity, message=message, file=file, sheet=sheet,
                   cell=cell, cost_center=MEDSURG, value=value, expected=expected)  # fmt: skip


# --- identity: the review stops at the first error ---------------------------------------------

NOT_TEMPLATE = want(
    "NOT_TEMPLATE", "error", "this workbook is not a hybridbudget budget template (its metadata "
    "is missing); fill in the template finance sent", sheet="")  # fmt: skip


@pytest.mark.parametrize("missing", ["cost_center", "fiscal_year", "schema_version"])
def test_not_a_template_when_any_identity_key_is_missing(
    system: System, sent: Submission, missing: str
) -> None:
    sub = copy(sent)
    sub.meta[missing] = ""
    found = checks.review(sub, context(system))
    expected = NOT_TEMPLATE
    if missing == "cost_center":  # the finding carries the (now empty) cost center
        expected = expected.model_copy(update={"cost_center": ""})
    assert found == [expected]


def test_not_a_template_when_no_contract_name_is_present(system: System, sent: Submission) -> None:
    sub = copy(sent)
    sub.values = {}
    ctx = context(system)
    assert checks.review(sub, ctx) == [NOT_TEMPLATE]
    sub.values = {"hb_fte": [1.0]}  # one name is enough to be read as a template
    assert [f.code for f in checks.check_is_template(checks.Review(sub, ctx))] == []


def test_wrong_fiscal_year_schema_and_cost_center(system: System, sent: Submission) -> None:
    ctx = context(system)
    year = copy(sent, meta={"fiscal_year": "2026"})
    assert checks.review(year, ctx) == [want(
        "WRONG_FISCAL_YEAR", "error", "this template is for fiscal year 2026, not 2027; use this "
        "year's template", "B5", "2026", "2027", sheet="Meta")]  # fmt: skip
    schema = copy(sent, meta={"schema_version": "0"})
    assert checks.review(schema, ctx) == [want(
        "WRONG_SCHEMA", "error", "this template has layout version 0; intake reads version 2; "
        "ask finance for a new template", "B6", "0", "2", sheet="Meta")]  # fmt: skip
    cc = copy(sent, meta={"cost_center": "HWH-99999"})
    assert checks.review(cc, ctx) == [want(
        "UNKNOWN_COST_CENTER", "error", "cost center HWH-99999 is not on the Organization sheet",
        "B3", "HWH-99999", sheet="Meta").model_copy(update={"cost_center": "HWH-99999"})]  # fmt: skip


def test_the_template_as_sent_has_no_finding(system: System, sent: Submission) -> None:
    assert checks.review(copy(sent), context(system)) == []


# --- integrity ---------------------------------------------------------------------------------


def test_formula_changed_overwritten_and_harmless_spelling(
    system: System, sent: Submission
) -> None:
    cells = dict(expected_formulas())
    # case, spaces, $ anchors and Excel's _xlfn. prefix are the same formula
    cells["N14"] = "=_xlfn.sum( $b$14 : m14 )"
    cells["N15"] = "=SUM(B15:L15)"
    cells["N16"] = 3777
    found = list(checks.check_formulas(review(system, sent, cells=cells)))
    assert found == [
        want("FORMULA_CHANGED", "error", "the formula in N15 was changed; the template's "
             "calculations can no longer be trusted", "N15", "=SUM(B15:L15)", "=SUM(B15:M15)"),
        want("FORMULA_CHANGED", "error", "the formula in N16 was overwritten with a value; leave "
             "computed (blue) cells alone", "N16", "3777", "=SUM(B16:M16)"),
    ]  # fmt: skip


def test_protection_removed(system: System, sent: Submission) -> None:
    assert list(checks.check_protection(review(system, sent, protected=False))) == [
        want("PROTECTION_REMOVED", "warning", "the Budget sheet's protection was removed; the "
             "figures were still checked cell by cell")]  # fmt: skip


LOCKED = "is locked: the file holds {got}, finance issued {want} (finance's value is the one that counts)"


def locked_edited(cell: str, what: str, got: str, want_: str) -> Finding:
    return want("LOCKED_EDITED", "error", f"{what} in {cell} " + LOCKED.format(got=got, want=want_),
                cell, got, want_)  # fmt: skip


def test_locked_cell_edited_whatever_the_fingerprint_says(system: System, sent: Submission) -> None:
    title = "Medical/Surgical Unit: operating budget for fiscal year 2027"
    assert (sent.locked["A1"], sent.locked["B17"]) == (title, "1030")  # as finance issued them
    # the header's title retyped and net revenue per UOS raised from 1,030 to 1,100 (a given);
    # the fingerprint the file carries is the one finance stored, so it cannot be trusted
    edited = sent.locked | {"A1": "Medical/Surgical Unit: budget", "B17": "1100"}
    r = review(system, sent, locked=edited)
    assert list(checks.check_locked_content(r)) == [
        locked_edited("A1", "the header's title", "'Medical/Surgical Unit: budget'", repr(title)),
        locked_edited("B17", "Net revenue per unit of service (top-down)", "1,100", "1,030"),
    ]
    # with the fingerprint blanked or recomputed: the same findings
    for fp in ("", "0" * 64):
        r = review(system, sent, meta={"fingerprint": fp}, locked=edited)
        assert [f.cell for f in checks.check_locked_content(r)] == ["A1", "B17"]
    # the givens used for the engine's figures are finance's: 3,777 x 1,030.00, not x 1,100.00
    r = review(system, sent, locked=edited, values=changed(sent, "hb_revenue_per_uos", 0, 1100))
    assert r.expected["hb_out_revenue"] == [3890310.00]
    assert list(checks.check_cached_results(r)) == []
    # a cost center with no issued copy (not on the Organization sheet): nothing to compare
    r = review(system, sent, meta={"cost_center": "HWH-99999"}, locked=edited)
    assert list(checks.check_locked_content(r)) == []


def test_cached_result_differs_from_the_engine(system: System, sent: Submission) -> None:
    r = review(system, sent, cached={"hb_out_revenue": [3890311.0]})
    assert list(checks.check_cached_results(r)) == [
        want("CACHED_MISMATCH", "warning", "the workbook shows 3,890,311.00 for net revenue; the "
             "engine computes 3,890,310.00 from the same inputs (the engine's figure is used)",
             "C8", "3890311.0", "3890310.00")]  # fmt: skip


# --- content -----------------------------------------------------------------------------------

NUMBERS = [
    # name, cell index, value typed -> code, message, cell, expected
    ("hb_volume_forecast", 0, "many", "NOT_A_NUMBER",
     'Units of service (Jan): "many" is not a number', "B16", ""),
    ("hb_volume_forecast", 11, -1, "NEGATIVE",
     "Units of service (Dec) cannot be negative (-1)", "M16", ""),
    ("hb_volume_forecast", 1, 4001, "OUT_OF_RANGE",
     "Units of service (Feb): 4,001 is above the allowed 4,000", "C16", "<= 4000"),
    ("hb_volume_forecast", 0, 349.5, "OUT_OF_RANGE",
     "Units of service (Jan): 349.5 is not a whole number", "B16", ""),
    ("hb_overtime_pct", RN, 0.6, "OUT_OF_RANGE",
     "Overtime hours as a share of worked hours (RN): 0.6 is above the allowed 0.5", "H21",
     "<= 0.5"),
    ("hb_supplies_per_uos", 0, -5.5, "NEGATIVE",
     "Supplies $ per unit of service cannot be negative (-5.5)", "D35", ""),
    ("hb_capital_amount", 1, -100, "NEGATIVE", "amount $ (row 2) cannot be negative (-100)", "B44",
     ""),
]  # fmt: skip


@pytest.mark.parametrize(("name", "i", "typed", "code", "message", "cell", "expected"), NUMBERS)
def test_numbers(
    system: System, sent: Submission, name, i, typed, code, message, cell, expected
) -> None:
    r = review(system, sent, values=changed(sent, name, i, typed))
    assert list(checks.check_numbers(r)) == [
        want(
            code,
            "error",
            message,
            cell,
            f'"{typed}"' if code == "NOT_A_NUMBER" else str(typed),
            expected,
        )
    ]


def test_required_blank(system: System, sent: Submission) -> None:
    r = review(system, sent, values=changed(sent, "hb_fte", CLER, " "))
    assert list(checks.check_required(r)) == [
        want("REQUIRED_BLANK", "error", "Budget paid FTEs (CLER) is blank; enter a value (0 if "
             "none)", "D25")]  # fmt: skip
    r = review(system, sent, values=changed(sent, "hb_wage_rate", RN, None))
    assert list(checks.check_required(r)) == [
        want("REQUIRED_BLANK", "error", "Budget straight-time wage rate $/hour (RN) is blank but "
             "FTEs are budgeted", "F21")]  # fmt: skip


def test_staffing_band_and_wage_messages(system: System, sent: Submission) -> None:
    r = review(system, sent, values=changed(sent, "hb_fte", RN, 8.88))
    assert list(checks.check_staffing_band(r)) == [
        want("FTE_OUTSIDE_BAND", "warning", "RN FTEs 8.88 are outside the staffing band 8.89 to "
             "13.89 (80%-125% of the target 11.11)", "D21", "8.88", "8.89..13.89")]  # fmt: skip
    r = review(system, sent, values=changed(sent, "hb_fte", LPN, 0.5))
    assert list(checks.check_staffing_band(r)) == [
        want("FTE_OUTSIDE_BAND", "warning", "LPN: 0.50 FTEs budgeted where the target has none",
             "D22", "0.5", "0")]  # fmt: skip
    r = review(system, sent, values=changed(sent, "hb_wage_rate", RN, 52.0))
    assert list(checks.check_wage_rates(r)) == [
        want("WAGE_FAR_FROM_PAYROLL", "warning", "RN wage rate 52.00 is +30% from the payroll "
             "history (40.00); the tolerance is 20%", "F21", "52.0", "40.00")]  # fmt: skip


def test_rationale_missing_for_each_forecast(system: System, sent: Submission) -> None:
    # volume: 4,000 days in January instead of 349 moves net revenue far beyond 5% and $1,000;
    # staffing: 13.88 RN FTEs (in the band) move labor cost by 2.77 FTEs' pay, beyond tolerance;
    # non-labor: pre-filled at the target (301,550.66), so other expense 10,250.00 + 15,077.54 =
    # 25,327.54 is a gap one cent beyond 5% of it (15,077.533); 25,327.53 is within
    volume = review(system, sent, values=changed(sent, "hb_volume_forecast", 0, 4000))
    staffing = review(system, sent, values=changed(sent, "hb_fte", RN, 13.88))
    nonlabor = review(system, sent, values=changed(sent, "hb_other_expense", 0, 25327.54))
    within = review(system, sent, values=changed(sent, "hb_other_expense", 0, 25327.53))
    assert list(checks.check_rationales(within)) == []
    text = "forecast departs from the top-down target beyond tolerance: explain why in the " \
           "rationale cell"  # fmt: skip
    assert [f for f in checks.check_rationales(volume) if f.cell == "E53"] == [
        want("RATIONALE_MISSING", "error", f"the volume (net revenue) {text}", "E53")]  # fmt: skip
    assert list(checks.check_rationales(staffing)) == [
        want("RATIONALE_MISSING", "error", f"the staffing (labor cost) {text}", "E54")]  # fmt: skip
    assert list(checks.check_rationales(nonlabor)) == [
        want("RATIONALE_MISSING", "error", f"the non-labor cost {text}", "E55")]  # fmt: skip


def test_capital_request_messages(system: System, sent: Submission) -> None:
    # row 2 has only a priority, and one that is not on the list
    r = review(system, sent, values=changed(sent, "hb_capital_priority", 1, "Urgent"))
    assert list(checks.check_capital(r)) == [
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no item", "A44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no amount", "B44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no justification", "H44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no category", "D44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no useful life", "F44"),
        want("OUT_OF_RANGE", "error", "capital request 2: priority \"Urgent\" is not one of High, "
             "Medium, Low", "C44", "Urgent"),
    ]  # fmt: skip
    # a complete row with a zero amount: only the amount is missing
    full = {"hb_capital_item": ["Bed", None, None, None, None],
            "hb_capital_amount": [0, None, None, None, None],
            "hb_capital_priority": ["High", None, None, None, None],
            "hb_capital_justification": ["worn out", None, None, None, None],
            "hb_capital_category": ["Replacement", None, None, None, None],
            "hb_capital_life": [60, None, None, None, None]}  # fmt: skip
    assert list(checks.check_capital(review(system, sent, values=full))) == [
        want("CAPITAL_INCOMPLETE", "error", "capital request 1 has no amount", "B43")]  # fmt: skip


def test_months_must_add_up_to_the_annual_volume(system: System, sent: Submission) -> None:
    # the months as sent add up to 3,777; a typed-over annual total of 4,000 does not
    r = review(system, sent, values={"hb_out_volume": [4000]})
    assert list(checks.check_months_add_up(r)) == [
        want("MONTHS_NOT_ANNUAL", "error", "the annual volume shows 4,000 but the months add up "
             "to 3,777", "N16", "4000", "3777")]  # fmt: skip
    assert (
        list(checks.check_months_add_up(review(system, sent, values={"hb_out_volume": [3777.5]})))
        == []
    )


def test_capital_request_complete_rows(system: System, sent: Submission) -> None:
    # row 1 complete with an amount: no finding; row 2 has only an amount: item and
    # justification are missing, the amount is not
    rows = {"hb_capital_item": ["Bed", None, None, None, None],
            "hb_capital_amount": [5000, 1200.5, None, None, None],
            "hb_capital_priority": ["High", None, None, None, None],
            "hb_capital_justification": ["worn out", None, None, None, None],
            "hb_capital_category": ["Replacement", None, None, None, None],
            "hb_capital_life": [60, None, None, None, None]}  # fmt: skip
    assert list(checks.check_capital(review(system, sent, values=rows))) == [
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no item", "A44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no justification", "H44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no category", "D44"),
        want("CAPITAL_INCOMPLETE", "error", "capital request 2 has no useful life", "F44"),
    ]  # fmt: skip


def test_months_add_up_within_half_a_unit(system: System, sent: Submission) -> None:
    assert [f.message for f in checks.check_months_add_up(review(system, sent, values={
        "hb_out_volume": [3778.0]}))] == [  # one day more than the months
        "the annual volume shows 3,778 but the months add up to 3,777"]  # fmt: skip
    # no monthly forecast at all: the months add up to 0
    r = review(system, sent, values={"hb_out_volume": [10]})
    del r.sub.values["hb_volume_forecast"]
    assert [f.message for f in checks.check_months_add_up(r)] == [
        "the annual volume shows 10 but the months add up to 0"
    ]


def test_review_stops_after_an_identity_error(system: System, sent: Submission) -> None:
    # a wrong fiscal year and removed protection: only the fiscal year is reported
    sub = copy(sent, meta={"fiscal_year": "2026"}, protected=False)
    found = checks.review(sub, context(system))
    assert [f.code for f in found] == ["WRONG_FISCAL_YEAR"]
    # removed protection alone is a warning: the other checks run
    sub = copy(sent, protected=False, values=changed(sent, "hb_fte", LPN, 0.5))
    found = checks.review(sub, context(system))
    assert [f.code for f in found] == ["PROTECTION_REMOVED", "FTE_OUTSIDE_BAND"]


def test_a_crashing_check_is_reported_against_the_file(system: System, sent: Submission) -> None:
    ctx = context(system)
    sub = copy(sent)
    sub.meta = None  # each of the six identity checks fails on it
    assert [(f.code, f.file) for f in checks.review(sub, ctx)] == [("INTERNAL", FILE)] * 6
    sub = copy(sent, values={"hb_volume_forecast": 5})  # not a list of cells
    internal = [(f.code, f.file) for f in checks.review(sub, ctx) if f.code == "INTERNAL"]
    assert internal and set(internal) == {("INTERNAL", FILE)}


def test_identity_keys_absent_are_not_reported_twice(system: System, sent: Submission) -> None:
    r = review(system, sent)
    del r.sub.meta["fiscal_year"], r.sub.meta["schema_version"]
    assert list(checks.check_fiscal_year(r)) == [] and list(checks.check_schema(r)) == []


def test_cached_result_exactly_half_a_cent_off_is_accepted(
    system: System, sent: Submission
) -> None:
    # LPN salaries are 0.00 (no LPN FTEs): 0.005 is at the tolerance, 0.0051 beyond it
    assert list(checks.check_cached_results(review(
        system, sent, cached={"hb_out_salaries": [None, 0.005]}))) == []  # fmt: skip
    assert list(checks.check_cached_results(review(
        system, sent, cached={"hb_out_salaries": [None, 0.0051]}))) == [
        want("CACHED_MISMATCH", "warning", "the workbook shows 0.01 for salaries by job class; the "
             "engine computes 0.00 from the same inputs (the engine's figure is used)", "L22",
             "0.0051", "0.00")]  # fmt: skip


def test_wage_blank_only_matters_where_ftes_are_budgeted(system: System, sent: Submission) -> None:
    blank_lpn = changed(sent, "hb_wage_rate", LPN, None)
    fte = changed(sent, "hb_fte", LPN, 0.5)["hb_fte"]
    r = review(system, sent, values=blank_lpn | {"hb_fte": fte})
    assert list(checks.check_required(r)) == [
        want("REQUIRED_BLANK", "error", "Budget straight-time wage rate $/hour (LPN) is blank but "
             "FTEs are budgeted", "F22")]  # fmt: skip
    assert list(checks.check_required(review(system, sent, values=blank_lpn))) == []  # LPN 0 FTEs
    assert (
        list(checks.check_required(review(system, sent, values=blank_lpn | {"hb_fte": []}))) == []
    )
    r = review(system, sent, values=blank_lpn)
    del r.sub.values["hb_fte"]
    assert list(checks.check_required(r)) == []


def test_staffing_band_skips_missing_and_text_cells(system: System, sent: Submission) -> None:
    assert list(checks.check_staffing_band(review(system, sent, values={"hb_fte": [11.11]}))) == []
    r = review(system, sent)
    del r.sub.values["hb_fte"]
    assert list(checks.check_staffing_band(r)) == []
    # RN typed as text is skipped (check_numbers reports it); LPN after it is still checked
    r = review(system, sent, values={"hb_fte": ["eleven", 0.5, 0.0, 0.0, 1.0, 0.0]})
    assert [(f.code, f.cell) for f in checks.check_staffing_band(r)] == [
        ("FTE_OUTSIDE_BAND", "D22")
    ]


def test_every_month_is_named_in_its_finding(system: System, sent: Submission) -> None:
    r = review(system, sent, values={"hb_volume_forecast": [-1] * 12})
    assert [f.message.split(" cannot")[0] for f in checks.check_numbers(r)] == [
        f"Units of service ({m})" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                            "Aug", "Sep", "Oct", "Nov", "Dec")
    ]  # fmt: skip


def test_numbers_of_an_unknown_cost_center_have_no_volume_cap(
    system: System, sent: Submission
) -> None:
    r = review(system, sent, meta={"cost_center": "HWH-99999"},
               values=changed(sent, "hb_volume_forecast", 0, 999999))  # fmt: skip
    assert list(checks.check_numbers(r)) == []


def test_locked_cells_in_sheet_order_and_cleared_cells(system: System, sent: Submission) -> None:
    assert (sent.locked["K1"], sent.locked["A2"], sent.locked["N1"]) == (
        "Input",
        "System",
        "Explain",
    )
    assert "N99" not in sent.locked
    edited = {k: v for k, v in sent.locked.items() if k != "N1"} | {
        "K1": "In",
        "A2": "Sys",
        "N99": "x",
    }
    r = review(system, sent, locked=edited)
    # row by row, then column: K1 and N1 (row 1) before A2 (row 2); N1 was cleared, N99 added
    assert list(checks.check_locked_content(r)) == [
        locked_edited("K1", "the label", "'In'", "'Input'"),
        locked_edited("N1", "the label", "blank", "'Explain'"),
        locked_edited("A2", "the label", "'Sys'", "'System'"),
        locked_edited("N99", "the label", "'x'", "blank"),
    ]


def test_wage_rates_skip_text_unbudgeted_and_missing_cells(
    system: System, sent: Submission
) -> None:
    # CLER (payroll 20.00, 1.00 FTE) at 30.00 is +50%: flagged after each kind of skipped RN cell
    cler = "CLER wage rate 30.00 is +50% from the payroll history (20.00); the tolerance is 20%"
    wages = [41.4, 0.0, 0.0, 0.0, 30.0, 0.0]
    cases = [
        {"hb_wage_rate": ["x", *wages[1:]]},  # RN typed as text
        {"hb_wage_rate": wages, "hb_fte": [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]},  # RN not budgeted
        {"hb_wage_rate": wages, "hb_fte": [11.11, 0.0, 0.0, 0.0]},  # FTE cells end before CLER
    ]
    for values in cases:
        found = list(checks.check_wage_rates(review(system, sent, values=values)))
        assert [(f.cell, f.message) for f in found] == [("F25", cler)], values
    # LPN has no payroll wage (0.00): any LPN wage is accepted, even with FTEs
    lpn = {"hb_wage_rate": [41.4, 30.0, 0.0, 0.0, 20.7, 0.0], "hb_fte": [11.11, 0.5, 0, 0, 1.0, 0]}
    assert list(checks.check_wage_rates(review(system, sent, values=lpn))) == []
    assert (
        list(checks.check_wage_rates(review(system, sent, values={"hb_wage_rate": [41.4]}))) == []
    )
    r = review(system, sent)
    del r.sub.values["hb_wage_rate"]
    assert list(checks.check_wage_rates(r)) == []
    r = review(system, sent, values={"hb_wage_rate": [52.0, 0.0, 0.0, 0.0, 20.7, 0.0]})
    del r.sub.values["hb_fte"]  # no FTE cells: every wage is checked
    assert [f.cell for f in checks.check_wage_rates(r)] == ["F21"]


def test_rationale_given_is_accepted(system: System, sent: Submission) -> None:
    values = changed(sent, "hb_other_expense", 0, 25327.54) | {
        "hb_rationale_nonlabor": ["new contract"]
    }
    assert list(checks.check_rationales(review(system, sent, values=values))) == []


# --- issue 13: the issue register, the file name, the layout, text and plausibility ------------

REISSUED = Issue(MEDSURG, "2027", 2, "2026-12-01T09:00:00Z", "medsurg-fy2027-v2")


def identity(system: System, sub: Submission, *issues: Issue) -> list[Finding]:
    return checks.review(sub, context(system, *issues))


def test_a_template_relabelled_for_another_cost_center_or_version(system: System,
                                                                   sent: Submission) -> None:  # fmt: skip
    # Med/Surg's issued file (its template id) relabelled as Laundry's: rejected, and the file
    # name, which still names Med/Surg, gets its warning
    found = identity(system, copy(sent, meta={"cost_center": LAUNDRY}))
    assert found == [
        want("NOT_ISSUED", "error", "this file is the template finance issued to HWH-03000 "
             "(FY2027 v1, 2026-11-30), but its Meta sheet says HWH-08000 v1; send the template "
             "issued to you, unedited outside the yellow cells", "B3", LAUNDRY, MEDSURG,
             sheet="Meta").model_copy(update={"cost_center": LAUNDRY}),
        want("NAME_MISMATCH", "warning", "the file name names HWH-03000 but the workbook inside is "
             "the template of HWH-08000; HWH-08000 is what counts", "B3", LAUNDRY, MEDSURG,
             sheet="Meta").model_copy(update={"cost_center": LAUNDRY}),
    ]  # fmt: skip
    # its version relabelled v2 (as if finance had reissued it)
    assert identity(system, copy(sent, meta={"template_version": "2"})) == [
        want("NOT_ISSUED", "error", "this file is the template finance issued to HWH-03000 "
             "(FY2027 v1, 2026-11-30), but its Meta sheet says HWH-03000 v2; send the template "
             "issued to you, unedited outside the yellow cells", "B7", "2", "1", sheet="Meta")]  # fmt: skip


NOT_ISSUED = [
    # the register, the file's template id and version         -> what the message says was issued
    ((), ISSUED_ID, "1", "no template has been issued from this control workbook yet", ""),
    ((Issue(LAUNDRY, "2027", 1, "2026-11-30T08:00:00Z", "laundry"),), "unknown", "1",
     "none was issued to HWH-03000", ""),
    ((ISSUED, REISSUED), "unknown", "3", "the newest issued to HWH-03000 is v2 (2026-12-01)", "2"),
]  # fmt: skip


@pytest.mark.parametrize(("issues", "template_id", "version", "issued", "newest"), NOT_ISSUED)
def test_a_template_finance_never_issued(system: System, sent: Submission, issues, template_id,
                                         version, issued, newest) -> None:  # fmt: skip
    sub = copy(sent, meta={"template_id": template_id, "template_version": version})
    # an empty register: the Context's own default, not an empty list passed
    ctx = (
        checks.Context(system.reference, system.targets) if not issues else context(system, *issues)
    )
    assert checks.review(sub, ctx) == [
        want("NOT_ISSUED", "error", f"finance issued no FY2027 template v{version} for HWH-03000 "
             f"({issued}); fill in the template you received", "B7", version, newest,
             sheet="Meta")]  # fmt: skip


def test_an_older_version_after_a_reissue_is_stale(system: System, sent: Submission) -> None:
    assert identity(system, copy(sent), ISSUED, REISSUED) == [
        want("STALE_VERSION", "error", "this is template v1; finance reissued v2 on 2026-12-01: "
             "fill in the new template", "B7", "1", "2", sheet="Meta")]  # fmt: skip
    # the reissued v2 itself, with its own id or with no id at all, is accepted
    for template_id in (REISSUED.template_id, ""):
        v2 = copy(sent, meta={"template_id": template_id, "template_version": "2"})
        assert identity(system, v2, ISSUED, REISSUED) == []
    # a version that is not a number is version 0, never issued
    odd = copy(sent, meta={"template_id": "", "template_version": "v1"})
    assert [(f.code, f.value) for f in identity(system, odd)] == [("NOT_ISSUED", "0")]


def test_a_file_name_naming_other_cost_centers(system: System, sent: Submission) -> None:
    name = "in/HWC-04100 and HWH-08000 FY2027.xlsx"
    sub = copy(sent, candidate=Candidate(Path(name), name))
    assert identity(system, sub) == [
        want("NAME_MISMATCH", "warning", "the file name names HWC-04100, HWH-08000 but the workbook "
             "inside is the template of HWH-03000; HWH-03000 is what counts", "B3", MEDSURG,
             "HWC-04100, HWH-08000", sheet="Meta", file=name)]  # fmt: skip
    # a file name naming only its own cost center: no warning
    own = "HWH-03000_FY2027_v1 (copy).xlsx"
    assert identity(system, copy(sent, candidate=Candidate(Path(own), own))) == []


NAMED = [
    # file name, the known codes                                -> codes it names
    ("sub/RMC-03000_FY2027_v1.xlsx", {"RMC-03000", "RMC-04000"}, {"RMC-03000"}),
    ("RMC-03000.xlsx", {"RMC", "03000"}, {"RMC", "03000"}),  # each part of a dashed token
    ("A.B-C.xlsx", {"A.B", "B-C", "A.B-C", "C"}, {"A.B", "B-C", "A.B-C", "C"}),
    ("RMC.03000.xlsx", {"RMC.03000", "RMC"}, {"RMC.03000", "RMC"}),  # the last dot is the suffix
    ("report.xlsx", {"RMC-03000"}, set()),
    ("RMC-030001.xlsx", {"RMC-03000"}, set()),  # a longer number is another code
]  # fmt: skip


@pytest.mark.parametrize(("file", "known", "named"), NAMED)
def test_named_cost_centers(file: str, known: set[str], named: set[str]) -> None:
    assert checks.named_cost_centers(file, known) == named


def layout_changed(what: str, value: str = "") -> Finding:
    return want("LAYOUT_CHANGED", "error", f"the Budget sheet's layout was changed: {what}; "
                "intake reads only the layout finance issued, so nothing in this file was used: "
                "fill in the issued template without moving cells or names", value=value)  # fmt: skip


def test_layout_changed_names(system: System, sent: Submission) -> None:
    assert sent.names["hb_fte"] == [("Budget", 4, 21, 4, 26)]  # D21:D26 as issued
    one = copy(sent, names=sent.names | {"hb_fte": [("Budget", 4, 22, 4, 27)]})
    # the review stops at it: the cells the other checks read are not where they look
    assert identity(system, one) == [layout_changed(
        "1 of the template's defined names point elsewhere or are missing (hb_fte; hb_fte belongs "
        "at Budget!D21:D26)", "hb_fte")]  # fmt: skip
    four = {n: None for n in ("hb_volume_forecast", "hb_fte", "hb_wage_rate", "hb_agency_fte")}
    assert list(checks.check_layout(review(system, sent, names=sent.names | four))) == [
        layout_changed("4 of the template's defined names point elsewhere or are missing "
                       "(hb_volume_forecast, hb_fte, hb_wage_rate, ...; hb_volume_forecast belongs "
                       "at Budget!B16:M16)", "hb_volume_forecast, hb_fte, hb_wage_rate")]  # fmt: skip
    three = {n: None for n in ("hb_volume_forecast", "hb_fte", "hb_wage_rate")}
    assert [f.message.split("(")[1].split(";")[0] for f in checks.check_layout(
        review(system, sent, names=sent.names | three))] == [
        "hb_volume_forecast, hb_fte, hb_wage_rate"]  # fmt: skip


def test_layout_changed_labels_and_no_budget_sheet(system: System, sent: Submission) -> None:
    # K1..N1 ('Input', 'Locked', 'Formula', 'Explain') are the first fixed labels: three off
    # their cells may be edits (LOCKED_EDITED says so), four are rows or columns moved
    three = sent.locked | {"K1": "x", "L1": "x", "M1": "x"}
    assert list(checks.check_layout(review(system, sent, locked=three))) == []
    four = three | {"N1": "x"}
    assert list(checks.check_layout(review(system, sent, locked=four))) == [layout_changed(
        "rows or columns were inserted or deleted (4 fixed labels are off their cells; 'Input' "
        "belongs in K1)")]  # fmt: skip
    no_sheet = checks.Review(dataclasses.replace(sent, values={}), context(system))
    assert list(checks.check_layout(no_sheet)) == [
        want("LAYOUT_CHANGED", "error", "the workbook has no Budget sheet; fill in the template as "
             "finance issued it", sheet="")]  # fmt: skip


def test_text_longer_than_the_template_allows(system: System, sent: Submission) -> None:
    item = "B" * 101  # the template's rule: 100 characters
    r = review(system, sent, values=changed(sent, "hb_capital_item", 0, item))
    assert list(checks.check_text(r)) == [
        want("OUT_OF_RANGE", "error", "item (row 1) is 101 characters long; Keep it to 100 "
             "characters or fewer.", "A43", "B" * 40 + "...", "<= 100 characters")]  # fmt: skip
    why = "=" + "x" * 1000  # 1,001 characters, formula-like: still text
    r = review(system, sent, values={"hb_rationale_volume": [why]})
    assert [(f.cell, f.message, f.expected) for f in checks.check_text(r)] == [
        ("E53", "Why the volume forecast departs from the target is 1,001 characters long; Keep it "
         "to 1,000 characters or fewer.", "<= 1,000 characters")]  # fmt: skip
    at_limit = changed(sent, "hb_capital_item", 0, "B" * 100) | {"hb_rationale_volume": ["=1+1"]}
    assert list(checks.check_text(review(system, sent, values=at_limit))) == []


PLAUSIBLE = [
    # name, cell, typed   why (prior year, target; the closer one counts)      -> code, message tail
    ("hb_supplies_per_uos", 0, 115, "115 / 57.20 = 2.01x the target: beyond 2x", "DRIVER_UNUSUAL",
     "115 is 2.01x the target (57.2), beyond 2x either way; explain it in the rationale cell E55",
     "28.6..114.4"),
    ("hb_supplies_per_uos", 0, 5, "55.00 / 5 = 11x the prior year: beyond 10x", "DRIVER_IMPLAUSIBLE",
     "5 is 0.0909x the prior year (55), beyond 10x either way; check the figure (a typing slip?)",
     "5.5..550"),
    ("hb_volume_forecast", 1, 700, "February: 700 / 308 = 2.27x the target", "DRIVER_UNUSUAL",
     "700 is 2.27x the target (308), beyond 2x either way; explain it in the rationale cell E53",
     "154..616"),
    ("hb_wage_rate", RN, 100, "100 / 41.40 = 2.42x the target", "DRIVER_UNUSUAL",
     "100 is 2.42x the target (41.4), beyond 2x either way; explain it in the rationale cell E54",
     "20.7..82.8"),
]  # fmt: skip


PLAUSIBLE_MORE = [
    # name, cell, typed   why                                                  -> code, tail
    ("hb_overtime_pct", RN, 0.2, "0.2 / 0.0476 (prior year and target) = 4.2x", "DRIVER_UNUSUAL",
     "0.2 is 4.2x the prior year (0.0476), beyond 2x either way; explain it in the rationale cell "
     "E54", "0.0238..0.0952"),
    ("hb_volume_forecast", 0, 4000, "at the cap: 4,000 / 349 = 11.5x the target",
     "DRIVER_IMPLAUSIBLE", "4,000 is 11.5x the target (349), beyond 10x either way; check the "
     "figure (a typing slip?)", "34.9..3490"),
    ("hb_supplies_per_uos", 0, 5.5, "55 / 5.5 = 10x the prior year: at the error factor",
     "DRIVER_UNUSUAL", "5.5 is 0.1x the prior year (55), beyond 2x either way; explain it in the "
     "rationale cell E55", "27.5..110"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "i", "typed", "why", "code", "tail", "expected"), PLAUSIBLE + PLAUSIBLE_MORE
)
def test_driver_far_from_prior_year_and_target(system: System, sent: Submission, name, i, typed,
                                               why, code, tail, expected) -> None:  # fmt: skip
    r = review(system, sent, values=changed(sent, name, i, typed))
    label = checks._label(name, i)
    severity = "warning" if code == "DRIVER_UNUSUAL" else "error"
    assert list(checks.check_plausible(r)) == [
        want(code, severity, f"{label}: {tail}", checks.cell_of(name, i), str(typed), expected)
    ]


def test_plausible_drivers_and_explained_ones(system: System, sent: Submission) -> None:
    cases = [
        ("hb_supplies_per_uos", 0, 114),  # 114 / 57.20 = 1.99x the target
        ("hb_supplies_per_uos", 0, 28),  # 55 / 28 = 1.96x the prior year (57.20 / 28 = 2.04x)
        ("hb_supplies_per_uos", 0, 0),  # zero: left to the other checks
        ("hb_supplies_per_uos", 0, "x"),  # text: check_numbers
        ("hb_volume_forecast", 0, 4001),  # above the template's cap: check_numbers
        ("hb_fte", LPN, 0.5),  # no LPN prior year or target to weigh against
    ]
    for name, i, v in cases:
        assert list(checks.check_plausible(review(system, sent, values=changed(sent, name, i, v)))) \
            == [], (name, v)  # fmt: skip
    # a rationale explains 2x, never 10x
    why = {"hb_rationale_nonlabor": ["new supplier"]}
    unusual = changed(sent, "hb_supplies_per_uos", 0, 115) | why
    assert list(checks.check_plausible(review(system, sent, values=unusual))) == []
    slip = changed(sent, "hb_supplies_per_uos", 0, 5) | why
    assert [f.code for f in checks.check_plausible(review(system, sent, values=slip))] == [
        "DRIVER_IMPLAUSIBLE"
    ]
    # an unknown cost center has no prior year or target
    r = review(system, sent, meta={"cost_center": "HWH-99999"},
               values=changed(sent, "hb_supplies_per_uos", 0, 5))  # fmt: skip
    assert list(checks.check_plausible(r)) == []


# --- kill tests for the last survivors of intake/checks.py (bench/mutation) --------------------


def test_finance_copy_is_built_once_per_cost_center_and_run(system: System) -> None:
    ctx = context(system)
    assert ctx.issued(MEDSURG) is ctx.issued(MEDSURG)  # issue 13: once per run, not per file
    assert ctx.issued("HWH-99999") is None


def test_a_cost_center_without_an_issued_copy_keeps_the_files_givens(system, sent) -> None:
    # no target, so no copy of finance's: net revenue is 3,777 x the file's 1,100.00
    r = review(system, sent, meta={"cost_center": "HWH-99999"},
               values=changed(sent, "hb_revenue_per_uos", 0, 1100))  # fmt: skip
    assert r.expected["hb_out_revenue"] == [4154700.00]


def test_a_formula_cell_cleared_shows_a_blank_value(system: System, sent: Submission) -> None:
    cells = dict(expected_formulas()) | {"N16": None}
    assert list(checks.check_formulas(review(system, sent, cells=cells))) == [
        want("FORMULA_CHANGED", "error", "the formula in N16 was overwritten with a value; leave "
             "computed (blue) cells alone", "N16", "", "=SUM(B16:M16)")]  # fmt: skip


def test_an_issued_file_without_its_version(system: System, sent: Submission) -> None:
    sub = copy(sent)
    del sub.meta["template_version"]  # version 0: not the v1 its template id was issued as
    assert identity(system, sub) == [
        want("NOT_ISSUED", "error", "this file is the template finance issued to HWH-03000 "
             "(FY2027 v1, 2026-11-30), but its Meta sheet says HWH-03000 v0; send the template "
             "issued to you, unedited outside the yellow cells", "B7", "", "1", sheet="Meta")]  # fmt: skip


NAMED_MORE = [
    # the suffix and the folders are not part of the name
    ("RMC-03000.xlsx", {"RMC-03000", "RMC-03000.xlsx", "xlsx"}, {"RMC-03000"}),
    ("in/RMC-04000/RMC-03000.xlsx", {"RMC-03000", "RMC-04000", "in"}, {"RMC-03000"}),
]  # fmt: skip


@pytest.mark.parametrize(("file", "known", "named"), NAMED_MORE)
def test_named_cost_centers_from_the_file_name_alone(file, known, named) -> None:
    assert checks.named_cost_centers(file, known) == named


def test_a_header_field_edited(system: System, sent: Submission) -> None:
    assert sent.locked["M2"] == "FY2027"
    r = review(system, sent, locked=sent.locked | {"M2": "FY2026"})
    assert list(checks.check_locked_content(r)) == [
        locked_edited("M2", "the header's fiscal year", "'FY2026'", "'FY2027'")
    ]


SHOWN = [
    # typed                                  -> as the message shows it
    (dt.datetime(2026, 12, 1), "2026-12-01"),  # a date Excel stores as a date and time
    (dt.datetime(2026, 12, 1, 14, 30, 15), "2026-12-01 14:30"),
    (dt.date(2026, 12, 1), "2026-12-01"),
    (dt.time(8, 30), "08:30:00"),
    (True, "TRUE"),
    (False, "FALSE"),
    ("many", '"many"'),
    (3, "3"),
    (1234.5, "1,234.5"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "text"), SHOWN)
def test_values_shown_as_typed(typed: Any, text: str) -> None:
    assert checks.shown(typed) == text


def test_a_number_typed_as_a_capital_priority(system: System, sent: Submission) -> None:
    values = {"hb_capital_item": ["Bed", None, None, None, None],
              "hb_capital_amount": [5000, None, None, None, None],
              "hb_capital_priority": [3, None, None, None, None],
              "hb_capital_justification": ["worn out", None, None, None, None],
              "hb_capital_category": ["Replacement", None, None, None, None],
              "hb_capital_life": [60, None, None, None, None]}  # fmt: skip
    assert list(checks.check_capital(review(system, sent, values=values))) == [
        want("OUT_OF_RANGE", "error", "capital request 1: priority 3 is not one of High, Medium, "
             "Low", "C43", "3")]  # fmt: skip


def test_text_after_a_short_one_is_still_checked(system: System, sent: Submission) -> None:
    items = ["Bed", "B" * 101, None, None, None]  # row 1 fine, row 2 one character too long
    r = review(system, sent, values={"hb_capital_item": items})
    assert [(f.cell, f.message) for f in checks.check_text(r)] == [
        ("A44", "item (row 2) is 101 characters long; Keep it to 100 characters or fewer.")
    ]


def test_a_blank_wage_beyond_the_fte_cells(system: System, sent: Submission) -> None:
    # one FTE cell only (RN): the LPN wage just after it is not required
    values = changed(sent, "hb_wage_rate", LPN, None) | {"hb_fte": [11.11]}
    assert list(checks.check_required(review(system, sent, values=values))) == []


def test_capital_names_missing_altogether(system: System, sent: Submission) -> None:
    r = review(system, sent)
    for name in ("hb_capital_item", "hb_capital_amount", "hb_capital_priority",
                 "hb_capital_justification"):  # fmt: skip
        del r.sub.values[name]
    assert list(checks.check_capital(r)) == []


def test_staffing_band_edges_and_a_one_fte_target(system: System, sent: Submission) -> None:
    low, high = 0.80 * 11.11, 1.25 * 11.11  # RN: 8.888 and 13.8875
    for fte in (8.888, 13.8875, low - 1e-9, high + 1e-9):  # at the edges, and within the slack
        r = review(system, sent, values=changed(sent, "hb_fte", RN, fte))
        assert list(checks.check_staffing_band(r)) == [], fte
    # CLER: target 1.00 FTE (band 0.80 .. 1.25), 2.00 budgeted
    r = review(system, sent, values=changed(sent, "hb_fte", CLER, 2.0))
    assert list(checks.check_staffing_band(r)) == [
        want("FTE_OUTSIDE_BAND", "warning", "CLER FTEs 2.00 are outside the staffing band 0.80 to "
             "1.25 (80%-125% of the target 1.00)", "D25", "2.0", "0.80..1.25")]  # fmt: skip


def test_a_job_class_without_a_band_is_not_checked(system: System, sent: Submission) -> None:
    ref = dataclasses.replace(system.reference, job_classes=tuple(
        j for j in system.reference.job_classes if j.job_class != "RN"))  # fmt: skip
    ctx = checks.Context(ref, system.targets, Register([ISSUED]))
    r = checks.Review(copy(sent, values=changed(sent, "hb_fte", RN, 5.0)), ctx)
    assert list(checks.check_staffing_band(r)) == []  # 45% of the target, but no band


def test_a_payroll_wage_below_a_dollar_is_checked(system: System, sent: Submission) -> None:
    # a payroll history of 0.80 $/h for RN (a stipend): 2.00 is +150%, beyond 20%
    t = system.targets.by_cost_center[MEDSURG]
    rn = dataclasses.replace(t.prior.staff("RN"), wage_rate=0.80)
    prior = dataclasses.replace(t.prior, staffing={**t.prior.staffing, "RN": rn})
    targets = dataclasses.replace(system.targets, by_cost_center={
        **system.targets.by_cost_center, MEDSURG: dataclasses.replace(t, prior=prior)})  # fmt: skip
    ctx = checks.Context(system.reference, targets, Register([ISSUED]))
    r = checks.Review(copy(sent, values=changed(sent, "hb_wage_rate", RN, 2.0)), ctx)
    assert [f.message for f in checks.check_wage_rates(r)] == [
        "RN wage rate 2.00 is +150% from the payroll history (0.80); the tolerance is 20%"
    ]


def test_driver_plausibility_skips_and_explanations(system: System, sent: Submission) -> None:
    def found(values: dict[str, list[Any]]) -> list[tuple[str, str]]:
        r = review(system, sent, values=values)
        return [(f.code, f.cell) for f in checks.check_plausible(r)]

    # overtime 0.6 is above the template's 0.5: check_numbers says it, not plausibility
    assert found(changed(sent, "hb_overtime_pct", RN, 0.6)) == []
    # January typed as text, February 700 (2.27x the target): February is still weighed
    months = changed(sent, "hb_volume_forecast", 0, "x")["hb_volume_forecast"]
    months[1] = 700
    assert found({"hb_volume_forecast": months}) == [("DRIVER_UNUSUAL", "C16")]
    # LPN 0.5 FTEs (nothing to weigh against), then CLER 3.00 (3x prior year and target)
    ftes = [11.11, 0.5, 0.0, 0.0, 3.0, 0.0]
    assert found({"hb_fte": ftes}) == [("DRIVER_UNUSUAL", "D25")]
    # supplies exactly 2x the target (114.40): at the warning factor, accepted
    assert found(changed(sent, "hb_supplies_per_uos", 0, 114.4)) == []
    # exactly 10x the prior year (5.50) with the non-labor rationale written: explained
    why = {"hb_rationale_nonlabor": ["new formulary"]}
    assert found(changed(sent, "hb_supplies_per_uos", 0, 5.5) | why) == []


def test_review_after_the_layout_check(system: System, sent: Submission) -> None:
    # a crashing layout check is reported against the file
    sub = copy(sent)
    sub.names = None
    assert [(f.code, f.file) for f in identity(system, sub)] == [("INTERNAL", FILE)]
    # a layout error stops the review: protection removed is not reported beside it
    moved = copy(sent, names=sent.names | {"hb_fte": None}, protected=False)
    assert [f.code for f in identity(system, moved)] == ["LAYOUT_CHANGED"]
    # a warning before it does not: the name mismatch and the content are both reported
    name = "HWH-08000 copy.xlsx"
    warned = copy(sent, candidate=Candidate(Path(name), name),
                  values=changed(sent, "hb_supplies_per_uos", 0, -1)
                  | {"hb_rationale_nonlabor": ["supplies credited back"]})  # fmt: skip
    assert [f.code for f in identity(system, warned)] == ["NAME_MISMATCH", "NEGATIVE"]

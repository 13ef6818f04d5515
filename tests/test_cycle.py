"""Issue 5: consolidate, divergence, decisions and lock, read back from the control workbook."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from hybridbudget.control.audit import AUDIT_BLOCK, AUDIT_COLUMNS, AUDIT_SHEET
from hybridbudget.engine.drivers import compute
from hybridbudget.engine.favourability import direction
from hybridbudget.engine.gaps import ACCEPT, AGREED, EFFECTS, KEEP
from hybridbudget.engine.rollup import MONTH_KEYS
from hybridbudget.errors import HybridBudgetError
from hybridbudget.intake.files import Candidate
from hybridbudget.intake.submission import read_submission
from hybridbudget.model.line_items import LINE_ITEM_CODES
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps import consolidate as C
from hybridbudget.steps import divergence as D
from hybridbudget.steps import plan as P
from hybridbudget.templates.values import drivers_from_values
from sheets import assert_difference_format, assert_pnl_ties, block_formats, block_frame, cents


def first_cell(wb, name: str):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][ref.replace("$", "").split(":")[0]]


@pytest.fixture(scope="module")
def filled(tmp_path_factory, templates_dir, control_path) -> Path:
    out = tmp_path_factory.mktemp("filled")
    fill_submissions(templates_dir, out, seed=11, control=control_path)
    return out


@pytest.fixture(scope="module")
def cycle(tmp_path_factory, filled, control_path) -> dict:
    """A control workbook taken through consolidate and divergence (read-only for tests)."""
    root = tmp_path_factory.mktemp("cycle")
    control = root / "control.xlsx"
    shutil.copyfile(control_path, control)
    subs = root / "submissions"
    shutil.copytree(filled, subs)
    for gone in list(subs.rglob("RPN-*.xlsx"))[:2]:
        gone.unlink()  # two clinics never sent anything
    result = C.consolidate(control, subs)
    div = D.divergence(control)
    return {"control": control, "subs": subs, "result": result, "divergence": div}


def test_consolidated_ties_to_each_submissions_own_figures(cycle):
    result, control = cycle["result"], cycle["control"]
    assert len(result.bottom_up) == 52
    expected = {li: 0 for li in LINE_ITEM_CODES}
    per_cc = {}
    for sub_path in sorted(cycle["subs"].rglob("*.xlsx")):
        sub = read_submission(Candidate(sub_path, sub_path.name))
        fig = compute(drivers_from_values(sub.values))
        per_cc[sub.cost_center] = fig
        for li in LINE_ITEM_CODES:
            expected[li] += round(fig.lines[li] * 100)
    cons = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    system = cons[cons.level == "System"].set_index("line_item")
    for li in LINE_ITEM_CODES:
        assert cents([system.loc[li, "annual"]]) == expected[li], li
        assert cents(system.loc[li, list(MONTH_KEYS)]) == expected[li], li
    # every level is the sum of its members, to the cent
    for level, parent in (
        ("Entity", "System"),
        ("Service line", "Entity"),
        ("Cost center", "Service line"),
    ):
        assert cents(cons.loc[cons.level == level, "annual"]) == cents(
            cons.loc[cons.level == parent, "annual"]
        ), level
    rows = cons[cons.level == "Cost center"].set_index(["code", "line_item"])
    for cc, fig in per_cc.items():
        for li in LINE_ITEM_CODES:
            assert cents([rows.loc[(cc, li), "annual"]]) == round(fig.lines[li] * 100)


def test_missing_cost_centers_are_listed_not_zero(cycle):
    control = cycle["control"]
    subs = block_frame(control, C.SUBMISSIONS_SHEET, C.SUBMISSION_BLOCK, C.SUBMISSION_COLUMNS)
    missing = subs[subs.status == C.NOT_RECEIVED].cost_center.tolist()
    assert len(missing) == 2 and set(missing) == set(cycle["result"].missing)
    cons = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    assert cons[cons.level == "System"].included.iloc[0] == "52 of 54"
    assert not set(missing) & set(cons[cons.level == "Cost center"].code)
    wb = openpyxl.load_workbook(control, read_only=True)
    notes = [r[0] for r in wb[C.CONSOLIDATED_SHEET].iter_rows(max_row=3, values_only=True)]
    wb.close()
    assert any(n and all(m in n for m in missing) for n in notes)
    valid = subs[subs.status.isin([C.ACCEPTED, C.ACCEPTED_WARNINGS])]
    assert len(valid) == 52
    assert valid.sha256.str.len().eq(64).all() and valid.file.ne("").all()


def test_rerun_is_identical_and_a_resubmission_shows(cycle, tmp_path, templates_dir, control_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(cycle["control"], control)
    subs = tmp_path / "subs"
    shutil.copytree(cycle["subs"], subs)
    C.consolidate(control, subs)
    first = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    C.consolidate(control, subs)
    again = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    pd.testing.assert_frame_equal(first, again)
    status = block_frame(control, C.SUBMISSIONS_SHEET, C.SUBMISSION_BLOCK, C.SUBMISSION_COLUMNS)
    assert set(status.change) <= {"unchanged"} | {""}
    # a corrected resubmission of the issued template (saved later) with one more RN; a version
    # finance never issued would be rejected (issue 13)
    old = next(subs.rglob("RMC-03100*.xlsx"))
    wb = openpyxl.load_workbook(old)
    rn = first_cell(wb, "hb_fte")
    rn.value = round(rn.value + 1, 2)
    first_cell(wb, "hb_rationale_staffing").value = "One more RN for the new step-down beds."
    wb.save(old.with_name("RMC-03100_resubmitted.xlsx"))
    C.consolidate(control, subs)
    status = block_frame(
        control, C.SUBMISSIONS_SHEET, C.SUBMISSION_BLOCK, C.SUBMISSION_COLUMNS
    ).set_index("cost_center")
    assert status.loc["RMC-03100", "file"].endswith("RMC-03100_resubmitted.xlsx")
    assert status.loc["RMC-03100", "change"].startswith("replaced (was")
    assert status.loc["RMC-03100", "superseded"]
    after = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    key = (after.code == "RMC-03100") & (after.line_item == "SAL_RN")
    assert after.loc[key, "annual"].iloc[0] > first.loc[key, "annual"].iloc[0]


def test_driver_effects_add_up_to_each_gap_exactly(cycle):
    effects = block_frame(cycle["control"], D.SUMMARY_SHEET, D.EFFECT_BLOCK, D.EFFECT_COLUMNS)
    assert len(effects) == 52
    keys = [k for k, _ in EFFECTS]
    for row in effects.itertuples(index=False):
        assert cents([getattr(row, k) for k in keys]) == cents([row.expense_gap]), row.cost_center
        assert cents([row.bu_expense]) - cents([row.td_expense]) == cents([row.expense_gap])
    assert all(effects[k].abs().sum() > 0 for k in ("volume", "intensity", "wage_rate"))


def test_divergence_summary_ties_to_consolidated(cycle):
    control = cycle["control"]
    summary = block_frame(control, D.SUMMARY_SHEET, D.SUMMARY_BLOCK, D.SUMMARY_COLUMNS)
    cons = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    system = summary[summary.level == "System"].iloc[0]
    sys_rows = cons[cons.level == "System"]
    assert cents([system.bu_revenue]) == cents(sys_rows[sys_rows.line_item == "REV"].annual)
    assert cents([system.bu_expense]) == cents(sys_rows[sys_rows.line_item != "REV"].annual)
    for row in summary[summary.level == "Service line"].itertuples(index=False):
        sl = cons[(cons.level == "Service line") & (cons.code == row.code)]
        assert cents([row.bu_expense]) == cents(sl[sl.line_item != "REV"].annual), row.code
    agenda = block_frame(control, D.DIVERGENCE_SHEET, D.AGENDA_BLOCK, D.AGENDA_COLUMNS)
    agenda = agenda[agenda.line_item.notna()]  # heading rows carry no line item
    assert (agenda.gap != 0).all()  # agenda order: tests/test_workshop_agenda.py
    flagged = agenda[agenda.flag == "Yes"]
    g_pct, g_amt = 0.05, 50_000
    assert (flagged.gap.abs() > g_amt).all()
    assert (flagged.gap.abs() > g_pct * flagged.top_down.abs()).all()


def test_plan_equals_the_decisions_applied(cycle, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(cycle["control"], control)
    agenda = cycle["divergence"].agenda
    choices = (AGREED, KEEP, ACCEPT, AGREED)
    decisions = {
        (row.cost_center, row.line_item): {
            "decision": choice,
            "agreed_value": 1234567.89 + i if choice == AGREED else None,
            "owner": "VP Finance",
            "note": "test",
        }
        for i, (choice, row) in enumerate(zip(choices, agenda.head(4).itertuples(), strict=True))
    }
    D.divergence(control, decisions=decisions)
    run_workshop(control)  # decides the rest; typed decisions win
    result = P.apply_decisions(control)
    assert result.undecided.empty
    plan = block_frame(control, P.PLAN_SHEET, P.PLAN_BLOCK, P.PLAN_COLUMNS).set_index(
        ["cost_center", "line_item"]
    )
    for (cc, li), d in decisions.items():
        row = agenda[(agenda.cost_center == cc) & (agenda.line_item == li)].iloc[0]
        want = {AGREED: d["agreed_value"], KEEP: row.top_down, ACCEPT: row.bottom_up}[d["decision"]]
        assert cents([plan.loc[(cc, li), "annual"]]) == cents([want])
    assert (plan[list(MONTH_KEYS)].sum(axis=1).round(2) == plan.annual.round(2)).all()
    missing = cycle["result"].missing[0]
    assert plan.loc[(missing, "REV"), "source"] == "top-down (no submission)"


def test_bad_decision_input_is_reported_by_cell(cycle, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(cycle["control"], control)
    agenda = cycle["divergence"].agenda
    a, b = agenda.iloc[0], agenda.iloc[1]
    D.divergence(control, decisions={
        (a.cost_center, a.line_item): {"decision": "maybe later"},
        (b.cost_center, b.line_item): {"decision": AGREED, "agreed_value": "about a million"},
    })  # fmt: skip
    with pytest.raises(HybridBudgetError) as err:
        P.apply_decisions(control)
    cells = {f.cell for f in err.value.findings}
    assert {f.sheet for f in err.value.findings} == {D.DIVERGENCE_SHEET}
    keys = [c.key for c in D.AGENDA_COLUMNS]
    letters = {get_column_letter(keys.index(k) + 1) for k in ("decision", "agreed_value")}
    assert len(err.value.findings) == 2 and {c.rstrip("0123456789") for c in cells} == letters
    assert "unknown decision 'maybe later'" in err.value.message or "maybe later" in str(
        [f.message for f in err.value.findings]
    )


def test_lock_refuses_undecided_then_freezes_a_version(cycle, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(cycle["control"], control)
    P.apply_decisions(control)
    with pytest.raises(HybridBudgetError, match="material items are undecided"):
        P.lock(control)
    first = P.lock(control, force_reason="board meeting tomorrow", user="controller")
    assert first.version == 1 and len(first.sha256) == 64
    locked = block_frame(control, first.sheet, P.PLAN_BLOCK, P.PLAN_COLUMNS)
    assert P.plan_hash(locked) == first.sha256
    wb = openpyxl.load_workbook(control)
    assert wb[first.sheet].protection.sheet and wb[P.PLAN_SHEET].protection.sheet
    wb.close()
    # later steps never change a locked plan
    run_workshop(control)
    P.apply_decisions(control)
    again = block_frame(control, first.sheet, P.PLAN_BLOCK, P.PLAN_COLUMNS)
    assert P.plan_hash(again) == first.sha256
    second = P.lock(control)
    assert second.version == 2 and second.sha256 != first.sha256
    audit = block_frame(control, AUDIT_SHEET, AUDIT_BLOCK, AUDIT_COLUMNS)
    locks = audit[audit.step == "lock"]
    assert len(locks) == 2 and "board meeting tomorrow" in locks.detail.iloc[0]
    assert locks.sha256.tolist() == [first.sha256, second.sha256]
    assert {"consolidate", "divergence", "apply decisions"} <= set(audit.step)


def test_lock_refuses_an_edited_plan(cycle, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(cycle["control"], control)
    run_workshop(control)
    P.apply_decisions(control)
    wb = openpyxl.load_workbook(control)
    ws = wb[P.PLAN_SHEET]
    for row in ws.iter_rows():
        if row[0].value == "RMC-03000" and row[4].value == "SUP":
            row[7].value = row[7].value + 1000
            break
    wb.save(control)
    with pytest.raises(HybridBudgetError, match="does not match the decisions"):
        P.lock(control)


def test_divergence_gaps_are_red_only_when_unfavourable(cycle):
    header, values, formats = block_formats(cycle["control"], D.DIVERGENCE_SHEET, D.AGENDA_BLOCK)
    line, gap, pct, fav = (header.index(h) for h in ("Line item", "Gap $ (bottom-up - top-down)",
                                                     "Gap %", "Fav/Unfav"))  # fmt: skip
    # the agenda's line rows (heading and label rows carry no line item)
    lines = [(v, f) for v, f in zip(values, formats, strict=True) if v[line]]
    assert lines and {v[line] for v, _ in lines} == set(LINE_ITEM_CODES)
    for v, f in lines:
        assert_difference_format(f[gap], direction(v[line]))
        assert_difference_format(f[pct], direction(v[line]))
        # the words agree with the colour: Unfav exactly where the number shows red
        red = (v[gap] > 0) if direction(v[line]) == "down" else (v[gap] < 0)
        assert (v[fav] or "") == ("Unfav" if red else ("Fav" if v[gap] else "")), v
    header, values, formats = block_formats(cycle["control"], D.SUMMARY_SHEET, D.SUMMARY_BLOCK)
    for f in formats:
        assert_difference_format(f[header.index("Expense gap")], "down")
        assert_difference_format(f[header.index("Margin gap")], "up")
        assert f[header.index("Bottom-up margin")] == "#,##0;(#,##0)"  # whole dollars
    header, values, formats = block_formats(cycle["control"], D.SUMMARY_SHEET, D.EFFECT_BLOCK)
    for f in formats:  # the total row included
        for label in ("Expense gap", *(lbl for _, lbl in EFFECTS)):
            assert_difference_format(f[header.index(label)], "down")


def test_consolidated_and_locked_plan_pnl_tie_to_the_cent(cycle, tmp_path):
    from hybridbudget.control.load import load_control
    from hybridbudget.control.pnl_sheet import PNL_TITLE
    from hybridbudget.engine.rollup import hierarchy

    control = cycle["control"]
    h = hierarchy(load_control(control)[0])
    cons = block_frame(control, C.CONSOLIDATED_SHEET, C.CONSOLIDATED_BLOCK, C.CONSOLIDATED_COLUMNS)
    detail = cons[cons.level == "Cost center"].rename(columns={"code": "cost_center"})
    blocks = assert_pnl_ties(control, C.CONSOLIDATED_SHEET, PNL_TITLE, h, detail)
    assert len([c for c in blocks if c in set(h.cost_center)]) == 52  # submitted ones only
    system = cons[(cons.level == "System")].set_index("line_item")
    assert cents([blocks["System"][1]["Net patient revenue"][0]]) == cents([system.annual["REV"]])
    locked = tmp_path / "control.xlsx"
    shutil.copyfile(control, locked)
    run_workshop(locked)
    P.apply_decisions(locked)
    result = P.lock(locked, force_reason="test")
    plan = block_frame(locked, result.sheet, P.PLAN_BLOCK, P.PLAN_COLUMNS)
    assert P.plan_hash(plan) == result.sha256  # the readers still read the detail block
    assert_pnl_ties(locked, result.sheet, PNL_TITLE, h, plan)
    assert_pnl_ties(locked, P.PLAN_SHEET, PNL_TITLE, h, plan)


def test_start_here_counts_what_the_steps_did(cycle, tmp_path):
    from hybridbudget.control import start_here as S

    control = cycle["control"]
    assert openpyxl.load_workbook(control, read_only=True).sheetnames[0] == S.START_HERE
    stages = block_frame(control, S.START_HERE, S.CYCLE_BLOCK, S.CYCLE_COLUMNS)
    stages = stages.set_index("step")
    received = len(list(cycle["subs"].rglob("*.xlsx")))  # the folder, counted here
    subs = block_frame(control, C.SUBMISSIONS_SHEET, C.SUBMISSION_BLOCK, C.SUBMISSION_COLUMNS)
    rejected = int((subs.status == "rejected").sum())
    assert stages.loc["3. Submissions in", "figures"] == (
        f"received {received}, valid {received - rejected}, rejected {rejected}, missing 2 "
        "(cost centers without a valid file)"
    )
    agenda = block_frame(control, D.DIVERGENCE_SHEET, D.AGENDA_BLOCK, D.AGENDA_COLUMNS)
    beyond = int((agenda.flag == "Yes").sum())
    plan = P.apply_decisions(shutil.copyfile(control, tmp_path / "copy.xlsx"))
    assert beyond > 0 and len(plan.undecided) == beyond  # nothing decided yet
    assert stages.loc["4. Reconciliation workshop", "figures"] == (
        f"{beyond} items beyond tolerance: 0 decided, {beyond} undecided"
    )
    assert stages.status.tolist() == ["Done", "Done", "Done", "Next", *["To do"] * 4]
    todo = block_frame(control, S.START_HERE, S.NEXT_BLOCK, S.NEXT_COLUMNS)
    assert todo.todo.tolist() == [
        f"Decide the {beyond} items still undecided on Divergence (Decision column), then run "
        "Apply decisions."
    ]

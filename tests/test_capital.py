"""Issue 21: capital requests ranked against the envelope, decided in the workshop, in the plan.

Scores, ranks, cut lines and depreciation are worked out by hand below; a generated system is
taken through consolidate, decisions typed on the written Capital Requests sheet (openpyxl, as
finance types in Excel), a second consolidate, Apply decisions and Lock, and every figure is read
back from the files written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hybridbudget.control.book import open_control
from hybridbudget.control.pnl_sheet import PNL_TITLE
from hybridbudget.engine.capital import (
    BEYOND_CUT,
    ESCALATED,
    CapitalRequest,
    budget_year_depreciation,
    depreciation_by_year,
    rank_requests,
    score,
)
from hybridbudget.engine.rollup import hierarchy
from hybridbudget.errors import HybridBudgetError
from hybridbudget.intake.submission import cell_of
from hybridbudget.sample import write_actuals, write_sample
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps import consolidate as C
from hybridbudget.steps import plan as P
from hybridbudget.steps.actuals import import_actuals
from hybridbudget.steps.capital_requests import (
    CAPITAL_SHEET,
    RANKED_BLOCK,
    RANKED_COLUMNS,
    capital_summary,
)
from hybridbudget.steps.dashboard import build_dashboard
from hybridbudget.steps.export import export_powerbi
from hybridbudget.steps.init import init_control
from hybridbudget.steps.templates import generate_templates
from hybridbudget.steps.validate import validate_submissions
from hybridbudget.steps.variance import variance
from hybridbudget.workbook.dashboard_book import EXECUTIVE
from sheets import assert_pnl_ties, block_frame, cents

WEIGHTS = {"Patient safety": 5.0, "Regulatory": 4.0, "Replacement": 2.0, "IT": 2.0}


def _req(cc: str, row: int, amount: float, category: str, priority: str, growth: float,
         life: int = 60, month: int | None = None) -> CapitalRequest:  # fmt: skip
    return CapitalRequest(cc, row, f"item {cc}-{row}", round(amount * 100), category, priority,
                          life, month, "why", growth)  # fmt: skip


# by hand: weight x points (High 3, Medium 2, Low 1) x (1 + growth), 4 decimals
TABLE = [
    (_req("A", 1, 400_000, "Replacement", "High", 0.025), 2 * 3 * 1.025),  # 6.15
    (_req("B", 1, 250_000, "Patient safety", "Medium", 0.04), 5 * 2 * 1.04),  # 10.4
    (_req("B", 2, 90_000, "IT", "Low", 0.04), 2 * 1 * 1.04),  # 2.08
    (_req("C", 1, 1_200_000, "Regulatory", "High", 0.0325), 4 * 3 * 1.0325),  # 12.39
    (_req("C", 2, 60_000, "Replacement", "High", 0.025), 6.15),  # ties A-1: smaller amount first
]
RANK = ["C-1", "B-1", "C-2", "A-1", "B-2"]  # by score, the tie to the smaller amount


def _ids(ranked) -> list[str]:
    return [f"{x.request.cost_center}-{x.request.row}" for x in ranked]


def test_score_and_rank_reproduce_by_hand() -> None:
    for r, want in TABLE:
        assert score(WEIGHTS[r.category], r.priority, r.driver_growth) == pytest.approx(want)
    ranked = rank_requests([r for r, _ in TABLE], WEIGHTS, 10**12, 10**12)
    assert _ids(ranked) == RANK
    assert [x.rank for x in ranked] == [1, 2, 3, 4, 5]
    # cumulative: 1,200,000 / 1,450,000 / 1,510,000 / 1,910,000 / 2,000,000
    assert [x.cumulative_cents for x in ranked] == [
        c * 100 for c in (1_200_000, 1_450_000, 1_510_000, 1_910_000, 2_000_000)
    ]


@pytest.mark.parametrize(
    ("envelope", "within"),
    [
        (1_510_000.00, 3),  # equal to the cumulative amount of the third: it is within
        (1_509_999.99, 2),  # one cent short: the third is the first beyond
        (1_199_999.99, 0),  # not even the first fits
        (2_000_000.00, 5),  # all of it
    ],
)
def test_cut_line_at_the_envelope_edges(envelope: float, within: int) -> None:
    ranked = rank_requests([r for r, _ in TABLE], WEIGHTS, round(envelope * 100), 10**12)
    assert [x.within for x in ranked] == [True] * within + [False] * (5 - within)
    assert all((BEYOND_CUT in x.workshop) is (not x.within) for x in ranked)


def test_cut_line_stays_down_even_when_a_smaller_request_below_would_fit() -> None:
    # 1,200,000 fits, 1,450,000 does not; C-2 (60,000) would fit on its own but is below the line
    ranked = rank_requests([r for r, _ in TABLE], WEIGHTS, 1_300_000 * 100, 10**12)
    assert [x.within for x in ranked] == [True, False, False, False, False]


def test_escalation_threshold_sends_large_requests_to_the_workshop() -> None:
    ranked = rank_requests([r for r, _ in TABLE], WEIGHTS, 10**12, 400_000 * 100)
    flagged = {i for i, x in zip(_ids(ranked), ranked, strict=True) if x.workshop}
    assert flagged == {"C-1", "A-1"}  # 1,200,000 and exactly 400,000
    assert all(x.workshop == ESCALATED for x in ranked if x.workshop)


def test_depreciation_ties_to_the_cent() -> None:
    # 100,000.01 over 36 months: 10,000,001 cents = 36 x 277,777 + 29 -> 29 months of 277,778
    by_year = depreciation_by_year(10_000_001, 36, 10)
    assert by_year[0] == [0] * 9 + [277_778] * 3  # Oct, Nov, Dec of the budget year
    assert by_year[1] == [277_778] * 12
    assert by_year[2] == [277_778] * 12
    assert by_year[3] == [277_778] * 2 + [277_777] * 7 + [0] * 3  # months 27-29 and 30-36
    assert sum(sum(m) for m in by_year.values()) == 10_000_001
    # a life shorter than the rest of the year; July when no month is given
    assert depreciation_by_year(1_000, 2, 11) == {0: [0] * 10 + [500, 500]}
    july = budget_year_depreciation(_req("A", 1, 12_000.00, "IT", "Low", 0.0, life=12))
    assert july == [0] * 6 + [100_000] * 6 and sum(july) == 600_000  # half the year


# -- through the steps ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> dict:
    """12 generated cost centers, templates, a simulated fill; every capital request replaced
    by three known ones (read-only: copy before editing)."""
    root = tmp_path_factory.mktemp("capital")
    write_sample(root / "sources", cost_centers=12, seed=21)
    control = root / "control.xlsx"
    init_control(root / "sources", control)
    generate_templates(control, root / "templates")
    fill_submissions(root / "templates", root / "subs", seed=21, control=control)
    files = sorted((root / "subs").rglob("*.xlsx"))
    for path in files:  # no sample capital: only the requests below
        _write(path, {cell_of(f"hb_capital_{k}", i): None for i in range(5)
                      for k in ("item", "amount", "priority", "justification", "category",
                                "life", "in_service")})  # fmt: skip
    first, second = files[0], files[1]
    _write(first, _request(0, "Infusion pumps", 300_000.00, "High", "Patient safety", 84, "Apr"))
    _write(first, _request(1, "Lobby chairs", 50_000.00, "Low", "Replacement", 60, None))
    _write(second, _request(0, "MRI", 3_900_000.00, "Medium", "Strategic growth", 120, "Oct"))
    return {"root": root, "control": control, "subs": root / "subs", "files": files}


def _request(i, item, amount, priority, category, life, month) -> dict[str, object]:
    return {cell_of("hb_capital_item", i): item, cell_of("hb_capital_amount", i): amount,
            cell_of("hb_capital_priority", i): priority,
            cell_of("hb_capital_justification", i): "needed",
            cell_of("hb_capital_category", i): category, cell_of("hb_capital_life", i): life,
            cell_of("hb_capital_in_service", i): month}  # fmt: skip


def _write(path: Path, cells: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    for coord, value in cells.items():
        wb["Budget"][coord].value = value
    wb.save(path)


def _copy(system: dict, tmp_path: Path) -> tuple[Path, Path]:
    control, subs = tmp_path / "control.xlsx", tmp_path / "subs"
    shutil.copyfile(system["control"], control)
    shutil.copytree(system["subs"], subs)
    return control, subs


def _ranked(control: Path):
    frame = block_frame(control, CAPITAL_SHEET, RANKED_BLOCK, RANKED_COLUMNS)
    return frame


def _decide(control: Path, decisions: dict[str, tuple[str, str]]) -> None:
    """Type Decision and Note by item on the Capital Requests sheet, as finance does in Excel."""
    wb = openpyxl.load_workbook(control)
    ws = wb[CAPITAL_SHEET]
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == RANKED_BLOCK)
    header = [c.value for c in rows[start + 1]]
    col = {c.key: header.index(c.header) for c in RANKED_COLUMNS}
    for r in rows[start + 2 :]:
        item = r[col["item"]].value
        if item in decisions:
            r[col["decision"]].value, r[col["note"]].value = decisions[item]
    wb.save(control)


def test_consolidate_ranks_and_decisions_survive_reruns(system, tmp_path) -> None:
    control, subs = _copy(system, tmp_path)
    C.consolidate(control, subs)
    frame = _ranked(control)
    data = frame[frame.cost_center.notna()]
    # Patient safety 5 x High 3 = 15+, Strategic growth 3 x Medium 2 = 6+, Replacement 2 x Low 1
    assert list(data["item"]) == ["Infusion pumps", "MRI", "Lobby chairs"]
    assert list(data["cumulative"]) == [300_000.00, 4_200_000.00, 4_250_000.00]
    # the sample envelope is scaled to 12 cost centers: 18M x 12 / 54 -> 4,000,000: the cut
    # line sits under the pumps, the MRI takes the cumulative amount past it
    assert list(frame["rank"]) == [1, "Cut", 2, 3]
    assert (frame["item"].iloc[1], frame["workshop"].iloc[1]) == (
        "Envelope 4,000,000.00",
        "cut line: 1 within, 2 beyond",
    )
    assert list(data["within"]) == ["Yes", "No", "No"]
    assert list(data["workshop"].fillna("")) == ["", f"{BEYOND_CUT}; {ESCALATED}", BEYOND_CUT]
    _decide(control, {"Infusion pumps": ("Approve", "safety first"), "MRI": ("defer", "next year")})
    C.consolidate(control, subs)  # a second run keeps them
    again = _ranked(control)
    again = again[again.cost_center.notna()].fillna("")
    kept = {r["item"]: (r["decision"], r["note"]) for _, r in again.iterrows()}
    assert kept["Infusion pumps"] == ("Approve", "safety first")
    assert kept["MRI"] == ("defer", "next year")
    assert kept["Lobby chairs"] == ("", "")
    s = capital_summary(open_control(control))
    assert s.approved_cents == 30_000_000 and s.requested_cents == 425_000_000
    assert s.count_by_decision == {"Approve": 1, "Defer": 1, "Reject": 0, "Undecided": 1}
    assert s.envelope_cents == 400_000_000 and s.remaining_cents == 370_000_000


def test_apply_decisions_carries_depreciation_and_lock_refuses_over_envelope(system, tmp_path):
    control, subs = _copy(system, tmp_path)
    C.consolidate(control, subs)
    run_workshop(control)  # every divergence decided: only capital can stop the lock
    _decide(control, {"Infusion pumps": ("Approve", ""), "MRI": ("Approve", ""),
                      "Lobby chairs": ("Reject", "")})  # fmt: skip
    result = P.apply_decisions(control)
    dep = result.plan[result.plan.line_item == "DEP"].set_index("cost_center")
    cc_pumps = _cost_center(system["files"][0])
    cc_mri = _cost_center(system["files"][1])
    # pumps: 30,000,000 cents / 84 = 357,142 r 72 -> Apr..Dec all 357,143 (9 months)
    assert list(dep.loc[cc_pumps, [f"m{k:02d}" for k in range(1, 13)]]) == (
        [0.0] * 3 + [3_571.43] * 9
    )
    assert dep.loc[cc_pumps, "annual"] == 32_142.87
    # MRI: 390,000,000 cents / 120 = 3,250,000 -> Oct..Dec
    assert dep.loc[cc_mri, "annual"] == 97_500.00
    plan = block_frame(control, P.PLAN_SHEET, P.PLAN_BLOCK, P.PLAN_COLUMNS)
    blocks = assert_pnl_ties(control, P.PLAN_SHEET, PNL_TITLE, hierarchy(result.reference), plan)
    assert blocks["System"][1]["Depreciation (new capital)"][0] == 32_142.87 + 97_500.00
    written = plan[plan.line_item == "DEP"].set_index("cost_center")
    assert written.loc[cc_pumps, "annual"] == 32_142.87
    assert written.loc[cc_mri, "m10"] == 32_500.00 and written.loc[cc_mri, "m09"] == 0
    assert result.capital.approved_cents == 420_000_000 > result.capital.envelope_cents
    with pytest.raises(HybridBudgetError, match=r"over the capital envelope .* by 200,000\.00"):
        P.lock(control, force_reason="")
    assert P.LOCKED_PREFIX + "1" not in openpyxl.load_workbook(control, read_only=True).sheetnames
    locked = P.lock(control, force_reason="board approved the MRI")
    assert locked.forced == "board approved the MRI"
    assert "approved capital 200,000.00 over the envelope" in _audit_detail(control)
    _reported(system, control, tmp_path, cc_pumps)


def _reported(system: dict, control: Path, tmp_path: Path, cc_pumps: str) -> None:
    """The Executive view and the Power BI export show capital approved against the envelope."""
    write_actuals(system["root"] / "sources", 2027, [1], tmp_path / "actuals", seed=21)
    import_actuals(control, tmp_path / "actuals", "2027-01")
    variance(control, "2027-01")
    dash = build_dashboard(control, tmp_path / "dashboard.xlsx")
    ws = openpyxl.load_workbook(dash.path)[EXECUTIVE]
    rows = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(rows) if r == ["Capital approved against the envelope"])
    assert rows[at + 1][:4] == ["Capital envelope", "Approved", "Remaining", "Requested"]
    assert rows[at + 2] == [4_000_000.0, 4_200_000.0, -200_000.0, 4_250_000.0, 2, 0, 1, 0]
    export = export_powerbi(control, tmp_path / "powerbi")
    fact = pd.read_parquet(tmp_path / "powerbi" / "fact_capital.parquet")
    by_item = fact.set_index("item")
    assert list(by_item.decision[["Infusion pumps", "MRI", "Lobby chairs"]]) == [
        "Approve", "Approve", "Reject"]  # fmt: skip
    assert by_item.depreciation_budget_year["Infusion pumps"] == 32_142.87
    assert by_item.depreciation_budget_year["Lobby chairs"] == 0.0
    plan = export.tables["fact_plan"]
    assert cents(plan[plan.line_item == "DEP"].amount) == 3_214_287 + 9_750_000
    assert "DEP" in set(export.tables["dim_line_item"].line_item)
    assert (
        "approved 4,200,000.00 (200,000.00 over)"
        in (tmp_path / "powerbi" / "README.md").read_text()
    )


def test_lock_accepts_a_plan_within_the_envelope(system, tmp_path) -> None:
    control, subs = _copy(system, tmp_path)
    C.consolidate(control, subs)
    run_workshop(control)  # every divergence decided: only capital can stop the lock
    _decide(control, {"Infusion pumps": ("Approve", ""), "MRI": ("Reject", "")})
    P.apply_decisions(control)
    locked = P.lock(control)  # no reason needed: 300,000 approved of 4,000,000
    assert locked.version == 1 and locked.forced == ""


def _cost_center(path: Path) -> str:
    return path.name.split("_FY")[0]


def _audit_detail(control: Path) -> str:
    wb = openpyxl.load_workbook(control, read_only=True)
    rows = [r for r in wb["Audit Log"].iter_rows(values_only=True) if r and "lock" in r]
    return " ".join(str(v) for v in rows[-1])


def test_bad_category_amount_life_and_month_are_findings_with_their_cells(system, tmp_path):
    _, subs = _copy(system, tmp_path)
    path = next(p for p in (tmp_path / "subs").rglob("*.xlsx") if p.name == system["files"][0].name)
    bad = {cell_of("hb_capital_category", 0): "Furniture",  # not finance's
           cell_of("hb_capital_amount", 1): -5,
           cell_of("hb_capital_life", 0): 0,
           cell_of("hb_capital_life", 1): 12.5,
           cell_of("hb_capital_in_service", 0): "Smarch"}  # fmt: skip
    _write(path, bad)
    found = [f for f in validate_submissions(system["control"], subs).findings
             if f.file.endswith(path.name)]  # fmt: skip
    got = {(f.code, f.cell) for f in found}
    assert got == {
        ("CAPITAL_CATEGORY", cell_of("hb_capital_category", 0)),
        ("NEGATIVE", cell_of("hb_capital_amount", 1)),
        ("OUT_OF_RANGE", cell_of("hb_capital_life", 0)),
        ("OUT_OF_RANGE", cell_of("hb_capital_life", 1)),
        ("OUT_OF_RANGE", cell_of("hb_capital_in_service", 0)),
    }, found


def test_priorities_are_edited_on_guardrails_and_a_bad_weight_is_a_finding(control_copy) -> None:
    from hybridbudget.control import schema as L
    from hybridbudget.control.load import load_control
    from hybridbudget.engine.targets import build_targets
    from hybridbudget.templates.issued import issued_copy

    wb = openpyxl.load_workbook(control_copy)
    ws = wb[L.GUARDRAILS]
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == L.CAPITAL_PRIORITY_BLOCK)
    first = rows[start + 2]
    first[0].value, first[1].value = "Infection control", 7  # finance renames and reweighs
    wb.save(control_copy)
    ref, history = load_control(control_copy)
    assert ref.config.capital_priorities[0].category == "Infection control"
    assert ref.config.capital_priorities[0].weight == 7
    t = next(iter(build_targets(ref, history).by_cost_center.values()))
    assert issued_copy(t, ref).givens["hb_capital_categories"][:2] == [
        "Infection control", "Regulatory"]  # fmt: skip
    first[1].value = "heavy"
    wb.save(control_copy)
    with pytest.raises(HybridBudgetError) as err:
        load_control(control_copy)
    assert [(f.sheet, f.cell) for f in err.value.findings] == [(L.GUARDRAILS, first[1].coordinate)]

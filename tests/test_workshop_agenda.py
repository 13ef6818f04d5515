"""Issue 16: the reconciliation workshop's agenda, one escalation rule, honest decisions.

A generated system (sample generator, simulated managers) is taken through consolidate and
divergence; the Divergence sheet is read back with openpyxl (rows, outline levels, fonts, print
settings) and checked against figures recomputed here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from hybridbudget.control import schema as L
from hybridbudget.control.book import open_control
from hybridbudget.control.load import load_control
from hybridbudget.control.sheets import decision_guide_sheet
from hybridbudget.engine.escalation import EscalationRule
from hybridbudget.engine.gaps import ACCEPT, KEEP, line_gaps
from hybridbudget.engine.targets import build_targets
from hybridbudget.engine.triggers import find_breaches
from hybridbudget.errors import HybridBudgetError
from hybridbudget.model import EscalationLevel
from hybridbudget.sample import write_sample
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps import consolidate as C
from hybridbudget.steps import divergence as D
from hybridbudget.steps import plan as P
from hybridbudget.steps.agenda import BRIDGE_KEYS, CHANGED, CONFIRMED, WITHIN
from hybridbudget.steps.init import init_control
from hybridbudget.steps.templates import generate_templates
from hybridbudget.workbook.spec import Block, Sheet
from sheets import block_frame, cents

LEVELS = (
    EscalationLevel(level=1, role="Service line director", pct=0.05, amount=50_000.0),
    EscalationLevel(level=2, role="VP Finance", pct=0.10, amount=250_000.0),
    EscalationLevel(level=3, role="CFO", pct=0.20, amount=1_000_000.0),
)

# (gap, target, level with 'either', level with 'both'), worked by hand against LEVELS
GAPS = [
    (4_500_000.00, 43_689_320.00, 3, 2),  # the revenue gap: 10.3%, $4.5M -> CFO
    (-4_500_000.00, 43_689_320.00, 3, 2),  # the sign does not matter
    (1_000_000.00, 20_000_000.00, 3, 1),  # $1M at 5%: CFO by dollars alone
    (999_999.99, 19_000_000.00, 2, 1),  # a cent below the CFO's dollars (5.3%)
    (300_000.00, 5_000_000.00, 2, 1),  # 6%, VP's dollars
    (250_000.00, 2_500_000.00, 2, 2),  # exactly 10% and $250,000
    (249_999.99, 2_500_000.00, 1, 1),  # a cent short of both VP thresholds
    (60_000.00, 200_000.00, 3, 1),  # 30% of a small line: the CFO's percent
    (60_000.00, 1_000_000.00, 1, 1),  # 6% and $60,000
    (50_000.00, 1_000_000.00, 1, 1),  # exactly level 1
    (49_999.99, 100_000.00, 0, 0),  # 50% but a cent below $50,000: never enters the guide
    (2_100_000.00, 42_100_000.00, 0, 0),  # $2.1M at 4.99%: below level 1's percent
    (0.00, 1_000_000.00, 0, 0),
]


def _ladder(text: str) -> tuple[list[tuple[float, str, float]], bool]:
    """The levels as the rule's text states them, and whether level 1 needs both."""
    found = re.findall(r"level \d+ [^:]+: (\d+)% (and|or) \$([\d,]+)", text)
    steps = [(int(p) / 100, word, float(a.replace(",", ""))) for p, word, a in found]
    return steps, "enters the guide when it reaches both level 1 thresholds" in text


def _level_from_text(text: str, gap: float, target: float) -> int:
    """A reading of the rule text that does not use the engine."""
    steps, gate = _ladder(text)
    size, level = abs(gap), 0
    for n, (pct, word, amount) in enumerate(steps, 1):
        dollars, share = size >= amount, size >= pct * abs(target)
        if (dollars and share) if word == "and" else (dollars or share):
            level = n
    if gate and not (size >= steps[0][2] and size >= steps[0][0] * abs(target)):
        return 0
    return level


@pytest.mark.parametrize("combine", ["either", "both"])
@pytest.mark.parametrize(("gap", "target", "either", "both"), GAPS)
def test_rule_text_equals_engine_behaviour(combine, gap, target, either, both):
    rule = EscalationRule(LEVELS, combine)
    want = either if combine == "either" else both
    assert rule.level(gap, target) == want
    assert _level_from_text(rule.text(), gap, target) == want
    assert rule.role(gap, target) == (LEVELS[want - 1].role if want else "")


def test_the_default_sends_a_gap_material_in_dollars_to_the_dollar_level():
    rule = EscalationRule(LEVELS)
    assert rule.combine == "either" and rule.role(4_500_000, 43_689_320) == "CFO"
    assert "level 3 CFO: 20% or $1,000,000" in rule.text()
    assert "level 3 CFO: 20% and $1,000,000" in EscalationRule(LEVELS, "both").text()


@pytest.mark.parametrize("combine", ["either", "both"])
def test_variance_triggers_use_the_same_rule(combine):
    cases = [(g, t, e if combine == "either" else b) for g, t, e, b in GAPS if g > 0]
    rows = pd.DataFrame(
        [{"cost_center": f"CC{i}", "line_item": "SUP", "flex": t, "actual": t + g}
         for i, (g, t, _) in enumerate(cases)]
    )  # fmt: skip
    found = find_breaches(rows, "2027-01", EscalationRule(LEVELS, combine))
    got = {b.cost_center: b.level for b in found}
    assert got == {f"CC{i}": want for i, (_, _, want) in enumerate(cases) if want}


def test_decision_guide_sheet_text_comes_from_the_setting_the_engine_reads(tmp_path, control_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(control_path, control)
    ref, _ = load_control(control)
    rule = EscalationRule.of(ref.config)
    assert rule.combine == "either"
    wb = openpyxl.load_workbook(control)
    ws = wb[L.DECISION_GUIDE]
    assert ws["A2"].value == rule.text()
    cell = next(r[1] for r in ws.iter_rows() if r[3].value == "combine")
    cell.value = "both"  # the CFO office changes the setting in Excel
    wb.save(control)
    ref, _ = load_control(control)
    both = EscalationRule.of(ref.config)
    assert both.combine == "both" and both.level(4_500_000, 43_689_320) == 2
    assert decision_guide_sheet(ref.config).notes[0] == both.text() != rule.text()
    cell.value = "sometimes"
    wb.save(control)
    with pytest.raises(HybridBudgetError) as err:
        load_control(control)
    assert any("sometimes" in f.message for f in err.value.findings)


# --- the agenda on a generated system --------------------------------------------------------


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> dict:
    """24 generated cost centers through init, templates, a simulated fill, consolidate and
    divergence (read-only: copy before editing)."""
    root = tmp_path_factory.mktemp("workshop")
    write_sample(root / "sources", cost_centers=24, seed=16)
    control = root / "control.xlsx"
    init_control(root / "sources", control)
    generate_templates(control, root / "templates")
    fill_submissions(root / "templates", root / "subs", seed=16, control=control)
    C.consolidate(control, root / "subs")
    return {"root": root, "control": control, "result": D.divergence(control)}


def _sheet_rows(control: Path) -> tuple[list[dict], int, openpyxl.worksheet.worksheet.Worksheet]:
    """The agenda's rows as dicts (with their row number, outline level, hidden, bold)."""
    wb = openpyxl.load_workbook(control)
    ws = wb[D.DIVERGENCE_SHEET]
    header = next(r[0].row for r in ws.iter_rows() if r[0].value == D.AGENDA_BLOCK) + 1
    heads = [c.value for c in ws[header]]
    keys = {c.key: heads.index(c.header) for c in D.AGENDA_COLUMNS}
    out = []
    for r in ws.iter_rows(min_row=header + 1):
        if all(c.value is None for c in r):
            continue
        dim = ws.row_dimensions[r[0].row]
        out.append({k: r[i].value for k, i in keys.items()} | {
            "_row": r[0].row, "_level": dim.outlineLevel, "_hidden": bool(dim.hidden),
            "_bold": bool(r[0].font.b)})  # fmt: skip
    return out, header, ws


def _expected_lines(control: Path) -> dict[str, list[tuple]]:
    """Every cost center's (line, gap, flag) recomputed from the targets and the submissions."""
    ref, history = load_control(control)
    targets = build_targets(ref, history)
    book_bus = D.read_bottom_up(open_control(control))
    g = ref.config.guardrails
    return {
        cc: [(li, gap, flag) for li, _t, _v, gap, _s, flag in line_gaps(
            targets.by_cost_center[cc].figures, bu.figures, g.divergence_tolerance_pct,
            g.divergence_tolerance_amount)]
        for cc, bu in book_bus.items()
    }  # fmt: skip


def test_agenda_order_grouping_and_omissions(system):
    rows, header, ws = _sheet_rows(system["control"])
    expected = _expected_lines(system["control"])
    # blocks: consecutive rows of one cost center, opened by a bold heading row
    blocks: list[list[dict]] = []
    for r in rows:
        if r["_bold"]:
            blocks.append([r])
            continue
        opened_by = blocks[-1][0]["cost_center"]
        assert opened_by in (r["cost_center"], WITHIN)  # a cost center's rows stay together
        blocks[-1].append(r)
    deciding = [b for b in blocks if b[0]["cost_center"] != WITHIN]
    stakes = []
    for block in deciding:
        cc = block[0]["cost_center"]
        lines = [r for r in block[1:] if r["line_item"]]
        items = [r for r in lines if r["flag"] == "Yes"]
        others = [r for r in lines if r["flag"] != "Yes"]
        assert items, cc  # a block only for a cost center with something to decide
        assert lines == items + others  # items beyond tolerance first
        sizes = [abs(r["gap"]) for r in items]
        assert sizes == sorted(sizes, reverse=True), cc  # ranked by $
        assert all(not r["_hidden"] and not r["_level"] for r in items)
        assert all(r["_hidden"] and r["_level"] == 1 for r in others)  # collapsed group
        want = {(li, cents([gap])) for li, gap, _ in expected[cc] if gap}
        assert {
            (r["line_item"], cents([r["gap"]])) for r in lines
        } == want  # no zero gap, none lost
        assert {r["line_item"] for r in items} == {li for li, _, f in expected[cc] if f}
        stake = sum(cents([s]) for s in sizes)
        assert f"{len(items)} to decide, {stake / 100:,.0f} at stake" in block[0]["line_item_name"]
        stakes.append(stake)
    assert stakes == sorted(stakes, reverse=True)  # cost centers by their material gap
    assert len({b[0]["cost_center"] for b in deciding}) == len(deciding)  # never scattered
    with_items = {cc for cc, lines in expected.items() if any(f for *_, f in lines)}
    assert {b[0]["cost_center"] for b in deciding} == with_items
    closing = [b for b in blocks if b[0]["cost_center"] == WITHIN]
    quiet = {cc for cc in expected if cc not in with_items}
    if quiet:
        (block,) = closing
        assert {r["cost_center"] for r in block[1:]} == quiet
        assert all(r["_hidden"] for r in block[1:])
    # the header strip: items to decide, decided, gap at stake, by level
    notes = " ".join(str(ws.cell(i, 1).value) for i in range(2, header - 2))
    n_items = sum(len([r for r in b if r["flag"] == "Yes"]) for b in deciding)
    total = sum(stakes)
    assert f"To decide: {n_items} items beyond tolerance in {len(deciding)} cost centers, " \
           f"{total / 100:,.0f} at stake. Decided: 0" in notes  # fmt: skip
    by_level = re.findall(r"(CFO|VP Finance|Service line director|Cost center manager) (\d+) "
                          r"items", notes)  # fmt: skip
    items = [r for b in deciding for r in b if r["flag"] == "Yes"]
    assert {role: int(n) for role, n in by_level} == {
        role: sum(1 for r in items if r["escalate_to"] == role) for role, _ in by_level
    }
    assert sum(int(n) for _, n in by_level) == n_items


def test_agenda_rows_carry_everything_for_the_decision(system):
    rows, header, ws = _sheet_rows(system["control"])
    rule = system["result"].rule
    keys = [c.key for c in D.AGENDA_COLUMNS]
    order = ["top_down", "bottom_up", "gap", "gap_pct", "uos_gap", "fte_gap", "volume",
             "rationale", "level", "escalate_to", "decision", "agreed_value", "owner", "note"]  # fmt: skip
    assert [keys.index(k) for k in order] == sorted(keys.index(k) for k in order)
    items = [r for r in rows if r["flag"] == "Yes"]
    for r in items:
        level = rule.level(r["gap"], r["top_down"])
        assert (r["level"] or 0) == level
        assert r["escalate_to"] == (rule.levels[level - 1].role if level else "Cost center manager")
    long = max((r for r in items if r["rationale"]), key=lambda r: len(r["rationale"]))
    cell = ws.cell(long["_row"], keys.index("rationale") + 1)
    assert cell.alignment.wrap_text and len(long["rationale"]) > 60  # full, wrapped
    assert ws.row_dimensions[long["_row"]].height > 15  # tall enough to show it
    # frozen on the cost center and line; the bridge collapsed so the decision is in reach
    assert ws.freeze_panes == f"D{header + 1}"
    bridge = [get_column_letter(keys.index(k) + 1) for k in BRIDGE_KEYS]
    assert all(ws.column_dimensions[c].hidden and ws.column_dimensions[c].outlineLevel == 1
               for c in bridge)  # fmt: skip
    visible = [c for c in D.AGENDA_COLUMNS[: keys.index("decision") + 1] if not c.grouped]
    assert sum(c.col_width for c in visible) <= 185  # ~1,350 pixels: a laptop's Excel window
    # the printed pack
    assert (
        ws.page_setup.orientation == "landscape" and ws.print_title_rows == f"${header}:${header}"
    )
    assert ws.print_area.endswith(f"$A$1:${get_column_letter(keys.index('note') + 1)}$"
                                  f"{ws.max_row}")  # fmt: skip
    breaks = {b.id + 1 for b in ws.row_breaks.brk}
    heads = {r["_row"] for r in rows if r["_bold"]}
    assert breaks <= heads  # a page only ever starts at a cost center's heading


def test_bridge_columns_sum_to_each_gap_to_the_cent(system):
    rows, _, _ = _sheet_rows(system["control"])
    lines = [r for r in rows if r["line_item"]]
    assert lines
    for r in lines:
        parts = [r[k] for k in BRIDGE_KEYS if r[k] is not None]
        assert cents(parts) == cents([r["gap"]]), (r["cost_center"], r["line_item"])
        if r["line_item"] == "REV":  # volume and rate only
            assert [k for k in BRIDGE_KEYS if r[k] is not None] == ["volume", "rate"]
    bridge = block_frame(system["control"], D.SUMMARY_SHEET, D.BRIDGE_BLOCK, D.BRIDGE_COLUMNS)
    summary = block_frame(system["control"], D.SUMMARY_SHEET, D.SUMMARY_BLOCK, D.SUMMARY_COLUMNS)
    for r in bridge.itertuples(index=False):
        parts = [v for k in BRIDGE_KEYS if (v := getattr(r, k)) == v and v is not None]
        assert len(parts) == (2 if r.measure == "Revenue" else 5)
        assert cents(parts) == cents([r.gap]) == cents([r.bottom_up]) - cents([r.top_down])
    assert set(bridge.level) == {"System", "Entity", "Service line"}
    system_row = summary[summary.level == "System"].iloc[0]
    for measure in ("Revenue", "Expense"):
        mine = bridge[bridge.measure == measure]
        total = mine[mine.level == "System"].iloc[0]
        for level in ("Entity", "Service line"):  # the levels add up to the system, by effect
            for k in ("gap", *(k for k in BRIDGE_KEYS if total[k] == total[k])):
                assert cents(mine[mine.level == level][k]) == cents([total[k]]), (level, k)
    expense = bridge[(bridge.level == "System") & (bridge.measure == "Expense")].iloc[0]
    assert cents([expense.gap]) == cents([system_row.expense_gap])


def test_a_decided_line_changed_by_a_resubmission_is_flagged_and_blocks_the_lock(system, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(system["control"], control)
    subs = tmp_path / "subs"
    shutil.copytree(system["root"] / "subs", subs)
    agenda = system["result"].agenda
    items = agenda[agenda.flag == "Yes"]
    volume_lines = items[items.line_item.isin(["REV", "SUP", "DRG"])]
    cc = volume_lines.iloc[0].cost_center  # a cost center with a volume-driven item
    changed_line = volume_lines.iloc[0].line_item
    D.divergence(control, decisions={(cc, changed_line): {"decision": ACCEPT, "owner": "CFO"}})
    run_workshop(control)  # decides every other item
    P.apply_decisions(control)
    # the manager resubmits the issued template, saved later, with more volume in January
    old = next(subs.rglob(f"{cc}*.xlsx"))
    wb = openpyxl.load_workbook(old)
    sheet, ref = next(iter(wb.defined_names["hb_volume_forecast"].destinations))
    jan = wb[sheet][ref.replace("$", "").split(":")[0]]
    jan.value = round(jan.value * 1.3, 0)
    wb.save(old.with_name(f"{cc}_resubmitted.xlsx"))
    C.consolidate(control, subs)
    # without a re-run of Divergence the lock already sees the decision is stale
    P.apply_decisions(control)
    with pytest.raises(HybridBudgetError, match="material items are undecided"):
        P.lock(control)
    D.divergence(control)
    rows, _, _ = _sheet_rows(control)
    row = next(r for r in rows if (r["cost_center"], r["line_item"]) == (cc, changed_line))
    assert row["decision"] == ACCEPT and row["owner"] == "CFO"  # the decision is kept
    assert row["check"] == CHANGED
    assert cents([row["decided_bottom_up"]]) != cents([row["bottom_up"]])
    before = volume_lines.iloc[0].bottom_up
    assert cents([row["decided_bottom_up"]]) == cents([before])
    untouched = [r for r in rows if r["decision"] and r["cost_center"] != cc]
    assert untouched and all(not r["check"] for r in untouched)
    result = P.apply_decisions(control)
    stale = result.undecided[result.undecided.why == CHANGED]
    assert (cc, changed_line) in set(zip(stale.cost_center, stale.line_item, strict=True))
    with pytest.raises(HybridBudgetError, match="material items are undecided"):
        P.lock(control)
    # confirming (typed in Excel) makes it a decision again
    wb = openpyxl.load_workbook(control)
    keys = [c.key for c in D.AGENDA_COLUMNS]
    for r in rows:
        if r["check"] == CHANGED:
            wb[D.DIVERGENCE_SHEET].cell(r["_row"], keys.index("confirm") + 1).value = CONFIRMED
    wb.save(control)
    assert P.apply_decisions(control).undecided.empty
    assert P.lock(control).version == 1
    D.divergence(control)  # the confirmation moves the basis to today's bottom-up
    rows, _, _ = _sheet_rows(control)
    row = next(r for r in rows if (r["cost_center"], r["line_item"]) == (cc, changed_line))
    assert not row["check"] and not row["confirm"]
    assert cents([row["decided_bottom_up"]]) == cents([row["bottom_up"]])


def test_a_decision_typed_on_the_sheet_is_found_by_cost_center_and_line(system, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(system["control"], control)
    rows, _, _ = _sheet_rows(control)
    first = next(r for r in rows if r["flag"] == "Yes")
    keys = [c.key for c in D.AGENDA_COLUMNS]
    wb = openpyxl.load_workbook(control)
    wb[D.DIVERGENCE_SHEET].cell(first["_row"], keys.index("decision") + 1).value = KEEP
    wb.save(control)
    decisions, _ = D.read_decisions(open_control(control))
    assert decisions[(first["cost_center"], first["line_item"])]["decision"] == KEEP
    assert not any(not li for _, li in decisions)  # heading rows are not read as lines
    plan = P.build_plan(open_control(control)).plan.set_index(["cost_center", "line_item"])
    key = (first["cost_center"], first["line_item"])
    assert cents([plan.loc[key, "annual"]]) == cents([first["top_down"]])
    assert plan.loc[key, "source"] == "top-down (decided)"


def test_decisions_on_a_sheet_written_before_the_agenda_are_still_read(tmp_path, control_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(control_path, control)
    columns = tuple(c for c in D.AGENDA_COLUMNS if c.key in D.LEGACY_KEYS)
    old = pd.DataFrame(
        [{"cost_center": "RMC-03000", "line_item": "SUP", "bottom_up": 1234.5, "decision": KEEP,
          "agreed_value": None, "owner": "VP Finance", "note": "typed last week"}]
    )  # fmt: skip
    sheet = Sheet(D.DIVERGENCE_SHEET, "Divergence", (Block(D.LEGACY_AGENDA_BLOCK, columns, old),))
    open_control(control).write_sheets([sheet], "test")
    decisions, table = D.read_decisions(open_control(control))
    d = decisions[("RMC-03000", "SUP")]
    assert (d["decision"], d["owner"], d["bottom_up"], d["confirm"]) == (
        KEEP, "VP Finance", 1234.5, None)  # fmt: skip
    assert table.cell(d["_i"], "decision").startswith(get_column_letter(columns.index(
        next(c for c in columns if c.key == "decision")) + 1))  # fmt: skip


def test_line_bridges_add_up_to_the_cost_center_explanation(control_targets):
    from itertools import pairwise

    from hybridbudget.engine.gaps import expense_effects, explain_gap, line_bridge

    _, targets = control_targets
    for td, other in pairwise(list(targets.by_cost_center.values())):
        bridge = line_bridge(td.drivers, other.drivers)
        assert expense_effects(bridge) == explain_gap(td.drivers, other.drivers)
        for line, effects in bridge.items():
            gap = round(other.figures.lines[line] * 100) - round(td.figures.lines[line] * 100)
            assert sum(round(v * 100) for v in effects.values()) == gap, line

"""Issue 8: the vectorised engine paths give what the per-cost-center code gives."""

from __future__ import annotations

import random
from itertools import pairwise

from hybridbudget.engine.drivers import compute
from hybridbudget.engine.gaps import explain_gap
from hybridbudget.engine.money import phase
from hybridbudget.engine.rollup import (
    MONTH_KEYS,
    BottomUp,
    hierarchy,
    monthly_lines,
    phase_lines,
    rollup,
)
from hybridbudget.engine.targets import build_targets, prior_drivers, target_drivers
from hybridbudget.model.line_items import LINE_ITEM_CODES


def test_build_targets_equals_the_per_cost_center_functions(control_path):
    from hybridbudget.control.load import load_control

    ref, history = load_control(control_path)
    fast = build_targets(ref, history)
    monthly = dict(tuple(history.monthly.groupby("cost_center", sort=False)))
    staffing = dict(tuple(history.staffing.groupby("cost_center", sort=False)))
    for cc in ref.organization.cost_centers:
        m = monthly[cc.cost_center_code].sort_values("period")
        s = staffing[cc.cost_center_code]
        prior, gl = prior_drivers(cc, m, s)
        drivers = target_drivers(cc, prior, s, ref.config)
        t = fast.by_cost_center[cc.cost_center_code]
        assert (t.prior, t.prior_gl, t.drivers, t.figures) == (prior, gl, drivers, compute(drivers))


def test_rollup_adds_up_every_level_in_cents(control_targets):
    ref, targets = control_targets
    codes = [c.cost_center_code for c in ref.organization.cost_centers][::2]
    figures = {c: targets.by_cost_center[c].figures for c in codes}
    table = rollup(monthly_lines(figures), ref, codes)
    h = hierarchy(ref).set_index("cost_center")
    lines = monthly_lines(figures).set_index(["cost_center", "line_item"])
    for row in table.itertuples(index=False):
        members = {
            "System": list(h.index),
            "Entity": list(h.index[h.entity_code == row.code]),
            "Service line": list(h.index[h.service_line_code == row.code]),
            "Cost center": [row.code],
        }[row.level]
        included = [c for c in members if c in figures]
        want = sum(round(lines.loc[(c, row.line_item), "annual"] * 100) for c in included)
        assert round(row.annual * 100) == want, (row.level, row.code, row.line_item)
        assert row.included == f"{len(included)} of {len(members)}"
    assert {r.line_item for r in table.itertuples()} == set(LINE_ITEM_CODES)


def test_explain_gap_with_known_expenses_is_the_same(control_targets):
    _, targets = control_targets
    ts = list(targets.by_cost_center.values())
    for td, other in pairwise(ts):
        bu = BottomUp.of("x", other.drivers, {})
        known = (td.figures.expense, bu.figures.expense)
        assert explain_gap(td.drivers, bu.drivers, known) == explain_gap(td.drivers, bu.drivers)


def test_phasing_all_lines_at_once_equals_phasing_each(control_targets):
    rng = random.Random(8)
    for _ in range(3000):
        n = rng.choice([12, 12, 12, 1, 3, 0])
        weights = [rng.choice([0, rng.random() * 1000, rng.randint(0, 50), 1e-9]) for _ in range(n)]
        amounts = [round(rng.uniform(-1e7, 1e7), rng.choice([0, 2, 5])) for _ in range(13)]
        assert phase_lines(amounts, weights) == [phase(a, weights) for a in amounts]
    _, targets = control_targets
    figures = {code: t.figures for code, t in targets.by_cost_center.items()}
    lines = monthly_lines(figures).set_index(["cost_center", "line_item"])
    for code, fig in figures.items():
        for li, months in fig.monthly().items():
            assert lines.loc[(code, li), list(MONTH_KEYS)].tolist() == months


def test_frontline_sums_equal_filtering_each_cost_center():
    """Issue 20: the Frontline's grouped sums give what filtering the view per cost center gives."""
    import pandas as pd

    from hybridbudget.engine.dashboard_figures import PNL_ROWS, _money, _Sums, margin_of
    from hybridbudget.engine.variance_split import core_items

    rng = random.Random(20)
    rows = [
        {"cost_center": f"CC{c}", "line_item": li, "plan": rng.randint(-9, 10**7),
         "actual": rng.choice([0, rng.randint(0, 10**7)])}
        for c in range(30) for li in LINE_ITEM_CODES if rng.random() < 0.8
    ]  # fmt: skip
    view = pd.DataFrame(rows)
    sums = _Sums(view)
    for cc, v in view.groupby("cost_center"):
        for col in ("plan", "actual"):
            assert sums.margin(cc, col) == margin_of(v, col)
            for _, _, lines, _ in PNL_ROWS:
                if lines:
                    assert sums.money(cc, lines, col) == _money(v, lines, col)
        core = core_items(v)
        assert sums.core.get(cc, (0, 0)) == (int(core.within.sum()), len(core))
    assert sums.money("absent", ["REV"], "plan") == 0 and sums.margin("absent", "plan") == 0

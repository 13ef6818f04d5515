"""Issue 22 item 5: tests that kill the mutants of targets, rollup, triggers, variance_split and
gaps that survived bench/mutation/run.py (second round; the first is tests/test_mutation_kills.py).

Every expected value is worked by hand in the comment or table beside it, never computed by the
code under test. Fast and in memory: mutmut runs these per mutant.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from handworked import IMAGING, LAUNDRY, MEDSURG, System, load_system
from hybridbudget.engine.drivers import Drivers, StaffDrivers
from hybridbudget.engine.escalation import EscalationRule
from hybridbudget.engine.gaps import expense_effects, line_bridge
from hybridbudget.engine.history import History
from hybridbudget.engine.rollup import BottomUp, monthly_lines, phase_lines
from hybridbudget.engine.targets import build_targets, prior_drivers, target_drivers, whole_units
from hybridbudget.engine.triggers import (
    ACTION_KEYS,
    Breach,
    _next_id,
    describe,
    find_breaches,
    update_actions,
)
from hybridbudget.engine.variance_split import (
    Indicators,
    in_dollars,
    staffing_view,
    summed,
    variance_detail,
)
from hybridbudget.model import CostCenterType, EscalationLevel
from hybridbudget.model.line_items import LINE_ITEM_CODES

LEVELS = (
    EscalationLevel(level=1, role="Controller", pct=0.05, amount=50000.0),
    EscalationLevel(level=2, role="CFO", pct=0.10, amount=250000.0),
    EscalationLevel(level=3, role="Board", pct=0.20, amount=1000000.0),
)
INPATIENT = SimpleNamespace(cost_center_type=CostCenterType.INPATIENT)
GUARDRAILS = SimpleNamespace(
    guardrails=SimpleNamespace(
        inpatient_admissions_growth=0.02, outpatient_utilization_growth=0.04,
        labor_intensity_change=-0.01, net_revenue_rate_change=0.03, operating_margin_target=0.05,
    ),
    inflation=SimpleNamespace(wages=0.03, benefits=0.05, supplies=0.04, drugs=0.06,
                              purchased_services=0.025, other=0.02),
)  # fmt: skip
PAYROLL_COLUMNS = ["job_class", "REG_HOURS", "OT_HOURS", "PTO_HOURS", "AGY_HOURS", "REG_AMOUNT",
                   "PTO_AMOUNT", "AGY_AMOUNT"]  # fmt: skip


@pytest.fixture(scope="module")
def system() -> System:
    return load_system()


def gl_year(uos_a_month: float, **booked: float) -> pd.DataFrame:
    """Twelve months of `uos_a_month` UOS; each GL line's year booked in January."""
    return pd.DataFrame(
        [{"UOS": uos_a_month} | {c: booked.get(c, 0.0) if m == 0 else 0.0 for c in LINE_ITEM_CODES}
         for m in range(12)]
    )  # fmt: skip


# --- targets: rates that do not divide evenly, so every rounding place shows -------------------
#
# RN: 90 regular + 10 PTO hours, $3,000.00 + $333.33. 10 UOS a month (120). GL: revenue 1,000.00,
# RN salaries 3,000.00, benefits 1,000.00, drugs 100.00.
# | driver           | arithmetic                   | exact     | expected |
# | RN FTE           | 100 paid h / 2,080           | 0.048077  | 0.05     |
# | RN wage          | 3,333.33 / 100 h             | 33.3333   | 33.33    |
# | productive ratio | 90 worked / 100 paid         | 0.9       | 0.9      |
# | revenue / UOS    | 1,000 / 120                  | 8.3333    | 8.33     |
# | benefits load    | 1,000 / 3,000                | 0.333333  | 0.3333   |
# | drugs / UOS      | 100 / 120                    | 0.8333    | 0.83     |
# (A ratio counted from 1 hour instead of 0 would give 91 / 101 = 0.9010.)


def test_prior_drivers_round_each_rate_as_displayed() -> None:
    payroll = pd.DataFrame([("RN", 90.0, 0.0, 10.0, 0.0, 3000.0, 333.33, 0.0)],
                           columns=PAYROLL_COLUMNS)  # fmt: skip
    months = gl_year(10.0, REV=1000.0, SAL_RN=3000.0, BEN=1000.0, DRG=100.0)
    d, _ = prior_drivers(INPATIENT, months, payroll)
    assert d.staff("RN") == StaffDrivers(0.05, 33.33, 0.0, 0.0, 0.0)
    assert d.productive_ratio == 0.9
    assert (d.revenue_per_uos, d.benefits_load, d.drugs_per_uos) == (8.33, 0.3333, 0.83)


# Target: inpatient growth 2%: 10 x 1.02 = 10.2 -> 10 a month, flex 1. Labor intensity -1%.
# | driver             | arithmetic                                        | exact     | expected |
# | RN FTE             | 1,872 h / 120 x 0.99 x 120 = 1,853.28 / 0.9 / 2,080 | 0.99    | 0.99     |
# | RN wage            | 40.05 x 1.03                                      | 41.2515   | 41.25    |
# | revenue / UOS      | 123.45 x 1.03                                     | 127.1535  | 127.15   |
# | drugs / UOS        | 1.11 x 1.06                                       | 1.1766    | 1.18     |
# | purchased services | 1,234.56 x 1.025                                  | 1,265.424 | 1,265.42 |
# | other expense      | 987.65 x 1.02                                     | 1,007.403 | 1,007.40 |
PRIOR = Drivers(
    volume=(10.0,) * 12, revenue_per_uos=123.45, productive_ratio=0.9, benefits_load=0.25,
    staffing={"RN": StaffDrivers(1.0, 40.05)}, supplies_per_uos=0.0, drugs_per_uos=1.11,
    purchased_services=1234.56, other_expense=987.65,
)  # fmt: skip
RN_PAYROLL = pd.DataFrame([("RN", 1872.0, 0.0, 208.0, 0.0, 0.0, 0.0, 0.0)], columns=PAYROLL_COLUMNS)


def test_target_drivers_round_each_rate_as_displayed() -> None:
    t = target_drivers(INPATIENT, PRIOR, RN_PAYROLL, GUARDRAILS)
    assert t.volume == (10.0,) * 12
    assert t.staff("RN") == StaffDrivers(0.99, 41.25, 0.0, 0.0, 0.0)
    assert (t.revenue_per_uos, t.drugs_per_uos) == (127.15, 1.18)
    assert (t.purchased_services, t.other_expense) == (1265.42, 1007.40)


def test_target_drivers_job_class_without_payroll_gets_no_ftes() -> None:
    # LPN has no payroll row: 0 worked hours, 0 FTEs, even at a productive ratio of 0.001 (where
    # one stray hour would be 1 / 120 x 0.99 x 120 / 0.001 / 2,080 = 0.48 FTE)
    prior = dataclasses.replace(PRIOR, productive_ratio=0.001)
    t = target_drivers(INPATIENT, prior, RN_PAYROLL, GUARDRAILS)
    assert t.staff("LPN").fte == 0.0
    assert t.staff("RN").fte == 891.0  # 1,853.28 / 0.001 / 2,080


def test_whole_units_never_negative_zero() -> None:
    # -0.4 rounds to zero; a -0.0 would show as "-0" in a volume cell
    (v,) = whole_units(np.array([-0.4]))
    assert v == 0.0 and math.copysign(1.0, v) == 1.0


def test_build_targets_keeps_cost_center_prior_gl_and_config(system: System) -> None:
    t = system.targets.by_cost_center[MEDSURG]
    assert t.cost_center.cost_center_code == MEDSURG
    # the extracts' prior-year GL of Med/Surg (test_handworked_targets PRIOR)
    assert (t.prior_gl["REV"], t.prior_gl["SUP"], t.prior_gl["PUR"]) == (
        3680000.0,
        202400.0,
        24000.0,
    )
    assert system.targets.config is system.reference.config


def test_build_targets_cost_center_without_history(system: System) -> None:
    # Imaging's rows removed from both extracts: its targets are all zero; the others unchanged
    h = system.history
    bare = History(h.year, h.monthly[h.monthly.cost_center != IMAGING].reset_index(drop=True),
                   h.staffing[h.staffing.cost_center != IMAGING].reset_index(drop=True))  # fmt: skip
    targets = build_targets(system.reference, bare)
    img = targets.by_cost_center[IMAGING]
    assert img.prior.volume == () and img.drivers.volume == ()
    assert img.prior_gl == dict.fromkeys(LINE_ITEM_CODES, 0.0)
    assert img.drivers.staffing == dict.fromkeys(img.drivers.staffing, StaffDrivers())
    assert img.figures.expense == 0.0
    assert targets.by_cost_center[LAUNDRY].drivers.volume == (
        738, 697, 718, 718, 718, 697, 697, 697, 718, 718, 738, 738,
    )  # fmt: skip


# --- rollup: phasing edge cases, an empty table, the submission's lineage defaults --------------


def test_phase_lines_one_weight_and_weights_summing_below_one() -> None:
    assert phase_lines([1.23, -0.05], [5]) == [[1.23], [-0.05]]  # one month takes it all
    # weights 0.25 : 0.75 (sum 1) are weights, not "no weights": 100 cents -> 25 + 75;
    # 10 cents -> 2.5 + 7.5, floors 2 + 7, the cent left to the first of the equal remainders
    assert phase_lines([1.00, 0.10], [0.25, 0.75]) == [[0.25, 0.75], [0.03, 0.07]]


def test_monthly_lines_of_no_cost_center_keeps_its_columns() -> None:
    empty = monthly_lines({})
    assert len(empty) == 0
    assert list(empty.columns) == ["cost_center", "line_item", "annual", "m01", "m02", "m03",
                                   "m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12"]  # fmt: skip


def test_bottom_up_lineage_defaults_to_blank() -> None:
    b = BottomUp.of("CC-1", PRIOR, {"rationale_volume": "more beds"})
    assert (b.file, b.sha256) == ("", "")
    assert b.rationale == {"rationale_volume": "more beds"}


# --- variance_split: months summed, staffing against plan, the shared indicators ----------------

DETAIL_COLUMNS = ["cost_center", "line_item", "period", "plan", "flex", "actual", "volume",
                  "efficiency", "rate", "spending", "planned_uos", "actual_uos", "planned_hours",
                  "hours"]  # fmt: skip


def test_summed_adds_the_chosen_months_in_plan_order() -> None:
    detail = pd.DataFrame(
        [
            # cc, line, month, plan, flex, actual, vol, eff, rate, spend, p_uos, a_uos, p_h, h
            ("B", "SUP", "2027-01", 50, 50, 60, 0, 0, 0, 10, 5.0, 5.0, 0.0, 3.0),
            ("A", "REV", "2027-01", 100, 110, 120, 10, 0, 10, 0, 10.0, 11.0, 0.0, 0.0),
            ("B", "SUP", "2027-02", 50, 50, 45, 0, 0, 0, -5, 5.0, 5.0, 0.0, 4.0),
            ("A", "REV", "2027-02", 200, 180, 175, -20, 0, -5, 0, 20.0, 18.0, 0.0, 0.0),
            ("A", "REV", "2027-03", 999, 999, 999, 0, 0, 0, 0, 99.0, 99.0, 0.0, 9.0),  # not asked
        ],
        columns=DETAIL_COLUMNS,
    )
    out = summed(detail, ["2027-01", "2027-02"])
    assert out.to_dict("records") == [
        # B first (first seen); A: plan 100 + 200, flex 110 + 180, actual 120 + 175, volume
        # 10 - 20, rate 10 - 5, UOS 10 + 20 and 11 + 18
        {"cost_center": "B", "line_item": "SUP", "plan": 100, "flex": 100, "actual": 105,
         "volume": 0, "efficiency": 0, "rate": 0, "spending": 5, "planned_uos": 10.0,
         "actual_uos": 10.0, "hours": 7.0},
        {"cost_center": "A", "line_item": "REV", "plan": 300, "flex": 290, "actual": 295,
         "volume": -10, "efficiency": 0, "rate": 5, "spending": 0, "planned_uos": 30.0,
         "actual_uos": 29.0, "hours": 0.0},
    ]  # fmt: skip


# Plan: A 100 UOS a month, productive ratio 0.9; RN 2 FTEs, 10% overtime, 0.5 agency FTE;
# CLER 1 FTE. B: 10 UOS a month, no staff. Two months, January and February.
# Actual hours (REG, OT, PTO, AGY): A Jan RN 300, 30, 20, 80; CLER 150, 0, 10, 0;
# Feb RN 310, 20, 30, 90; CLER 160, 0, 0, 0. March (not asked) RN 9,999 regular. UOS 95, 105.
# | figure              | arithmetic                                                | A          |
# | planned UOS         | 100 + 100                                                 | 200        |
# | FTEs plan           | 2 + 1                                                     | 3          |
# | FTEs actual         | worked 970 + PTO 60 = 1,030 h / (2,080 / 12 x 2 = 346.67) | 2.971154   |
# | overtime plan       | 2 x 2,080 x .9 x .1 = 374.4 / worked (3,744 + 1,872)      | 0.066667   |
# | overtime actual     | 50 / 970                                                  | 0.051546   |
# | agency FTEs         | plan 0.5; actual 170 / 346.67                             | 0.490385   |
# | worked h / UOS plan | (5,616 + 0.5 x 2,080) / 1,200                             | 5.546667   |
# | worked h / UOS act. | (970 + 170) / 200                                         | 5.7        |
# | worked hours plan   | 5,616 a year x 2 months / 12                              | 936        |
# | worked hours actual | RN 300 + 30 + 310 + 20, CLER 150 + 160                    | 970        |
# | overtime hours plan | 374.4 a year x 2 / 12                                     | 62.4       |
# | overtime hours act. | 30 + 20                                                   | 50         |
# B has no actual rows: every actual 0, and no planned worked hours: overtime plan 0.


def test_staffing_view_by_hand() -> None:
    a = Drivers(volume=(100.0,) * 12, revenue_per_uos=0.0, productive_ratio=0.9,
                benefits_load=0.0, staffing={"RN": StaffDrivers(2.0, 40.0, 0.1, 0.5, 80.0),
                                             "CLER": StaffDrivers(1.0, 20.0)},
                supplies_per_uos=0.0, drugs_per_uos=0.0, purchased_services=0.0,
                other_expense=0.0)  # fmt: skip
    b = dataclasses.replace(a, volume=(10.0,) * 12, staffing={})
    hours = pd.DataFrame(
        [("A", "2027-01", "RN", 300.0, 30.0, 20.0, 80.0), ("A", "2027-01", "CLER", 150.0, 0, 10, 0),
         ("A", "2027-02", "RN", 310.0, 20.0, 30.0, 90.0), ("A", "2027-02", "CLER", 160.0, 0, 0, 0),
         ("A", "2027-03", "RN", 9999.0, 0.0, 0.0, 0.0)],
        columns=["cost_center", "period", "job_class", "REG_HOURS", "OT_HOURS", "PTO_HOURS",
                 "AGY_HOURS"],
    )  # fmt: skip
    monthly = pd.DataFrame({"cost_center": ["A", "A", "A"],
                            "period": ["2027-01", "2027-02", "2027-03"], "UOS": [95.0, 105.0, 500.0]})  # fmt: skip
    view = staffing_view({"A": a, "B": b}, hours, monthly, ["2027-01", "2027-02"])
    keys = ["planned_uos", "actual_uos", "fte_plan", "fte_actual", "ot_plan", "ot_actual",
            "agency_fte_plan", "agency_fte_actual", "whpuos_plan", "whpuos_actual"]  # fmt: skip
    rows = view.set_index("cost_center")[keys].to_dict("index")
    assert list(view.cost_center) == ["A", "B"]
    assert rows["A"] == pytest.approx({
        "planned_uos": 200.0, "actual_uos": 200.0, "fte_plan": 3.0, "fte_actual": 2.971153846,
        "ot_plan": 0.066666667, "ot_actual": 0.051546392, "agency_fte_plan": 0.5,
        "agency_fte_actual": 0.490384615, "whpuos_plan": 5.546666667, "whpuos_actual": 5.7,
    })  # fmt: skip
    hours = ["worked_hours_plan", "worked_hours_actual", "ot_hours_plan", "ot_hours_actual"]
    by_cc = view.set_index("cost_center")[hours].to_dict("index")
    assert by_cc["A"] == pytest.approx(dict(zip(hours, (936.0, 970.0, 62.4, 50.0), strict=True)))
    assert by_cc["B"] == dict.fromkeys(hours, 0.0)
    assert rows["B"] == {
        "planned_uos": 20.0, "actual_uos": 0.0, "fte_plan": 0.0, "fte_actual": 0.0,
        "ot_plan": 0.0, "ot_actual": 0.0, "agency_fte_plan": 0.0, "agency_fte_actual": 0.0,
        "whpuos_plan": 0.0, "whpuos_actual": 0.0,
    }  # fmt: skip


# A summed view in cents. Cost center A: 100 planned UOS, 110 actual; B 50 and 50; C no
# planned volume (5 actual).
# | cc | line     | plan    | flex    | actual  |
# | A  | REV      | 100,000 | 110,000 | 105,000 |
# | A  | SAL_RN   |  50,000 |  55,000 |  60,000 |
# | A  | SUP      |  10,000 |  11,000 |   9,000 |
# | B  | SAL_CLER |  20,000 |  20,000 |  20,000 |
# | B  | OTH      |   5,000 |   5,000 |   6,000 |
# | C  | SUP      |   1,000 |   1,000 |   1,000 |
# revenue $1,000 / 1,100 / 1,050; expense 860 / 920 / 960; labor 700 / 750 / 800
# margin (1,000 - 860) / 1,000 = 0.14; 180 / 1,100 = 0.163636; 90 / 1,050 = 0.085714
# labor index 800 / 750 = 1.066667
# throughput: UOS ratio A 1.1, B 1.0, weighted by planned expense A 600, B 250 (C has no volume):
# (1.1 x 600 + 1.0 x 250) / 850 = 910 / 850 = 1.070588; at target: A and B (ratio >= 1) of 2
# accuracy: core items within 3% of actual: B salaries and C supplies; A revenue (5,000 of
# 105,000 = 4.8%), A salaries and A supplies are not: 2 of 5 = 0.4
INDICATOR_VIEW = pd.DataFrame(
    [("A", "REV", 100000, 110000, 105000, 100.0, 110.0),
     ("A", "SAL_RN", 50000, 55000, 60000, 100.0, 110.0),
     ("A", "SUP", 10000, 11000, 9000, 100.0, 110.0),
     ("B", "SAL_CLER", 20000, 20000, 20000, 50.0, 50.0),
     ("B", "OTH", 5000, 5000, 6000, 50.0, 50.0),
     ("C", "SUP", 1000, 1000, 1000, 0.0, 5.0)],
    columns=["cost_center", "line_item", "plan", "flex", "actual", "planned_uos", "actual_uos"],
)  # fmt: skip


def test_indicators_by_hand() -> None:
    k = Indicators.of(INDICATOR_VIEW)
    assert (k.revenue, k.expense, k.labor) == (
        (1000.0, 1100.0, 1050.0), (860.0, 920.0, 960.0), (700.0, 750.0, 800.0),
    )  # fmt: skip
    assert k.margin_pct == pytest.approx((0.14, 0.163636364, 0.085714286))
    assert k.labor_index == pytest.approx(1.066666667)
    assert k.throughput == pytest.approx(1.070588235)
    assert k.at_target == (2, 2)
    assert k.accuracy == 0.4


def test_indicators_without_revenue_labor_or_planned_volume() -> None:
    # only C: no revenue (margin 0), no labor (index 0), no planned volume (throughput 0)
    k = Indicators.of(INDICATOR_VIEW[INDICATOR_VIEW.cost_center == "C"])
    assert (k.revenue, k.expense, k.labor) == ((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (0.0, 0.0, 0.0))
    assert (k.margin_pct, k.labor_index, k.throughput, k.at_target, k.accuracy) == (
        (0.0, 0.0, 0.0), 0.0, 0.0, (0, 0), 1.0,
    )  # fmt: skip
    # B alone: ratio exactly 1 is at target; planned expense 250 weights it
    k = Indicators.of(INDICATOR_VIEW[INDICATOR_VIEW.cost_center == "B"])
    assert (k.throughput, k.at_target) == (1.0, (1, 1))


def test_variance_detail_takes_each_months_own_plan() -> None:
    # Supplies planned 100.00 in January, 200.00 in February ... 1,200.00 in December, at 10 UOS
    # a month; actual UOS as planned, so flex = plan. Actual supplies 150.00 in January and
    # 1,100.00 in December: spending +50.00 and -100.00.
    plan = pd.DataFrame([{"cost_center": "A", "line_item": "SUP", "annual": 7800.0}
                         | {f"m{m:02d}": 100.0 * m for m in range(1, 13)}])  # fmt: skip
    basis = {"A": dataclasses.replace(PRIOR, staffing={})}
    monthly = pd.DataFrame(
        [{"cost_center": "A", "period": p, "UOS": 10.0} | dict.fromkeys(LINE_ITEM_CODES, 0.0)
         | {"SUP": sup} for p, sup in (("2027-01", 150.0), ("2027-12", 1100.0))]
    )  # fmt: skip
    staffing = pd.DataFrame(columns=["cost_center", "period", "job_class", "REG_HOURS",
                                     "OT_HOURS", "PTO_HOURS", "AGY_HOURS"])  # fmt: skip
    d = variance_detail(plan, basis, monthly, staffing, ["2027-01", "2027-12"])
    got = d[["period", "plan", "flex", "actual", "volume", "spending"]].to_dict("records")
    assert got == [
        {"period": "2027-01", "plan": 10000, "flex": 10000, "actual": 15000, "volume": 0,
         "spending": 5000},
        {"period": "2027-12", "plan": 120000, "flex": 120000, "actual": 110000, "volume": 0,
         "spending": -10000},
    ]  # fmt: skip


# --- triggers: sub-dollar variances, several new actions, re-runs among other breaches ----------

# A Decision Guide whose level 1 is 0.01% and $0: every unfavourable half dollar on 100 reaches it
FINE = (
    EscalationLevel(level=1, role="Controller", pct=0.0001, amount=0.0),
    EscalationLevel(level=2, role="CFO", pct=0.10, amount=250000.0),
    EscalationLevel(level=3, role="Board", pct=0.20, amount=1000000.0),
)


def test_find_breaches_by_the_sign_of_small_variances() -> None:
    rows = pd.DataFrame(
        [("A", "REV", 100.0, 100.5),  # revenue 0.50 over: favourable
         ("A", "SUP", 100.0, 100.5),  # cost 0.50 over (0.5%): unfavourable, level 1
         ("A", "DRG", 100.0, 99.5)],  # cost 0.50 under: favourable
        columns=["cost_center", "line_item", "flex", "actual"],
    )  # fmt: skip
    assert find_breaches(rows, "2027-05", FINE) == [Breach("A", "SUP", "2027-05", 100.0, 100.5, 1)]
    assert describe(
        Breach("A", "SUP", "2027-05", 100.0, 100.5, 1), EscalationRule(tuple(FINE))
    ) == ("Supplies 0.5% and $0 over flexible budget in 2027-05; threshold 0% and $0")


def test_next_action_number_reads_every_digit() -> None:
    assert _next_id(pd.DataFrame({"id": ["ACT-1234", "ACT-0999"]})) == 1235
    assert _next_id(pd.DataFrame({"id": ["ACT-5"]})) == 6  # typed without the zeros


def test_update_actions_numbers_several_new_actions_in_turn() -> None:
    breaches = [Breach(cc, "SUP", "2027-01", 1000000.0, 1050000.0, 1) for cc in ("A", "B", "C")]
    actions, _ = update_actions(pd.DataFrame(columns=ACTION_KEYS), breaches, LEVELS, {})
    assert actions.id.tolist() == ["ACT-0001", "ACT-0002", "ACT-0003"]


def test_update_actions_rerun_skips_only_the_counted_breach() -> None:
    jan = [Breach("A", "SUP", "2027-01", 1000000.0, 1050000.0, 1)]
    actions, _ = update_actions(pd.DataFrame(columns=ACTION_KEYS), jan, LEVELS, {})
    # January again, now with a new breach of B beside it: A is skipped, B still opens
    both = [*jan, Breach("B", "DRG", "2027-01", 1000000.0, 1050000.0, 1)]
    actions, changes = update_actions(actions, both, LEVELS, {})
    assert changes == ["ACT-0002 B DRG 2027-01: opened at level 1 (Controller)"]


def test_update_actions_counts_the_newest_month_of_any_row() -> None:
    # A closed action breached in March, then a newer open one last breached in February (its
    # rows in this order): a March re-run must change nothing
    rows = pd.DataFrame([{k: None for k in ACTION_KEYS} | {
        "id": "ACT-0001", "cost_center": "A", "line_item": "SUP", "level": 1, "status": "closed",
        "breaches": 1, "last_breach": "2027-03", "history": ""}, {k: None for k in ACTION_KEYS} | {
        "id": "ACT-0002", "cost_center": "A", "line_item": "SUP", "level": 1, "status": "open",
        "breaches": 1, "last_breach": "2027-02", "history": ""}])  # fmt: skip
    mar = Breach("A", "SUP", "2027-03", 1000000.0, 1050000.0, 1)
    actions, changes = update_actions(rows, [mar], LEVELS, {})
    assert changes == [] and actions.level.tolist() == [1, 1]


def test_update_actions_blank_level_escalates_from_level_1() -> None:
    # an open action whose level cell was cleared counts as level 1: breached again -> level 2
    rows = pd.DataFrame([{k: None for k in ACTION_KEYS} | {
        "id": "ACT-0004", "cost_center": "A", "line_item": "SUP", "level": None, "status": "open",
        "breaches": 1, "last_breach": "2027-01", "history": ""}])  # fmt: skip
    feb = Breach("A", "SUP", "2027-02", 1000000.0, 1050000.0, 1)
    actions, changes = update_actions(rows, [feb], LEVELS, {})
    assert changes == ["ACT-0004 A SUP 2027-02: breached again, escalated to level 2 (CFO)"]
    assert actions.level.tolist() == [2]


def test_in_dollars_variances_and_favourable_by_hand() -> None:
    # cents in; the table gives dollars, actual - plan, actual - flex and its share of |flex|
    # | cc | line | plan  | flex   | actual | variance | flex var. | share of flex    | favourable |
    # | A  | REV  | 10000 | 12000  | 11000  | 10.00    | -10.00    | -1,000 / 12,000  | yes (more) |
    # | A  | SUP  |  5000 |     0  |  5000  |  0.00    |  50.00    | none (flex 0)    | yes (same) |
    # | A  | OTH  |  1000 |  1000  |  1500  |  5.00    |   5.00    | 0.5              | no         |
    # | A  | BEN  |     1 |     1  |     2  |  0.01    |   0.01    | 1.0              | no         |
    # | B  | REV  |   100 |   100  |   100  |  0.00    |   0.00    | 0.0              | yes (same) |
    # | C  | DRG  |  -200 |  -200  |  -100  |  1.00    |   1.00    | 100 / |-200| = .5 | no        |
    rows = [("A", "REV", 10000, 12000, 11000), ("A", "SUP", 5000, 0, 5000),
            ("A", "OTH", 1000, 1000, 1500), ("A", "BEN", 1, 1, 2), ("B", "REV", 100, 100, 100),
            ("C", "DRG", -200, -200, -100)]  # fmt: skip
    view = pd.DataFrame(
        [(cc, li, p, f, a, f - p, 0, a - f, 0) for cc, li, p, f, a in rows],
        columns=["cost_center", "line_item", "plan", "flex", "actual", "volume", "efficiency",
                 "rate", "spending"],
    )  # fmt: skip
    out = in_dollars(view)
    assert out.plan.tolist() == [100.0, 50.0, 10.0, 0.01, 1.0, -2.0]
    assert out.rate.tolist() == [-10.0, 50.0, 5.0, 0.01, 0.0, 1.0]
    assert out.variance.tolist() == [10.0, 0.0, 5.0, 0.01, 0.0, 1.0]
    assert out.flex_variance.tolist() == [-10.0, 50.0, 5.0, 0.01, 0.0, 1.0]
    pct = out.flex_variance_pct.tolist()
    assert math.isnan(pct[1])
    assert pct[:1] + pct[2:] == pytest.approx([-0.083333333, 0.5, 1.0, 0.0, 0.5])
    # Fav/Unfav is judged on actual - flex (issue 15): every non-zero line here is unfavourable
    assert out.favourable.tolist() == ["Unfav", "Unfav", "Unfav", "Unfav", "", "Unfav"]
    assert out.behaviour.tolist() == ["variable", "variable", "fixed", "follows salaries",
                                      "variable", "variable"]  # fmt: skip


def test_variance_detail_keeps_rows_without_actuals_or_drivers() -> None:
    # B: supplies planned 50.00 in January at 10 UOS, no actuals at all: flex 50 x 0 / 10 = 0,
    # volume -50.00. C: other expense planned 30.00, no drivers (planned UOS 0), actual 40.00
    # at 5 UOS: fixed, flex = plan, spending +10.00.
    plan = pd.DataFrame([{"cost_center": cc, "line_item": li, "annual": 12 * m01}
                         | dict.fromkeys((f"m{m:02d}" for m in range(1, 13)), m01)
                         for cc, li, m01 in (("B", "SUP", 50.0), ("C", "OTH", 30.0))])  # fmt: skip
    basis = {"B": dataclasses.replace(PRIOR, staffing={})}
    monthly = pd.DataFrame([{"cost_center": "C", "period": "2027-01", "UOS": 5.0}
                            | dict.fromkeys(LINE_ITEM_CODES, 0.0) | {"OTH": 40.0}])  # fmt: skip
    staffing = pd.DataFrame(columns=["cost_center", "period", "job_class", "REG_HOURS",
                                     "OT_HOURS", "PTO_HOURS", "AGY_HOURS"])  # fmt: skip
    d = variance_detail(plan, basis, monthly, staffing, ["2027-01"])
    got = d[["cost_center", "plan", "flex", "actual", "volume", "spending", "planned_uos",
             "actual_uos"]].to_dict("records")  # fmt: skip
    assert got == [
        {"cost_center": "B", "plan": 5000, "flex": 0, "actual": 0, "volume": -5000,
         "spending": 0, "planned_uos": 10.0, "actual_uos": 0.0},
        {"cost_center": "C", "plan": 3000, "flex": 3000, "actual": 4000, "volume": 0,
         "spending": 1000, "planned_uos": 0.0, "actual_uos": 5.0},
    ]  # fmt: skip


# --- gaps: the divergence bridge line by line ----------------------------------------------------

# Top-down: 10 UOS a month (120 a year) at 100.00, RN 1.00 FTE at 10.00 $/h, supplies 1.00 per
# UOS, productive ratio 1, no benefits. Bottom-up: 12 a month (144) at 110.00, RN 1.50 FTEs at
# 12.00, supplies 2.00, purchased services 100.00.
# | step                           | REV                | SAL_RN                    | SUP          | PUR |
# | top-down                       | 120 x 100 = 12,000 | 1 x 2,080 x 10 = 20,800   | 120          |   0 |
# | 1 volume (RN flexed x 1.2)     | 144 x 100 = 14,400 | 1.2 x 2,080 x 10 = 24,960 | 144          |   0 |
# | 2 intensity (1.50 FTEs)        | 14,400             | 1.5 x 2,080 x 10 = 31,200 | 144          |   0 |
# | 3 wage rate (12.00)            | 14,400             | 1.5 x 2,080 x 12 = 37,440 | 144          |   0 |
# | 4 supplies (2.00)              | 14,400             | 37,440                    | 144 x 2 = 288|   0 |
# | bottom-up (5 other)            | 144 x 110 = 15,840 | 37,440                    | 288          | 100 |
TD = Drivers(volume=(10.0,) * 12, revenue_per_uos=100.0, productive_ratio=1.0, benefits_load=0.0,
             staffing={"RN": StaffDrivers(1.0, 10.0)}, supplies_per_uos=1.0, drugs_per_uos=0.0,
             purchased_services=0.0, other_expense=0.0)  # fmt: skip
BU = dataclasses.replace(TD, volume=(12.0,) * 12, revenue_per_uos=110.0,
                         staffing={"RN": StaffDrivers(1.5, 12.0)}, supplies_per_uos=2.0,
                         purchased_services=100.0)  # fmt: skip
NO_EFFECT = {"volume": 0.0, "intensity": 0.0, "wage_rate": 0.0, "supplies": 0.0, "other": 0.0}


def test_line_bridge_by_hand() -> None:
    bridge = line_bridge(TD, BU)  # the figures computed inside
    assert bridge.pop("REV") == {
        "volume": 2400.0,
        "rate": 1440.0,
    }  # 14,400 - 12,000; 15,840 - 14,400
    assert bridge.pop("SAL_RN") == {"volume": 4160.0, "intensity": 6240.0, "wage_rate": 6240.0,
                                    "supplies": 0.0, "other": 0.0}  # fmt: skip
    assert bridge.pop("SUP") == NO_EFFECT | {"volume": 24.0, "supplies": 144.0}
    assert bridge.pop("PUR") == NO_EFFECT | {"other": 100.0}
    assert bridge == dict.fromkeys(bridge, NO_EFFECT)  # the other lines do not move
    assert len(bridge) == len(LINE_ITEM_CODES) - 4


def test_expense_effects_sum_the_expense_lines_by_hand() -> None:
    # volume 4,160 + 24; intensity 6,240; wage rate 6,240; supplies 144; other 100 (revenue out)
    assert expense_effects(line_bridge(TD, BU)) == {
        "volume": 4184.0, "intensity": 6240.0, "wage_rate": 6240.0, "supplies": 144.0,
        "other": 100.0,
    }  # fmt: skip
    # cents add up exactly: 0.10 + 0.20 is 0.30, not 0.30000000000000004
    tenths = {li: NO_EFFECT | {"other": 0.1} for li in ("SUP", "DRG", "PUR")}
    bridge = {li: NO_EFFECT for li in LINE_ITEM_CODES} | tenths
    assert expense_effects(bridge)["other"] == 0.3


# --- escalation: the 'either' combination and the rule in words ---------------------------------

# LEVELS: 1 Controller 5% and $50,000; 2 CFO 10% / $250,000; 3 Board 20% / $1,000,000.
# | gap     | base       | share | level 1 (both) | either: highest level reached by $ or % | both |
# | 600,000 | 10,000,000 | 6%    | yes            | 2 ($250,000; not $1M, not 20%)         | 1    |
# | 60,000  | 200,000    | 30%   | yes            | 3 (20%)                                 | 1    |
# | 40,000  | 100,000    | 40%   | no ($50,000)   | 0                                       | 0    |
ESCALATIONS = [(600000.0, 10000000.0, 2, 1), (60000.0, 200000.0, 3, 1), (40000.0, 100000.0, 0, 0)]


@pytest.mark.parametrize(("gap", "base", "either", "both"), ESCALATIONS)
def test_escalation_either_and_both(gap: float, base: float, either: int, both: int) -> None:
    assert EscalationRule(LEVELS).level(gap, base) == either  # 'either' is the default
    assert EscalationRule(LEVELS, "both").level(-gap, base) == both


def test_escalation_rule_in_words() -> None:
    either, both = EscalationRule(LEVELS), EscalationRule(LEVELS, "both")
    assert [either.threshold(n) for n in (1, 2, 3)] == [
        "5% and $50,000", "10% or $250,000", "20% or $1,000,000"]  # fmt: skip
    assert [both.threshold(n) for n in (1, 2, 3)] == [
        "5% and $50,000", "10% and $250,000", "20% and $1,000,000"]  # fmt: skip
    assert either.short() == "a level is reached by its % or its $ threshold; level 1 needs both"
    assert both.short() == "a level is reached by both its % and $; level 1 needs both"
    start = ("A gap (or a monthly variance) enters the guide when it reaches both level 1 "
             "thresholds (5% of the target and $50,000); it then goes to the highest level it "
             "reaches, a level being reached by ")  # fmt: skip
    end = (
        " Below level 1 the cost center manager decides. Thresholds combine: '{}' (setting below)."
    )
    assert either.text() == start + (
        "its percent or its dollar threshold (either is enough) (level 1 Controller: 5% and "
        "$50,000; level 2 CFO: 10% or $250,000; level 3 Board: 20% or $1,000,000)."
    ) + end.format("either")  # fmt: skip
    assert both.text() == start + (
        "both its percent and its dollar threshold (level 1 Controller: 5% and $50,000; level 2 "
        "CFO: 10% and $250,000; level 3 Board: 20% and $1,000,000)."
    ) + end.format("both")  # fmt: skip

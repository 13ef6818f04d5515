"""Issue 22 item 5: tests written to kill the mutants that survived bench/mutation/run.py.

Every expected value is worked by hand in the test (the arithmetic is in the comment or the
table), never computed by the code under test. Fast and in memory: mutmut runs these per mutant.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hybridbudget.control.actions_sheet import actions_sheet
from hybridbudget.control.schema import driver_columns
from hybridbudget.engine.drivers import Drivers, Figures, StaffDrivers, compute, salary
from hybridbudget.engine.escalation import EscalationRule
from hybridbudget.engine.gaps import explain_gap, line_gaps, rationale_for
from hybridbudget.engine.money import cents, cents_array, phase, round_to, sum_cents
from hybridbudget.engine.rollup import (
    BottomUp,
    drivers_row,
    hierarchy,
    monthly_lines,
    phase_lines,
    rollup,
    row_drivers,
)
from hybridbudget.engine.targets import (
    Targets,
    prior_drivers,
    target_drivers,
    volume_growth,
    whole_units,
)
from hybridbudget.engine.tolerance import beyond_tolerance
from hybridbudget.engine.triggers import (
    ACTION_KEYS,
    Breach,
    _next_id,
    describe,
    due_date,
    find_breaches,
    update_actions,
)
from hybridbudget.model import CostCenterType, EscalationLevel

# --- money: half away from zero, exact sums, largest remainder ----------------------------------


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (2.675, 2, 2.68),  # stored as 2.67499999...; Excel's ROUND gives 2.68
        (-0.005, 2, -0.01),  # half away from zero, not to even (-0.0)
        (0.125, 2, 0.13),  # banker's rounding would give 0.12
        (0.135, 2, 0.14),
        (1.5, 0, 2.0),
        (2.5, 0, 3.0),  # banker's rounding would give 2
        (-2.5, 0, -3.0),
        (0.12345, 4, 0.1235),
        (1234.5678, 1, 1234.6),
    ],
)
def test_round_to_is_half_away_from_zero(value: float, places: int, expected: float) -> None:
    assert round_to(value, places) == expected


def test_cents_scalar_and_vector_agree_on_the_half_cases() -> None:
    values = [2.675, -0.005, 0.125, 1.004, -1.006, 0.0]
    expected = [2.68, -0.01, 0.13, 1.0, -1.01, 0.0]
    assert [cents(v) for v in values] == expected
    assert cents_array(values).tolist() == expected
    assert cents_array(np.array([[0.125, -2.675]])).tolist() == [[0.13, -2.68]]


def test_sum_cents_is_exact() -> None:
    assert sum_cents([0.1] * 10) == 1.0  # float sum gives 0.9999999999999999
    assert sum_cents([1234.56, -0.01, 0.45]) == 1235.0
    assert sum_cents([]) == 0.0
    assert sum_cents(np.array([0.29, 0.29, 0.29])) == 0.87


@pytest.mark.parametrize(
    ("total", "weights", "places", "expected"),
    [
        # 100 cents over 1:1:1 -> 33.33 each; floors 33+33+33 = 99; the 1 left goes to the first
        (1.00, [1, 1, 1], 2, [0.34, 0.33, 0.33]),
        # 100 cents over 1:2:4 -> 14.29, 28.57, 57.14; floors 14+28+57 = 99; largest remainder
        # is .57 (second), so it gets the cent
        (1.00, [1, 2, 4], 2, [0.14, 0.29, 0.57]),
        # 10.00 over 1:2:3:4 divides exactly
        (10.00, [1, 2, 3, 4], 2, [1.0, 2.0, 3.0, 4.0]),
        # zero weights: equal split, 5 cents -> 2.5 + 2.5 -> 3 + 2
        (0.05, [0, 0], 2, [0.03, 0.02]),
        # -100 cents over 1:1:1 -> -33.33 each; floors -34 x 3 = -102; 2 cents back to the first two
        (-1.00, [1, 1, 1], 2, [-0.33, -0.33, -0.34]),
        # whole units: 1 over three equal weights
        (1, [1, 1, 1], 0, [1.0, 0.0, 0.0]),
        # 7 cents over 3:1 -> 5.25 and 1.75; floors 5 + 1; the .75 remainder (second) wins
        (0.07, [3, 1], 2, [0.05, 0.02]),
        (12.34, [], 2, []),
    ],
)
def test_phase_largest_remainder(total, weights, places, expected) -> None:
    assert phase(total, weights, places) == expected


def test_phase_default_is_cents() -> None:
    assert phase(0.10, [1, 1, 1]) == [0.04, 0.03, 0.03]


# --- tolerance: both thresholds, strictly beyond ------------------------------------------------


@pytest.mark.parametrize(
    ("gap", "target", "expected"),
    [
        # pct 5%, amount $100: both must be exceeded
        (100.01, 1000.0, True),  # > $100 and > 5% of 1,000 = 50
        (100.00, 1000.0, False),  # at the dollar threshold: not beyond
        (-100.01, 1000.0, True),  # the size of the gap counts, not its sign
        (150.00, 10000.0, False),  # > $100 but not > 5% of 10,000 = 500
        (500.01, -10000.0, True),  # the size of the target counts
        (500.00, -10000.0, False),  # at the percentage threshold: not beyond
        (99.99, 0.0, False),
    ],
)
def test_beyond_tolerance(gap: float, target: float, expected: bool) -> None:
    assert beyond_tolerance(gap, target, 0.05, 100.0) is expected


# --- drivers: one cost center's budget, every line worked by hand -------------------------------
#
# Volume 100 UOS a month for six months, 50 for six: 900 UOS. Productive ratio 0.9.
# | line     | inputs                                         | arithmetic                            | expected     |
# | REV      | 900 UOS x $250.00                              |                                       | 225,000.00   |
# | SAL_RN   | 2 FTE x 2,080 h = 4,160 h at $40.00; OT 5%      | 4,160 x 40 + 4,160 x .9 x .05 x 40 x .5 | 170,144.00   |
# | SAL_CLER | 1 FTE x 2,080 h at $20.00                      | 2,080 x 20                            | 41,600.00    |
# | AGY      | 0.5 agency FTE x 2,080 h at $80.00             | 1,040 x 80                            | 83,200.00    |
# | BEN      | 25% of salaries 211,744.00                     |                                       | 52,936.00    |
# | SUP      | 900 x $12.34                                   |                                       | 11,106.00    |
# | DRG      | 900 x $3.33                                    |                                       | 2,997.00     |
# | PUR      | 1,000.005 (half a cent rounds away from zero)   |                                       | 1,000.01     |
# | OTH      | 2,500.00                                       |                                       | 2,500.00     |
# Labor 347,880.00; non-labor 17,603.01; expense 365,483.01; margin -140,483.01.
# FTEs 2 + 0.5 + 1 = 3.5; worked hours 4,160 x .9 + 1,040 + 2,080 x .9 = 6,656.


SEASONAL = (100.0,) * 6 + (50.0,) * 6


def cost_center(**changes) -> Drivers:
    d = Drivers(
        volume=SEASONAL,
        revenue_per_uos=250.0,
        productive_ratio=0.9,
        benefits_load=0.25,
        staffing={
            "RN": StaffDrivers(
                fte=2.0, wage_rate=40.0, overtime_pct=0.05, agency_fte=0.5, agency_rate=80.0
            ),
            "CLER": StaffDrivers(fte=1.0, wage_rate=20.0),
        },
        supplies_per_uos=12.34,
        drugs_per_uos=3.33,
        purchased_services=1000.005,
        other_expense=2500.0,
    )
    return Drivers(**{**d.__dict__, **changes})


def test_compute_every_line_by_hand() -> None:
    fig = compute(cost_center())
    assert fig.lines == {
        "REV": 225000.0, "SAL_RN": 170144.0, "SAL_LPN": 0.0, "SAL_CNA": 0.0, "SAL_TECH": 0.0,
        "SAL_CLER": 41600.0, "SAL_MGMT": 0.0, "AGY": 83200.0, "BEN": 52936.0, "SUP": 11106.0,
        "DRG": 2997.0, "PUR": 1000.01, "OTH": 2500.0,
    }  # fmt: skip
    assert fig.volume == 900.0
    assert fig.fte == 3.5
    assert fig.worked_hours == 6656.0
    assert fig.monthly_volume == SEASONAL
    assert fig.revenue == 225000.0
    assert fig.labor_cost == 347880.0
    assert fig.nonlabor_cost == 17603.01
    assert fig.expense == 365483.01
    assert fig.margin == -140483.01
    assert fig.worked_hours_per_uos == pytest.approx(6656 / 900)


def test_compute_rounds_fte_and_hours_to_two_places() -> None:
    # agency 0.333 FTE: FTEs 2 + 0.333 + 1 = 3.333 -> 3.33; RN 2.0005 FTE: worked
    # 2.0005 x 2,080 x .9 = 3,744.936 + 0.333 x 2,080 = 692.64 + 1,872 = 6,309.576 -> 6,309.58
    staff = {"RN": StaffDrivers(fte=2.0005, agency_fte=0.333), "CLER": StaffDrivers(fte=1.0)}
    fig = compute(cost_center(staffing=staff))
    assert fig.fte == 3.33
    assert fig.worked_hours == 6309.58


def test_salary_overtime_premium_uses_worked_hours() -> None:
    # 1 FTE = 2,080 paid h at $30; worked 2,080 x .8 = 1,664 h; OT 10% = 166.4 h at 30 x .5
    s = StaffDrivers(fte=1.0, wage_rate=30.0, overtime_pct=0.1)
    assert salary(s, 0.8) == 62400.0 + 2496.0
    assert salary(StaffDrivers(), 0.9) == 0.0


def test_drivers_defaults_and_annual_volume() -> None:
    d = cost_center()
    assert d.annual_volume == 900.0
    assert d.staff("MGMT") == StaffDrivers(0.0, 0.0, 0.0, 0.0, 0.0)
    assert d.staff("RN").agency_rate == 80.0


def test_monthly_phases_each_line_by_volume() -> None:
    months = compute(cost_center()).monthly()
    assert months["REV"] == [25000.0] * 6 + [12500.0] * 6  # 225,000 x 100/900 and x 50/900
    # 100,001 cents: 11,111.22 x 6 and 5,555.61 x 6 floor to 99,996; the 5 cents left go to the
    # largest remainders, .61 (July to November in order), so December keeps 55.55
    assert months["PUR"] == [111.11] * 6 + [55.56] * 5 + [55.55]
    assert sum(round(x * 100) for x in months["PUR"]) == 100001


def test_monthly_without_seasonality_is_even() -> None:
    fig = Figures(lines={"OTH": 12.06}, volume=0.0, fte=0.0, worked_hours=10.0)
    # 1,206 cents / 12 = 100.5: floors 100 x 12 = 1,200; 6 cents to the first six months
    assert fig.monthly() == {"OTH": [1.01] * 6 + [1.0] * 6}
    assert fig.worked_hours_per_uos == 0.0


# --- divergence: the gap by driver, worked by hand ----------------------------------------------
#
# Top-down: 100 UOS a month (1,200); RN 10 FTE at $40, CLER 2 FTE at $20, no OT, no agency;
# productive ratio .9, benefits 20%, supplies $10/UOS, purchased services $1,000.
#   SAL_RN 832,000 + SAL_CLER 83,200 + BEN 183,040 + SUP 12,000 + PUR 1,000 = 1,111,240.00
# Bottom-up: 110 UOS a month (1,320, ratio 1.1); RN 12 FTE at $42, OT 10%, 1 agency FTE at $90;
# CLER 2 FTE at $21; benefits 21%; supplies $9.50, drugs $1; purchased $1,500, other $200.
# | step       | what changes                         | expense       | effect      |
# | volume     | 1,320 UOS, RN 10 x 1.1 = 11 FTE      | 1,212,280.00  | 101,040.00  |
# |            | (CLER fixed); SUP 13,200             |               |             |
# | intensity  | RN 12 FTE, agency 1 FTE (at $0)      | 1,312,120.00  | 99,840.00   |
# | wage_rate  | RN 24,960 h x 42 + 2,246.4 OT h x 21  | 1,620,825.28  | 308,705.28  |
# |            | = 1,095,494.40; CLER 87,360; AGY     |               |             |
# |            | 187,200; BEN 236,570.88              |               |             |
# | supplies   | SUP 12,540, DRG 1,320                | 1,621,485.28  | 660.00      |
# | other      | BEN at 21% 248,399.42, PUR, OTH      | 1,634,013.82  | 12,528.54   |
# The effects add to the gap 1,634,013.82 - 1,111,240.00 = 522,773.82.


TOP_DOWN = Drivers(
    volume=(100.0,) * 12, revenue_per_uos=0.0, productive_ratio=0.9, benefits_load=0.2,
    staffing={"RN": StaffDrivers(fte=10.0, wage_rate=40.0), "CLER": StaffDrivers(2.0, 20.0)},
    supplies_per_uos=10.0, drugs_per_uos=0.0, purchased_services=1000.0, other_expense=0.0,
)  # fmt: skip
BOTTOM_UP = Drivers(
    volume=(110.0,) * 12, revenue_per_uos=0.0, productive_ratio=0.9, benefits_load=0.21,
    staffing={"RN": StaffDrivers(12.0, 42.0, 0.1, 1.0, 90.0), "CLER": StaffDrivers(2.0, 21.0)},
    supplies_per_uos=9.5, drugs_per_uos=1.0, purchased_services=1500.0, other_expense=200.0,
)  # fmt: skip


def test_explain_gap_each_effect_by_hand() -> None:
    assert compute(TOP_DOWN).expense == 1111240.0
    assert compute(BOTTOM_UP).expense == 1634013.82
    assert explain_gap(TOP_DOWN, BOTTOM_UP) == {
        "volume": 101040.0,
        "intensity": 99840.0,
        "wage_rate": 308705.28,
        "supplies": 660.0,
        "other": 12528.54,
    }


def test_explain_gap_uses_the_expenses_given() -> None:
    # first and last of the chain are taken as given: volume = 1,212,280 - 1,000,000
    got = explain_gap(TOP_DOWN, BOTTOM_UP, (1000000.0, 1700000.0))
    assert got["volume"] == 212280.0
    assert got["other"] == 78514.72  # 1,700,000 - 1,621,485.28


def test_explain_gap_without_top_down_volume_flexes_nothing() -> None:
    # no top-down volume: ratio 1, so the volume step changes only supplies (1,320 x $10):
    # 1,099,240 -> 1,112,440; then RN 12 FTE and agency give 1,312,120 as before
    td = Drivers(**{**TOP_DOWN.__dict__, "volume": (0.0,) * 12})
    got = explain_gap(td, BOTTOM_UP)
    assert got["volume"] == 13200.0
    assert got["intensity"] == 199680.0


LEVELS = (
    EscalationLevel(level=1, role="Controller", pct=0.05, amount=50000.0),
    EscalationLevel(level=2, role="CFO", pct=0.10, amount=250000.0),
    EscalationLevel(level=3, role="Board", pct=0.20, amount=1000000.0),
)


@pytest.mark.parametrize(
    ("gap", "target", "role"),
    [
        (49999.99, 100000.0, ""),  # below $50,000
        (50000.0, 1000000.0, "Controller"),  # at both: $50,000 and 5% of 1,000,000
        (49999.99, 1000000.0, ""),  # a cent below the dollar threshold
        (50000.0, 1000000.02, ""),  # 5% of 1,000,000.02 is 50,000.001: below the share
        (-250000.0, -2500000.0, "CFO"),  # sizes count; at both of level 2
        (249999.99, 2000000.0, "Controller"),
        (300000.0, 4000000.0, "Controller"),  # $ of level 2 but 7.5% < 10%
        (1000000.0, 5000000.0, "Board"),
        (999999.99, 1000.0, "CFO"),
    ],
)
def test_escalation_at_and_around_each_level(gap: float, target: float, role: str) -> None:
    assert EscalationRule(tuple(LEVELS), "both").role(gap, target) == role


def test_rationale_for_each_line_kind() -> None:
    words = {"rationale_volume": "V", "rationale_staffing": "S", "rationale_nonlabor": "N"}
    assert [rationale_for(li, words) for li in ("REV", "SAL_RN", "AGY", "BEN", "SUP", "OTH")] == [
        "V", "S", "S", "S", "N", "N",
    ]  # fmt: skip
    assert rationale_for("XYZ", words) == ""
    assert [rationale_for(li, {}) for li in ("REV", "SAL_RN", "SUP")] == ["", "", ""]


def test_line_gaps_by_hand() -> None:
    td = Figures(lines={"REV": 1000.0, "SUP": 0.0, "OTH": 2000.0}, volume=1, fte=0, worked_hours=0)
    bu = Figures(
        lines={"REV": 1100.01, "SUP": 5.0, "OTH": 1999.99}, volume=1, fte=0, worked_hours=0
    )
    got = line_gaps(td, bu, 0.05, 100.0)
    assert got == [
        ("REV", 1000.0, 1100.01, 100.01, pytest.approx(0.10001), True),  # > $100 and > 5%
        ("SUP", 0.0, 5.0, 5.0, None, False),  # no target: no share
        ("OTH", 2000.0, 1999.99, -0.01, pytest.approx(-0.000005), False),
    ]


# --- targets: prior-year drivers and the top-down move, worked by hand ---------------------------
#
# Prior year: 100 UOS a month (1,200). Payroll: RN 3,810 regular + 200 OT + 160 PTO hours,
# 530 agency hours; $152,400 regular + $6,400 PTO, $46,800 agency. CLER 2,000 regular + 80 PTO,
# $40,000 + $1,600. GL: revenue 300,000; RN salaries 100,000; benefits 25,000; supplies 12,345;
# drugs 600; purchased 5,000; other 1,000.
# | driver            | arithmetic                         | expected |
# | RN FTE            | 4,170 paid h / 2,080 = 2.0048       | 2.00     |
# | RN wage           | 158,800 / 3,970 h                   | 40.00    |
# | RN OT share       | 200 / 4,010 = 0.049875              | 0.0499   |
# | RN agency FTE     | 530 / 2,080 = 0.2548                | 0.25     |
# | RN agency rate    | 46,800 / 530 = 88.3019              | 88.30    |
# | CLER FTE, wage    | 2,080 / 2,080; 41,600 / 2,080       | 1.00, 20.00 |
# | productive ratio  | worked 6,010 / paid 6,250           | 0.9616   |
# | revenue / UOS     | 300,000 / 1,200                     | 250.00   |
# | benefits load     | 25,000 / 100,000                    | 0.25     |
# | supplies / UOS    | 12,345 / 1,200 = 10.2875 (half up)  | 10.29    |
# | drugs / UOS       | 600 / 1,200                         | 0.50     |


PAYROLL = pd.DataFrame(
    [
        ("RN", 3810.0, 200.0, 160.0, 530.0, 152400.0, 6400.0, 46800.0),
        ("CLER", 2000.0, 0.0, 80.0, 0.0, 40000.0, 1600.0, 0.0),
        ("LPN", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ],
    columns=["job_class", "REG_HOURS", "OT_HOURS", "PTO_HOURS", "AGY_HOURS", "REG_AMOUNT",
             "PTO_AMOUNT", "AGY_AMOUNT"],
)  # fmt: skip
GL_YEAR = {"REV": 300000.0, "SAL_RN": 100000.0, "BEN": 25000.0, "SUP": 12345.0, "DRG": 600.0,
           "PUR": 5000.0, "OTH": 1000.0}  # fmt: skip


def gl_months() -> pd.DataFrame:
    """The GL year, booked in January; 100 UOS every month."""
    codes = ["REV", "SAL_RN", "SAL_LPN", "SAL_CNA", "SAL_TECH", "SAL_CLER", "SAL_MGMT", "AGY",
             "BEN", "SUP", "DRG", "PUR", "OTH"]  # fmt: skip
    return pd.DataFrame(
        [
            {"UOS": 100.0} | {c: GL_YEAR.get(c, 0.0) if m == 0 else 0.0 for c in codes}
            for m in range(12)
        ]
    )


def test_prior_drivers_by_hand() -> None:
    cc = SimpleNamespace(cost_center_type=CostCenterType.INPATIENT)
    d, gl = prior_drivers(cc, gl_months(), PAYROLL)
    assert gl["REV"] == 300000.0 and gl["SUP"] == 12345.0 and gl["AGY"] == 0.0
    assert d.volume == (100.0,) * 12
    assert d.staff("RN") == StaffDrivers(2.0, 40.0, 0.0499, 0.25, 88.3)
    assert d.staff("CLER") == StaffDrivers(1.0, 20.0, 0.0, 0.0, 0.0)
    assert d.staff("LPN") == StaffDrivers(0.0, 0.0, 0.0, 0.0, 0.0)  # no hours: no division
    assert (d.productive_ratio, d.revenue_per_uos, d.benefits_load) == (0.9616, 250.0, 0.25)
    assert (d.supplies_per_uos, d.drugs_per_uos) == (10.29, 0.5)
    assert (d.purchased_services, d.other_expense) == (5000.0, 1000.0)


def test_prior_drivers_without_hours_or_volume() -> None:
    months = gl_months().assign(UOS=0.0)
    d, _ = prior_drivers(None, months, PAYROLL[PAYROLL.job_class == "LPN"])
    assert d.productive_ratio == 1.0  # no paid hours: worked = paid
    assert (d.revenue_per_uos, d.supplies_per_uos, d.drugs_per_uos) == (0.0, 0.0, 0.0)


GUARDRAILS = SimpleNamespace(
    guardrails=SimpleNamespace(
        inpatient_admissions_growth=0.02, outpatient_utilization_growth=0.04,
        labor_intensity_change=-0.01, net_revenue_rate_change=0.03, operating_margin_target=0.05,
    ),
    inflation=SimpleNamespace(wages=0.03, benefits=0.05, supplies=0.04, drugs=0.06,
                              purchased_services=0.025, other=0.02),
)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "growth"),
    [
        (CostCenterType.INPATIENT, 0.02),
        (CostCenterType.SUPPORT, 0.02),  # support follows inpatient admissions
        (CostCenterType.OUTPATIENT, 0.04),
        (CostCenterType.ANCILLARY, 0.03),  # the average of 2% and 4%
    ],
)
def test_volume_growth_by_cost_center_type(kind, growth) -> None:
    assert volume_growth(SimpleNamespace(cost_center_type=kind), GUARDRAILS) == pytest.approx(
        growth
    )


def test_whole_units_round_half_up() -> None:
    assert whole_units(np.array([100.5, 101.49, 2.5, 0.0])) == (101.0, 101.0, 3.0, 0.0)


def test_target_drivers_by_hand() -> None:
    # Inpatient: volume 100 x 1.02 = 102 a month (1,224), flex 1.02.
    # RN worked 4,010 h / 1,200 UOS x 0.99 x 1,224 = 4,049.298 h / 0.9616 / 2,080 = 2.0245 -> 2.02
    # wage 40 x 1.03 = 41.20; agency FTE 0.25 x 1.02 = 0.255 -> 0.26 (half up); agency rate
    # 88.30 x 1.03 = 90.949 -> 90.95. CLER is fixed: 1.00 FTE, wage 20.60.
    # Revenue/UOS 250 x 1.03 = 257.50; benefits 0.25 x 1.05 / 1.03 = 0.254854 -> 0.2549;
    # supplies 10.29 x 1.04 = 10.7016 -> 10.70; drugs 0.50 x 1.06 = 0.53;
    # purchased 5,000 x 1.025 = 5,125; other 1,000 x 1.02 = 1,020.
    cc = SimpleNamespace(cost_center_type=CostCenterType.INPATIENT)
    prior, _ = prior_drivers(cc, gl_months(), PAYROLL)
    t = target_drivers(cc, prior, PAYROLL, GUARDRAILS)
    assert t.volume == (102.0,) * 12
    assert t.staff("RN") == StaffDrivers(2.02, 41.2, 0.0499, 0.26, 90.95)
    assert t.staff("CLER") == StaffDrivers(1.0, 20.6, 0.0, 0.0, 0.0)
    assert t.staff("MGMT") == StaffDrivers(0.0, 0.0, 0.0, 0.0, 0.0)
    assert (t.revenue_per_uos, t.productive_ratio, t.benefits_load) == (257.5, 0.9616, 0.2549)
    assert (t.supplies_per_uos, t.drugs_per_uos) == (10.7, 0.53)
    assert (t.purchased_services, t.other_expense) == (5125.0, 1020.0)


def test_target_drivers_without_prior_volume_keep_prior_ftes() -> None:
    cc = SimpleNamespace(cost_center_type=CostCenterType.OUTPATIENT)
    prior, _ = prior_drivers(cc, gl_months(), PAYROLL)
    prior = Drivers(**{**prior.__dict__, "volume": (0.0,) * 12})
    t = target_drivers(cc, prior, PAYROLL, GUARDRAILS)
    assert t.volume == (0.0,) * 12
    # no prior volume: FTEs as prior, agency flex 1
    assert t.staff("RN") == StaffDrivers(2.0, 41.2, 0.0499, 0.25, 90.95)
    no_ratio = Drivers(**{**prior.__dict__, "volume": (10.0,) * 12, "productive_ratio": 0.0})
    assert target_drivers(cc, no_ratio, PAYROLL, GUARDRAILS).staff("RN").fte == 2.0


def test_targets_totals_and_margin_reconciliation() -> None:
    a = Figures(lines={"REV": 1000.0, "SUP": 600.0}, volume=1, fte=0, worked_hours=0)
    b = Figures(lines={"REV": 500.55, "OTH": 300.10}, volume=1, fte=0, worked_hours=0)
    for f in (a, b):  # the other expense lines are zero
        f.lines.update({c: 0.0 for c in ("SAL_RN", "SAL_LPN", "SAL_CNA", "SAL_TECH", "SAL_CLER",
                                         "SAL_MGMT", "AGY", "BEN", "SUP", "DRG", "PUR", "OTH")
                        if c not in f.lines})  # fmt: skip
    t = Targets(GUARDRAILS, {"A": SimpleNamespace(figures=a), "B": SimpleNamespace(figures=b)})
    assert t.totals() == {"revenue": 1500.55, "expense": 900.1, "margin": 600.45}
    assert t.totals(["B"]) == {"revenue": 500.55, "expense": 300.1, "margin": 200.45}
    rec = t.margin_reconciliation()
    # required margin 1,500.55 x 5% = 75.0275 -> 75.03; gap 600.45 - 75.03 = 525.42
    assert rec["target_margin"] == 75.03 and rec["gap"] == 525.42
    assert rec["target_margin_pct"] == 0.05
    assert rec["margin_pct"] == pytest.approx(0.400153277)  # 600.45 / 1,500.55
    assert rec["revenue"] == 1500.55


# --- bottomup: drivers rows, phasing and the roll-up ---------------------------------------------


JOBS = ("RN", "LPN", "CNA", "TECH", "CLER", "MGMT")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def test_driver_columns_headers_keys_kinds_widths() -> None:
    cols = driver_columns()
    head = [(c.header, c.key, c.kind, c.width) for c in cols[:3]]
    assert head == [("Cost center", "cost_center", "text", 12), ("File", "file", "text", 30),
                    ("SHA-256", "sha256", "text", 20)]  # fmt: skip
    months = [(c.header, c.key, c.kind, c.width) for c in cols[3:15]]
    assert months[0] == ("UOS Jan", "v01", "int", 8) and months[11] == ("UOS Dec", "v12", "int", 8)
    assert [c.header for c in cols[3:15]] == [f"UOS {m}" for m in MONTH_NAMES]
    scalars = [(c.header, c.key, c.kind, c.width) for c in cols[15:22]]
    assert scalars == [
        ("Net revenue / UOS", "revenue_per_uos", "rate", None),
        ("Productive ratio", "productive_ratio", "ratio", None),
        ("Benefits load", "benefits_load", "ratio", None),
        ("Supplies / UOS", "supplies_per_uos", "rate", None),
        ("Drugs / UOS", "drugs_per_uos", "rate", None),
        ("Purchased services", "purchased_services", "money", None),
        ("Other expense", "other_expense", "money", None),
    ]
    rn = [(c.header, c.key, c.kind, c.width) for c in cols[22:27]]
    assert rn == [("RN FTEs", "RN_fte", "fte", 9), ("RN wage", "RN_wage_rate", "rate", 9),
                  ("RN OT %", "RN_overtime_pct", "pct2", 9),
                  ("RN agency FTEs", "RN_agency_fte", "fte", 9),
                  ("RN agency rate", "RN_agency_rate", "rate", 9)]  # fmt: skip
    assert [c.key for c in cols[22:52:5]] == [f"{j}_fte" for j in JOBS]
    tail = [(c.header, c.key, c.width) for c in cols[52:]]
    assert tail == [("Volume rationale", "rationale_volume", 30),
                    ("Staffing rationale", "rationale_staffing", 30),
                    ("Non-labor rationale", "rationale_nonlabor", 30)]  # fmt: skip
    assert len(cols) == 55


def test_drivers_row_and_back() -> None:
    d = cost_center()
    row = drivers_row(d)
    assert len(row) == 12 + 7 + 30
    assert (row["v01"], row["v12"], row["revenue_per_uos"], row["RN_overtime_pct"]) == (
        100.0, 50.0, 250.0, 0.05,
    )  # fmt: skip
    assert (row["RN_agency_rate"], row["CLER_wage_rate"], row["MGMT_fte"]) == (80.0, 20.0, 0.0)
    back = row_drivers(row)
    assert back.volume == SEASONAL and back.staff("RN") == d.staff("RN")
    assert (back.benefits_load, back.other_expense) == (0.25, 2500.0)
    # text, booleans and blanks read as zero
    odd = row_drivers({"v01": "12", "v02": True, "v03": 7, "RN_fte": None, "productive_ratio": 0.9})
    assert odd.volume[:3] == (0.0, 0.0, 7.0) and odd.staff("RN").fte == 0.0
    assert odd.productive_ratio == 0.9


def test_bottom_up_of_recomputes_figures() -> None:
    bu = BottomUp.of("A", cost_center(), {"rationale_volume": "more beds"}, "a.xlsx", "abc")
    assert bu.figures.expense == 365483.01
    assert (bu.cost_center, bu.rationale, bu.file, bu.sha256) == (
        "A", {"rationale_volume": "more beds"}, "a.xlsx", "abc",
    )  # fmt: skip


def test_phase_lines_by_hand() -> None:
    assert phase_lines([1.00, -1.00, 0.02], [1, 1, 1]) == [
        [0.34, 0.33, 0.33],  # 100 cents: 33 each, the cent left to the first
        [-0.33, -0.33, -0.34],  # -100: floors -34 each, 2 cents back to the first two
        [0.01, 0.01, 0.0],
    ]
    assert phase_lines([1.00], [1, 2, 4]) == [[0.14, 0.29, 0.57]]
    assert phase_lines([0.05], [0, 0]) == [[0.03, 0.02]]
    assert phase_lines([1.0, 2.0], []) == [[], []]


def test_monthly_lines_by_hand() -> None:
    fig = compute(cost_center())
    table = monthly_lines({"A": fig})
    assert list(table.columns) == ["cost_center", "line_item", "annual"] + [
        f"m{i:02d}" for i in range(1, 13)
    ]
    assert len(table) == 13
    pur = table[table.line_item == "PUR"].iloc[0]
    assert pur.cost_center == "A" and pur.annual == 1000.01
    assert [pur[f"m{i:02d}"] for i in range(1, 13)] == [111.11] * 6 + [55.56] * 5 + [55.55]
    flat = Figures(lines=dict(fig.lines), volume=0, fte=0, worked_hours=0)  # no seasonality
    rev = monthly_lines({"B": flat}).iloc[0]
    assert rev.line_item == "REV" and rev.m01 == 18750.0 and rev.m12 == 18750.0


def org() -> SimpleNamespace:
    """Entity E1 (service lines S1: A, B; S2: C) and E2 (S3: D)."""
    cc = [SimpleNamespace(cost_center_code=c, cost_center_name=f"Center {c}", service_line_code=s)
          for c, s in (("A", "S1"), ("B", "S1"), ("C", "S2"), ("D", "S3"))]  # fmt: skip
    sls = {s: SimpleNamespace(service_line_code=s, service_line_name=f"Line {s}", entity_code=e)
           for s, e in (("S1", "E1"), ("S2", "E1"), ("S3", "E2"))}  # fmt: skip
    ents = {e: SimpleNamespace(entity_code=e, entity_name=f"Entity {e}") for e in ("E1", "E2")}
    organization = SimpleNamespace(cost_centers=cc, service_line_by_code=sls, entity_by_code=ents)
    return SimpleNamespace(organization=organization, config=SimpleNamespace(system_name="Test"))


def test_hierarchy() -> None:
    h = hierarchy(org())
    assert h.values.tolist() == [
        ["A", "Center A", "S1", "Line S1", "E1", "Entity E1"],
        ["B", "Center B", "S1", "Line S1", "E1", "Entity E1"],
        ["C", "Center C", "S2", "Line S2", "E1", "Entity E1"],
        ["D", "Center D", "S3", "Line S3", "E2", "Entity E2"],
    ]
    assert list(h.columns) == ["cost_center", "cost_center_name", "service_line_code",
                               "service_line_name", "entity_code", "entity_name"]  # fmt: skip


def test_rollup_month_by_month_at_every_level() -> None:
    # A: revenue 100.00 a month; B: 200.06 in January, 200.00 after; D: 10.00 a month.
    # C sent nothing. Supplies: A 1.01 a month.
    def row(cc, li, months):
        return {"cost_center": cc, "line_item": li, "annual": round(sum(months), 2)} | {
            f"m{i:02d}": v for i, v in enumerate(months, 1)
        }

    lines = pd.DataFrame([
        row("A", "REV", [100.0] * 12), row("A", "SUP", [1.01] * 12),
        row("B", "REV", [200.06] + [200.0] * 11), row("D", "REV", [10.0] * 12),
    ])  # fmt: skip
    out = rollup(lines, org(), ["A", "B", "D"])
    nodes = list(dict.fromkeys(zip(out.level, out.code, strict=True)))
    assert nodes == [("System", ""), ("Entity", "E1"), ("Service line", "S1"),
                     ("Cost center", "A"), ("Cost center", "B"), ("Service line", "S2"),
                     ("Entity", "E2"), ("Service line", "S3"), ("Cost center", "D")]  # fmt: skip
    assert len(out) == 9 * 13
    rev = out[out.line_item == "REV"].set_index(["level", "code"])
    # | node | members included | annual | Jan | Feb |
    expected = {
        ("System", ""): ("Test", "3 of 4", 3720.06, 310.06, 310.0),
        ("Entity", "E1"): ("Entity E1", "2 of 3", 3600.06, 300.06, 300.0),
        ("Service line", "S1"): ("Line S1", "2 of 2", 3600.06, 300.06, 300.0),
        ("Cost center", "A"): ("Center A", "1 of 1", 1200.0, 100.0, 100.0),
        ("Cost center", "B"): ("Center B", "1 of 1", 2400.06, 200.06, 200.0),
        ("Service line", "S2"): ("Line S2", "0 of 1", 0.0, 0.0, 0.0),
        ("Entity", "E2"): ("Entity E2", "1 of 1", 120.0, 10.0, 10.0),
        ("Service line", "S3"): ("Line S3", "1 of 1", 120.0, 10.0, 10.0),
        ("Cost center", "D"): ("Center D", "1 of 1", 120.0, 10.0, 10.0),
    }
    got = {k: (r["name"], r.included, r.annual, r.m01, r.m02) for k, r in rev.iterrows()}
    assert got == expected
    assert set(rev.line_item_name) == {"Net patient revenue"}
    sup = out[(out.line_item == "SUP") & (out.level == "System")].iloc[0]
    assert (sup.annual, sup.m12, sup.line_item_name) == (12.12, 1.01, "Supplies")


# --- triggers: breaches, their wording, due dates and escalation ---------------------------------


def test_level_reached_is_the_position_of_the_role() -> None:
    assert EscalationRule(tuple(LEVELS), "both").level(49999.99, 100000.0) == 0
    assert EscalationRule(tuple(LEVELS), "both").level(50000.0, 1000000.0) == 1
    assert (
        EscalationRule(tuple(LEVELS), "both").level(-300000.0, 2000000.0) == 2
    )  # 15% and $300,000 reach level 2
    assert EscalationRule(tuple(LEVELS), "both").level(1000000.0, 1000000.0) == 3


def test_find_breaches_only_unfavourable_beyond_level_1() -> None:
    rows = pd.DataFrame(
        [
            ("A", "SUP", 1000000.0, 1050000.0),  # cost 50,000 (5%) over: level 1
            ("A", "REV", 1000000.0, 950000.0),  # revenue 50,000 under: level 1
            ("A", "DRG", 1000000.0, 950000.0),  # cost under: favourable
            ("B", "REV", 1000000.0, 1050000.0),  # revenue over: favourable
            ("B", "OTH", 2000000.0, 2300000.0),  # 300,000 (15%) over: level 2
            ("C", "SUP", 1000000.0, 1049999.99),  # a cent short of $50,000
        ],
        columns=["cost_center", "line_item", "flex", "actual"],
    )
    assert find_breaches(rows, "2027-03", LEVELS) == [
        Breach("A", "SUP", "2027-03", 1000000.0, 1050000.0, 1),
        Breach("A", "REV", "2027-03", 1000000.0, 950000.0, 1),
        Breach("B", "OTH", "2027-03", 2000000.0, 2300000.0, 2),
    ]


def test_breach_variance_share_and_wording() -> None:
    over = Breach("A", "SUP", "2027-03", 1000000.0, 1124000.004, 2)
    assert over.variance == 124000.0 and over.share == 0.124
    assert describe(over, EscalationRule(tuple(LEVELS))) == (
        "Supplies 12.4% and $124,000 over flexible budget in 2027-03; threshold 5% and $50,000"
    )
    under = Breach("A", "REV", "2027-03", -800000.0, -900000.0, 1)
    assert under.share == -0.125  # -100,000 / |-800,000|
    assert describe(under, EscalationRule(tuple(LEVELS))) == (
        "Net patient revenue 12.5% and $100,000 under flexible budget in 2027-03; threshold 5% "
        "and $50,000"
    )
    none = Breach("B", "OTH", "2027-04", 0.0, 60000.0, 1)
    assert none.share is None
    assert describe(none, EscalationRule(tuple(LEVELS))) == (
        "Other expense $60,000 over a flexible budget of $0 in 2027-04; threshold 5% and $50,000"
    )


@pytest.mark.parametrize(
    ("month", "due"),
    [
        ("2027-01", dt.date(2027, 3, 2)),  # January 31 + 30 days
        ("2027-02", dt.date(2027, 3, 30)),  # February 28 + 30
        ("2028-02", dt.date(2028, 3, 30)),  # February 29 (leap year) + 30
        ("2027-12", dt.date(2028, 1, 30)),  # December 31 + 30
    ],
)
def test_due_date_is_30_days_after_month_end(month: str, due: dt.date) -> None:
    assert due_date(month) == due


def test_next_action_number() -> None:
    ids = pd.DataFrame({"id": ["ACT-0003", "ACT-0010", "X-0099", "ACT-abc", None]})
    assert _next_id(ids) == 11
    assert _next_id(pd.DataFrame({"id": []})) == 1


NAMES = {"A": ("Center A", "Pat Lee")}


def test_update_actions_opens_escalates_and_never_twice() -> None:
    jan = Breach("A", "SUP", "2027-01", 1000000.0, 1050000.0, 1)
    actions, changes = update_actions(pd.DataFrame(columns=ACTION_KEYS), [jan], LEVELS, NAMES)
    assert changes == ["ACT-0001 A SUP 2027-01: opened at level 1 (Controller)"]
    assert list(actions.columns) == ACTION_KEYS
    first = actions.iloc[0].to_dict()
    assert first == {
        "id": "ACT-0001", "opened": "2027-01", "cost_center": "A",
        "cost_center_name": "Center A", "owner": "Pat Lee", "line_item": "SUP",
        "trigger": "Supplies 5.0% and $50,000 over flexible budget in 2027-01; threshold 5% "
        "and $50,000", "variance": 50000.0, "variance_pct": 0.05, "level": 1,
        "escalated_to": "Controller", "due": dt.date(2027, 3, 2), "status": "open",
        "closed_on": None, "note": None, "breaches": 1, "last_breach": "2027-01",
        "history": "2027-01: opened at level 1 (Controller)",
    }  # fmt: skip
    feb = Breach("A", "SUP", "2027-02", 1000000.0, 1060000.0, 1)
    actions, changes = update_actions(actions, [feb], LEVELS, NAMES)
    assert changes == ["ACT-0001 A SUP 2027-02: breached again, escalated to level 2 (CFO)"]
    row = actions.iloc[0]
    assert (row.level, row.escalated_to, row.breaches, row.last_breach) == (2, "CFO", 2, "2027-02")
    assert row.due == dt.date(2027, 3, 30) and row.variance == 60000.0
    assert row.history == (
        "2027-01: opened at level 1 (Controller); 2027-02: breached again, escalated to level 2 "
        "(CFO)"
    )
    again, changes = update_actions(actions, [feb], LEVELS, NAMES)  # February re-run
    assert changes == [] and again.iloc[0].level == 2 and again.iloc[0].breaches == 2
    jan_late, changes = update_actions(actions, [jan], LEVELS, NAMES)  # an older month
    assert changes == [] and len(jan_late) == 1


def test_update_actions_escalation_is_capped_and_jumps_to_the_breach_level() -> None:
    start = pd.DataFrame([{k: None for k in ACTION_KEYS} | {
        "id": "ACT-0007", "cost_center": "A", "line_item": "SUP", "level": 3, "status": "open",
        "breaches": 4, "last_breach": "2027-01", "history": "",
    }, {k: None for k in ACTION_KEYS} | {
        "id": "ACT-0008", "cost_center": "A", "line_item": "DRG", "level": 1, "status": "open",
        "breaches": 0, "last_breach": "", "history": "",  # as read_actions gives blanks
    }])  # fmt: skip
    breaches = [
        Breach("A", "SUP", "2027-02", 1000000.0, 1060000.0, 1),  # at the top already: stays 3
        Breach("A", "DRG", "2027-02", 1000000.0, 1300000.0, 3),  # level 1 + 1 < 3: jumps to 3
    ]
    actions, changes = update_actions(start, breaches, LEVELS, NAMES)
    assert actions.level.tolist() == [3, 3]
    assert actions.escalated_to.tolist() == ["Board", "Board"]
    assert actions.breaches.tolist() == [5, 1]
    assert changes == [
        "ACT-0007 A SUP 2027-02: breached again, escalated to level 3 (Board)",
        "ACT-0008 A DRG 2027-02: breached again, escalated to level 3 (Board)",
    ]
    assert actions.history.tolist()[1] == "2027-02: breached again, escalated to level 3 (Board)"


def test_update_actions_reopens_after_a_close() -> None:
    closed = pd.DataFrame([{k: None for k in ACTION_KEYS} | {
        "id": "ACT-0002", "cost_center": "B", "line_item": "OTH", "level": 2, "status": "closed",
        "breaches": 1, "last_breach": "2027-01", "history": "h",
    }])  # fmt: skip
    mar = Breach("B", "OTH", "2027-03", 0.0, 70000.0, 1)
    actions, changes = update_actions(closed, [mar], LEVELS, {})
    assert changes == ["ACT-0003 B OTH 2027-03: opened at level 1 (Controller)"]
    new = actions.iloc[1]
    assert (new.cost_center_name, new.owner, new.level, new.variance_pct) == ("", "", 1, None)
    assert new.trigger.startswith("Other expense $70,000 over a flexible budget of $0")
    assert actions.iloc[0].status == "closed"


def test_actions_sheet_title_and_notes() -> None:
    actions = pd.DataFrame([{k: None for k in ACTION_KEYS} | {"status": s}
                            for s in ("open", "closed", "open")])  # fmt: skip
    sheet = actions_sheet(actions, "2027-02", LEVELS)
    assert (sheet.name, sheet.title) == ("Actions", "Actions: variance triggers through 2027-02")
    assert sheet.blocks[0].title == "Action items (open items carry over until closed)"
    assert sheet.blocks[0].rows is actions
    assert sheet.notes == (
        "2 open of 3. A cost or revenue line triggers when its unfavourable variance against the "
        "flexible budget reaches 5% and $50,000 in a month (Decision Guide level 1); due 30 days "
        "after the month end.",
        "A gap (or a monthly variance) enters the guide when it reaches both level 1 thresholds "
        "(5% of the target and $50,000); it then goes to the highest level it reaches, a level "
        "being reached by its percent or its dollar threshold (either is enough) (level 1 "
        "Controller: 5% and $50,000; level 2 CFO: 10% or $250,000; level 3 Board: 20% or "
        "$1,000,000). Below level 1 the cost center manager decides. Thresholds combine: "
        "'either' (setting below).",
        "Type the Status (closed), Closed on and Note; they are kept. A new breach of an open "
        "item in a later month escalates it one Decision Guide level.",
    )
    empty = actions_sheet(pd.DataFrame(columns=ACTION_KEYS), "2027-02", LEVELS)
    assert empty.notes[0].startswith("0 open of 0. ")


def test_phase_single_weight_and_weights_below_one() -> None:
    assert phase(1.23, [5]) == [1.23]
    assert phase(1.00, [0.25, 0.75]) == [0.25, 0.75]  # weights summing to 1 are kept


def test_explain_gap_flexes_top_down_agency_with_volume() -> None:
    # top-down RN also has 1 agency FTE at $50 (104,000): the volume step flexes it by 1.1 to
    # 1.1 x 2,080 x 50 = 114,400, so the volume effect grows by 10,400 to 111,440
    staff = dict(TOP_DOWN.staffing) | {"RN": StaffDrivers(10.0, 40.0, 0.0, 1.0, 50.0)}
    td = Drivers(**{**TOP_DOWN.__dict__, "staffing": staff})
    assert explain_gap(td, BOTTOM_UP)["volume"] == 111440.0

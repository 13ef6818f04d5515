"""Issue 22 item 5: kill tests for engine/variance_split.py's last survivors, worked by hand.

Small volumes (a planned UOS of 1 flexes), an agency line with under one planned hour, benefits
in a cost center without salaries, a cost center without drivers, the amounts' integer cents,
the favourability kinds, the core items' order and the indicators' edge weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridbudget.engine.drivers import Drivers, StaffDrivers
from hybridbudget.engine.variance_split import (
    AMOUNTS,
    Indicators,
    accuracy_share,
    core_items,
    in_dollars,
    variance_detail,
)
from hybridbudget.model.line_items import LINE_ITEM_CODES

JAN = "2027-01"
STAFFING_COLUMNS = ["cost_center", "period", "job_class", "REG_HOURS", "OT_HOURS", "PTO_HOURS",
                    "AGY_HOURS"]  # fmt: skip
# A: 1 UOS a month planned, no employed staff, 0.00025 agency FTE = 0.00025 x 2,080 = 0.52
# planned agency hours a year. B has no drivers (no accepted submission, no target).
A = Drivers(volume=(1.0,) * 12, revenue_per_uos=0.0, productive_ratio=1.0, benefits_load=0.0,
            staffing={"RN": StaffDrivers(agency_fte=0.00025, agency_rate=90.0)},
            supplies_per_uos=0.0, drugs_per_uos=0.0, purchased_services=0.0,
            other_expense=0.0)  # fmt: skip


def plan_rows(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A locked plan: (cost center, line, dollars a month), the same every month."""
    return pd.DataFrame([{"cost_center": cc, "line_item": li, "annual": 12 * m}
                         | dict.fromkeys((f"m{i:02d}" for i in range(1, 13)), m)
                         for cc, li, m in rows])  # fmt: skip


# January, in cents.
# | cc | line   | plan   | flex: why                         | actual | volume | eff. | rate | spend |
# | A  | SUP    |  1,000 | x 2 UOS / 1 planned = 2,000       |  2,500 |  1,000 |    0 |    0 |   500 |
# | A  | AGY    |    100 | x 2 / 1 = 200                     |    700 |    100 |  400 |  100 |     0 |
# | A  | BEN    |    500 | no salaries to follow: plan 500   |    600 |      0 |    0 |    0 |   100 |
# | B  | SAL_RN | 10,000 | no planned UOS: plan              | 12,000 |      0 |    0 | 2,000|     0 |
# | C  | OTH    |  3,000 | fixed: plan                       |   none |      0 |    0 |    0 | -3,000|
# A AGY efficiency: 0.26 actual hours at the planned 1,200 / 0.52 a year = 600, less flex 200 =
# 400; rate: 700 - 200 - 400 = 100. B: no planned hours, so all of actual - flex is rate.
# Hours: A AGY 0.26 (agency), B SAL_RN 8 + 2 = 10 (worked), none elsewhere: 0. C has no
# actuals at all for the month (no row in the monthly actuals): 0 actual, spending -30.00.
DETAIL = [
    ("A", "SUP", 1000, 2000, 2500, 1000, 0, 0, 500, 1.0, 2.0, 0.0, 0.0),
    ("A", "AGY", 100, 200, 700, 100, 400, 100, 0, 1.0, 2.0, 0.52, 0.26),
    ("A", "BEN", 500, 500, 600, 0, 0, 0, 100, 1.0, 2.0, 0.0, 0.0),
    ("B", "SAL_RN", 10000, 10000, 12000, 0, 0, 2000, 0, 0.0, 3.0, 0.0, 10.0),
    ("C", "OTH", 3000, 3000, 0, 0, 0, 0, -3000, 0.0, 0.0, 0.0, 0.0),
]
DETAIL_COLUMNS = ["cost_center", "line_item", *AMOUNTS, "planned_uos", "actual_uos",
                  "planned_hours", "hours"]  # fmt: skip


def test_variance_detail_small_volume_agency_benefits_and_no_drivers() -> None:
    plan = plan_rows([("A", "SUP", 10.0), ("A", "AGY", 1.0), ("A", "BEN", 5.0),
                      ("B", "SAL_RN", 100.0), ("C", "OTH", 30.0)])  # fmt: skip
    zero = dict.fromkeys(LINE_ITEM_CODES, 0.0)
    monthly = pd.DataFrame([
        {"cost_center": "A", "period": JAN, "UOS": 2.0} | zero
        | {"SUP": 25.0, "AGY": 7.0, "BEN": 6.0},
        {"cost_center": "B", "period": JAN, "UOS": 3.0} | zero | {"SAL_RN": 120.0},
    ])  # fmt: skip
    staffing = pd.DataFrame([("A", JAN, "RN", 0.0, 0.0, 0.0, 0.26), ("B", JAN, "RN", 8.0, 2.0, 0.0, 0.0)],
                            columns=STAFFING_COLUMNS)  # fmt: skip
    d = variance_detail(plan, {"A": A}, monthly, staffing, [JAN])
    got = d[DETAIL_COLUMNS]
    assert got.drop(columns="planned_hours").values.tolist() == [
        [*row[:11], row[12]] for row in DETAIL
    ]
    assert got.planned_hours.tolist() == pytest.approx([0.0, 0.52, 0.0, 0.0, 0.0])
    # money in integer cents, every amount column (C's missing actual included)
    assert {k: str(d[k].dtype) for k in AMOUNTS} == dict.fromkeys(AMOUNTS, "int64")


def test_in_dollars_says_which_way_is_favourable() -> None:
    view = pd.DataFrame(
        [("A", li, 100, 100, 100, 0, 0, 0, 0) for li in ("REV", "SUP", "SAL_RN")],
        columns=["cost_center", "line_item", *AMOUNTS],
    )
    out = in_dollars(view)
    # revenue: more is favourable; every cost: less is
    assert out.fav_kind.tolist() == ["money_up", "money_down", "money_down"]
    assert out.fav_pct_kind.tolist() == ["pct_up", "pct_down", "pct_down"]


# Core items in cents, in the view's order (B before A), salaries summed per cost center:
# | cc | item | plan   | actual | within 3% of actual: |actual - plan| x 100 <= 3 x |actual| |
# | B  | SUP  |      0 |    100 | 100 x 100 = 10,000 > 300: no (kept: an actual without a plan) |
# | B  | SAL  |  1,000 |  1,000 | 0: yes                                                   |
# | A  | REV  | 10,000 | 10,300 | 30,000 <= 30,900: yes                                    |
# | A  | SAL  | 10,000 | 10,200 | (RN 5,000 / 5,200 + LPN 5,000 / 5,000) 20,000 <= 30,600: yes |
# A DRG (plan and actual 0) is left out; A OTH is not a core item. Accuracy 3 of 4.
CORE_VIEW = pd.DataFrame(
    [("B", "SUP", 0, 100), ("B", "SAL_CLER", 1000, 1000), ("A", "REV", 10000, 10300),
     ("A", "SAL_RN", 5000, 5200), ("A", "SAL_LPN", 5000, 5000), ("A", "DRG", 0, 0),
     ("A", "OTH", 700, 900)],
    columns=["cost_center", "line_item", "plan", "actual"],
)  # fmt: skip


def test_core_items_in_view_order_with_an_actual_and_no_plan() -> None:
    assert core_items(CORE_VIEW).to_dict("records") == [
        {"cost_center": "B", "item": "SUP", "plan": 0, "actual": 100, "within": False},
        {"cost_center": "B", "item": "SAL", "plan": 1000, "actual": 1000, "within": True},
        {"cost_center": "A", "item": "REV", "plan": 10000, "actual": 10300, "within": True},
        {"cost_center": "A", "item": "SAL", "plan": 10000, "actual": 10200, "within": True},
    ]
    assert accuracy_share(CORE_VIEW) == 0.75
    # no core item at all (other expense only): accuracy 0, not NaN
    assert accuracy_share(CORE_VIEW[CORE_VIEW.line_item == "OTH"]) == 0.0


def test_indicators_small_volume_revenue_only_and_labor_without_flex() -> None:
    # | cc | line   | plan | flex | actual | planned UOS | actual UOS | UOS ratio      |
    # | A  | REV    | 1000 | 1100 |  1100  | 100         | 110        | 1.1            |
    # | A  | SUP    |  600 |  660 |   660  |             |            | weight 600     |
    # | D  | REV    |  100 |  200 |   200  | 1           | 2          | 2.0, weight 0  |
    # | E  | SAL_RN |    0 |    0 |  5000  | 0           | 0          | no volume      |
    # throughput (1.1 x 600 + 2.0 x 0) / 600 = 1.1; at target A and D of 2 with volume;
    # labor flex 0: labor index 0 (actual labor 50.00 has nothing to be compared with)
    view = pd.DataFrame(
        [("A", "REV", 1000, 1100, 1100, 100.0, 110.0), ("A", "SUP", 600, 660, 660, 100.0, 110.0),
         ("D", "REV", 100, 200, 200, 1.0, 2.0), ("E", "SAL_RN", 0, 0, 5000, 0.0, 0.0)],
        columns=["cost_center", "line_item", "plan", "flex", "actual", "planned_uos",
                 "actual_uos"],
    )  # fmt: skip
    k = Indicators.of(view)
    assert k.throughput == pytest.approx(1.1, rel=1e-12)
    assert k.at_target == (2, 2)
    assert (k.labor, k.labor_index) == ((0.0, 0.0, 50.0), 0.0)
    assert np.isclose(k.revenue[2], 13.0)

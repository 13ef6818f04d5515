"""Issue 22: the variance split, forecast accuracy and the triggers, worked by hand.

One cost center (Med/Surg, HWH-03000), January 2027. Its locked plan comes from these drivers:
300 patient days a month (3,600 a year), 1,000.00 net revenue per day, productive ratio 0.90,
benefits 25% of salaries. RN: 12.00 FTEs at 40.00 with 5% overtime, plus 0.60 agency FTEs at
90.00. CLER: 1.00 FTE at 21.00. Supplies 55.00 and drugs 12.00 per day. Purchased services
24,000.00 and other expense 12,000.00 a year.

| line     | annual plan                                                       | January (1/12) |
|----------|-------------------------------------------------------------------|----------------|
| REV      | 3,600 x 1,000.00 = 3,600,000.00                                   | 300,000.00     |
| SAL_RN   | 12 x 2,080 = 24,960 h x 40 = 998,400; OT 24,960 x 0.9 x 0.05      | 85,072.00      |
|          | = 1,123.2 h x 40 x 0.5 = 22,464: 1,020,864.00                     |                |
| SAL_CLER | 2,080 x 21.00 = 43,680.00                                         | 3,640.00       |
| AGY      | 0.60 x 2,080 = 1,248 h x 90.00 = 112,320.00                       | 9,360.00       |
| BEN      | (1,020,864 + 43,680) x 0.25 = 266,136.00                          | 22,178.00      |
| SUP      | 3,600 x 55.00 = 198,000.00                                        | 16,500.00      |
| DRG      | 3,600 x 12.00 = 43,200.00                                         | 3,600.00       |
| PUR, OTH | 24,000.00; 12,000.00                                              | 2,000; 1,000   |

Planned worked hours a year: RN 24,960 x 0.9 = 22,464 (overtime included); CLER 2,080 x 0.9 =
1,872; agency 1,248. The planned cost per worked hour of RN is 1,020,864 / 22,464 = 45.4444.
That is 40 / 0.9 for paid time off plus 1.00 for the overtime premium.

January actuals: 330 days (flex ratio 330 / 300 = 1.1). Worked hours: RN 1,850 REG + 94 OT =
1,944 (PTO 160), CLER 150, agency 120.
"""

from __future__ import annotations

import pandas as pd
import pytest

from handworked import MEDSURG, load_system
from hybridbudget.engine.drivers import Drivers, StaffDrivers
from hybridbudget.engine.escalation import EscalationRule
from hybridbudget.engine.triggers import ACTION_KEYS, find_breaches, update_actions
from hybridbudget.engine.variance_split import (
    accuracy_share,
    core_items,
    in_dollars,
    variance_detail,
)
from hybridbudget.model.line_items import JOB_CLASSES, LINE_ITEM_CODES

JAN = "2027-01"
BASIS = Drivers(
    volume=(300.0,) * 12,
    revenue_per_uos=1000.00,
    productive_ratio=0.90,
    benefits_load=0.25,
    staffing={
        "RN": StaffDrivers(
            fte=12.00, wage_rate=40.00, overtime_pct=0.05, agency_fte=0.60, agency_rate=90.00
        ),
        "CLER": StaffDrivers(fte=1.00, wage_rate=21.00),
    },
    supplies_per_uos=55.00,
    drugs_per_uos=12.00,
    purchased_services=24000.00,
    other_expense=12000.00,
)
PLAN_ANNUAL = {"REV": 3600000.00, "SAL_RN": 1020864.00, "SAL_CLER": 43680.00, "AGY": 112320.00,
               "BEN": 266136.00, "SUP": 198000.00, "DRG": 43200.00, "PUR": 24000.00,
               "OTH": 12000.00}  # fmt: skip
PLAN_JAN = {"REV": 300000.00, "SAL_RN": 85072.00, "SAL_CLER": 3640.00, "AGY": 9360.00,
            "BEN": 22178.00, "SUP": 16500.00, "DRG": 3600.00, "PUR": 2000.00, "OTH": 1000.00}  # fmt: skip
ACTUAL_JAN = {"REV": 326700.00, "SAL_RN": 90000.00, "SAL_CLER": 3700.00, "AGY": 11400.00,
              "BEN": 25000.00, "SUP": 18000.00, "DRG": 4100.00, "PUR": 2250.00, "OTH": 900.00}  # fmt: skip

# line: plan, flexible budget, actual, and the four effects (volume + efficiency + rate + spending
# = actual - plan)
VARIANCE = {
    # REV: flex 300,000 x 1.1; rate = actual - flex (net revenue per day 990 vs 1,000)
    "REV": (300000.00, 330000.00, 326700.00, 30000.00, 0.00, -3300.00, 0.00),
    # SAL_RN: flex 85,072 x 1.1 = 93,579.20; at plan cost 45.4444 x 1,944 h = 88,344.00:
    # efficiency 88,344.00 - 93,579.20 (fewer hours than 2,059.2 flexed); rate 90,000 - 88,344
    "SAL_RN": (85072.00, 93579.20, 90000.00, 8507.20, -5235.20, 1656.00, 0.00),
    # SAL_CLER is fixed: flex = plan; at plan cost 43,680 / 1,872 = 23.3333 x 150 h = 3,500.00
    "SAL_CLER": (3640.00, 3640.00, 3700.00, 0.00, -140.00, 200.00, 0.00),
    # AGY: flex 9,360 x 1.1 = 10,296; at plan cost 112,320 / 1,248 = 90.00 x 120 h = 10,800.00:
    # efficiency 10,800 - 10,296 (more agency hours than 114.4 flexed); rate 11,400 - 10,800
    "AGY": (9360.00, 10296.00, 11400.00, 936.00, 504.00, 600.00, 0.00),
    # BEN follows salaries: 22,178 x (93,579.20 + 3,640) / (85,072 + 3,640) = 24,304.80
    "BEN": (22178.00, 24304.80, 25000.00, 2126.80, 0.00, 0.00, 695.20),
    "SUP": (16500.00, 18150.00, 18000.00, 1650.00, 0.00, 0.00, -150.00),  # 16,500 x 1.1
    "DRG": (3600.00, 3960.00, 4100.00, 360.00, 0.00, 0.00, 140.00),  # 3,600 x 1.1
    "PUR": (2000.00, 2000.00, 2250.00, 0.00, 0.00, 0.00, 250.00),  # fixed
    "OTH": (1000.00, 1000.00, 900.00, 0.00, 0.00, 0.00, -100.00),  # fixed
    "SAL_LPN": (0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00),
}
AMOUNTS = ("plan", "flex", "actual", "volume", "efficiency", "rate", "spending")


def month_frame(values: dict[str, float]) -> dict[str, float]:
    return {li: values.get(li, 0.0) for li in LINE_ITEM_CODES}


@pytest.fixture(scope="module")
def january() -> pd.DataFrame:
    plan = pd.DataFrame(
        [
            {"cost_center": MEDSURG, "line_item": li, "annual": PLAN_ANNUAL.get(li, 0.0)}
            | {f"m{i:02d}": PLAN_JAN.get(li, 0.0) for i in range(1, 13)}
            for li in LINE_ITEM_CODES
        ]
    )
    monthly = pd.DataFrame(
        [{"cost_center": MEDSURG, "period": JAN, "UOS": 330.0} | month_frame(ACTUAL_JAN)]
    )
    hours = {"RN": (1850.0, 94.0, 160.0, 120.0), "CLER": (150.0, 0.0, 10.0, 0.0)}
    staffing = pd.DataFrame(
        [
            dict(zip(("REG_HOURS", "OT_HOURS", "PTO_HOURS", "AGY_HOURS"),
                     hours.get(j, (0.0,) * 4), strict=True))
            | {"cost_center": MEDSURG, "period": JAN, "job_class": j}
            for j in JOB_CLASSES
        ]
    )  # fmt: skip
    return variance_detail(plan, {MEDSURG: BASIS}, monthly, staffing, [JAN])


def test_variance_effects_by_line_kind(january: pd.DataFrame) -> None:
    got = {
        r.line_item: tuple(getattr(r, k) / 100 for k in AMOUNTS)
        for r in january.itertuples(index=False)
    }
    for line, expected in VARIANCE.items():
        assert got[line] == expected, line
    assert january.set_index("line_item").loc["SAL_RN", "planned_hours"] == 22464.0
    assert january.set_index("line_item").loc["AGY", "hours"] == 120.0


def test_breaches_from_the_variance(january: pd.DataFrame) -> None:
    # against the flexible budget, unfavourable only: AGY +1,104.00 on 10,296.00 = 10.7%, at
    # least $1,000 (level 1; level 2 needs $5,000). REV -3,300 is 1%; SAL_RN is under;
    # BEN +695.20, PUR +250, DRG +140 are below $1,000
    levels = EscalationRule.of(load_system().reference.config)
    view = in_dollars(january.assign(month=JAN))
    breaches = find_breaches(view, JAN, levels)
    assert [(b.line_item, b.variance, b.level) for b in breaches] == [("AGY", 1104.00, 1)]


# --- triggers: level 1 of the Decision Guide (5% and $1,000), the same >= rule ------------------
TRIGGERS = [
    # line, flex, actual, why                                                    level
    ("SUP", 100000.00, 105000.00, "+5,000: 5% and >= $1,000", 1),
    ("SUP", 100000.00, 104999.99, "just below 5%", 0),
    ("SUP", 100000.00, 95000.00, "cost under budget: favourable", 0),
    ("PUR", 10000.00, 11000.00, "+1,000: 10% and $1,000: level 1", 1),
    ("PUR", 10000.00, 10999.99, "just below $1,000", 0),
    ("REV", 100000.00, 90000.00, "revenue 10,000 under: 10% and $5,000", 2),
    ("REV", 100000.00, 110000.00, "revenue over budget: favourable", 0),
    ("DRG", 100000.00, 119999.99, "just below 20%", 2),
    ("OTH", 100000.00, 120000.00, "20% and $20,000", 3),
]


def test_triggers_at_just_below_and_above_level_one() -> None:
    levels = EscalationRule.of(load_system().reference.config)
    for line, flex, actual, why, level in TRIGGERS:
        rows = pd.DataFrame([{"cost_center": MEDSURG, "line_item": line, "flex": flex,
                              "actual": actual}])  # fmt: skip
        found = find_breaches(rows, JAN, levels)
        assert [b.level for b in found] == ([level] if level else []), (line, actual, why)


def test_actions_open_escalate_once_and_reopen_after_closing() -> None:
    system = load_system()
    levels = EscalationRule.of(system.reference.config)
    names = {MEDSURG: ("Medical/Surgical Unit", "Ann Able")}

    def breach(month: str, actual: float) -> list:
        rows = pd.DataFrame([{"cost_center": MEDSURG, "line_item": "SUP", "flex": 20000.00,
                              "actual": actual}])  # fmt: skip
        return find_breaches(rows, month, levels)

    empty = pd.DataFrame(columns=ACTION_KEYS)
    jan, changes = update_actions(empty, breach(JAN, 21500.00), levels, names)
    row = jan.iloc[0]
    assert (row.id, row.level, row.escalated_to, row.status, row.owner) == (
        "ACT-0001", 1, "Service line director", "open", "Ann Able")  # fmt: skip
    assert str(row.due) == "2027-03-02"  # January 31 + 30 days
    assert row.trigger == (
        "Supplies 7.5% and $1,500 over flexible budget in 2027-01; threshold 5% and $1,000"
    )
    feb, _ = update_actions(jan, breach("2027-02", 21200.00), levels, names)
    assert (feb.iloc[0].level, feb.iloc[0].escalated_to, feb.iloc[0].breaches) == (
        2,
        "VP Finance",
        2,
    )
    again, changes = update_actions(feb, breach("2027-02", 21200.00), levels, names)
    assert changes == [] and again.iloc[0].level == 2  # a re-run never escalates twice
    closed = again.assign(status="closed")
    mar, _ = update_actions(closed, breach("2027-03", 21100.00), levels, names)
    assert list(mar.id) == ["ACT-0001", "ACT-0002"]
    assert (mar.iloc[1].level, mar.iloc[1].status) == (1, "open")


# --- forecast accuracy: plan within 3% of actual -----------------------------------------------
def test_forecast_accuracy_at_the_three_percent_band() -> None:
    def row(cc: str, line: str, plan: float, actual: float) -> dict:
        return {"cost_center": cc, "line_item": line, "plan": round(plan * 100),
                "actual": round(actual * 100)}  # fmt: skip

    view = pd.DataFrame(
        [
            row("A", "REV", 97.00, 100.00),  # |3.00| <= 3% of 100.00: within
            row("B", "REV", 96.99, 100.00),  # 3.01: outside
            row("C", "SUP", 103.00, 100.00),  # over by 3.00: within
            row("D", "SUP", 103.01, 100.00),  # outside
            row("E", "SAL_RN", 50.00, 60.00),  # salaries are summed: 50 + 47 = 97 vs
            row("E", "SAL_CLER", 47.00, 40.00),  # 60 + 40 = 100: within
            row("F", "DRG", 0.00, 0.00),  # nothing planned or spent: not counted
            row("G", "PUR", 50.00, 100.00),  # not a core item
        ]
    )
    core = core_items(view)
    assert [(r.cost_center, r.item, bool(r.within)) for r in core.itertuples(index=False)] == [
        ("A", "REV", True),
        ("B", "REV", False),
        ("C", "SUP", True),
        ("D", "SUP", False),
        ("E", "SAL", True),
    ]
    assert accuracy_share(view) == 3 / 5

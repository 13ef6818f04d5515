"""Issue 22 item 5: tests that kill the mutants of targets, rollup, triggers and variance_split
that survived bench/mutation/run.py (second round; the first is tests/test_mutation_kills.py).

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
from hybridbudget.engine.history import History
from hybridbudget.engine.targets import build_targets, prior_drivers, target_drivers, whole_units
from hybridbudget.model import CostCenterType
from hybridbudget.model.line_items import LINE_ITEM_CODES

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

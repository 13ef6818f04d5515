"""Top-down targets: prior-year drivers moved by the guardrails (method in docs/targets.md).

1. Volume: each month's prior-year UOS x (1 + growth), growth by cost center type: inpatient and
   support follow inpatient admissions growth, outpatient follows outpatient utilization growth,
   ancillary the average of the two; rounded to whole units.
2. Net revenue per UOS: prior-year rate x (1 + net revenue rate change).
3. Staffing: worked hours per UOS (labor intensity) x (1 + labor intensity change) x target volume,
   converted to paid FTEs with the prior-year productive ratio, for the variable job classes; the
   fixed classes (clerical, management) keep prior-year FTEs. Wage and agency rates x (1 + wage
   inflation); overtime share as prior year; agency FTEs flex with volume.
4. Benefits per salary dollar x (1 + benefits inflation) / (1 + wage inflation).
5. Supplies and drugs per UOS x (1 + their inflation); purchased services and other x (1 + theirs).
Rates are rounded as displayed (money per unit 2 decimals, FTEs 2, shares 4) and the budget is then
computed from the rounded drivers with drivers.compute, like any submission.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import CostCenter, CostCenterType, SystemConfig
from ..model.line_items import (
    FIXED_JOB_CLASSES,
    HOURS_PER_FTE,
    JOB_CLASSES,
    LINE_ITEM_CODES,
    salary_line,
)
from ..model.reference import Reference
from .drivers import Drivers, Figures, StaffDrivers, compute
from .history import History
from .money import round_to, sum_cents


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def volume_growth(cc: CostCenter, config: SystemConfig) -> float:
    g = config.guardrails
    return {
        CostCenterType.INPATIENT: g.inpatient_admissions_growth,
        CostCenterType.SUPPORT: g.inpatient_admissions_growth,
        CostCenterType.OUTPATIENT: g.outpatient_utilization_growth,
        CostCenterType.ANCILLARY: (g.inpatient_admissions_growth + g.outpatient_utilization_growth)
        / 2,
    }[cc.cost_center_type]


def whole_units(values: np.ndarray) -> tuple[float, ...]:
    """Volumes rounded half away from zero to whole units (340 x 1.025 = 348.5 -> 349)."""
    return tuple(round_to(v, 0) + 0.0 for v in np.asarray(values, dtype=float).tolist())


STAFF_COLUMNS = ("REG_HOURS", "OT_HOURS", "PTO_HOURS", "AGY_HOURS", "REG_AMOUNT", "PTO_AMOUNT",
                 "AGY_AMOUNT")  # fmt: skip


@dataclass(frozen=True)
class _StaffRow:
    """One job class's payroll year, as plain floats."""

    job_class: str
    REG_HOURS: float
    OT_HOURS: float
    PTO_HOURS: float
    AGY_HOURS: float
    REG_AMOUNT: float
    PTO_AMOUNT: float
    AGY_AMOUNT: float


def _staff_rows(staffing: pd.DataFrame) -> list[_StaffRow]:
    columns = [staffing[c].to_numpy(dtype=float).tolist() for c in STAFF_COLUMNS]
    return [
        _StaffRow(j, *values) for j, *values in zip(staffing["job_class"], *columns, strict=True)
    ]


def prior_drivers(
    cc: CostCenter, monthly: pd.DataFrame, staffing: pd.DataFrame
) -> tuple[Drivers, dict[str, float]]:
    """Prior-year drivers of one cost center (rounded as displayed) and its GL totals."""
    gl = {code: sum_cents(monthly[code]) for code in LINE_ITEM_CODES}
    return _prior_drivers(monthly["UOS"].to_numpy(dtype=float), gl, _staff_rows(staffing))


def _prior_drivers(
    volume: np.ndarray, gl: dict[str, float], rows: list[_StaffRow]
) -> tuple[Drivers, dict[str, float]]:
    total_uos = float(volume.sum())
    staff: dict[str, StaffDrivers] = {}
    worked = paid = 0.0
    for row in rows:
        reg, ot, pto, agy = row.REG_HOURS, row.OT_HOURS, row.PTO_HOURS, row.AGY_HOURS
        worked += reg + ot
        paid += reg + ot + pto
        staff[row.job_class] = StaffDrivers(
            fte=round_to((reg + ot + pto) / HOURS_PER_FTE, 2),
            wage_rate=round_to(_div(row.REG_AMOUNT + row.PTO_AMOUNT, reg + pto), 2),
            overtime_pct=round_to(_div(ot, reg + ot), 4),
            agency_fte=round_to(agy / HOURS_PER_FTE, 2),
            agency_rate=round_to(_div(row.AGY_AMOUNT, agy), 2),
        )
    salaries = sum_cents([gl[salary_line(j)] for j in JOB_CLASSES])
    drivers = Drivers(
        volume=tuple(float(v) for v in volume),
        revenue_per_uos=round_to(_div(gl["REV"], total_uos), 2),
        productive_ratio=round_to(_div(worked, paid), 4) if paid else 1.0,
        benefits_load=round_to(_div(gl["BEN"], salaries), 4),
        staffing=staff,
        supplies_per_uos=round_to(_div(gl["SUP"], total_uos), 2),
        drugs_per_uos=round_to(_div(gl["DRG"], total_uos), 2),
        purchased_services=gl["PUR"],
        other_expense=gl["OTH"],
    )
    return drivers, gl


def target_drivers(cc: CostCenter, prior: Drivers, staffing: pd.DataFrame, config: SystemConfig):
    """The top-down drivers of one cost center."""
    return _target_drivers(cc, prior, _staff_rows(staffing), config)


def _target_drivers(
    cc: CostCenter, prior: Drivers, rows: list[_StaffRow], config: SystemConfig
) -> Drivers:
    g, infl = config.guardrails, config.inflation
    volume = whole_units(np.asarray(prior.volume) * (1 + volume_growth(cc, config)))
    v0, v1 = prior.annual_volume, float(sum(volume))
    flex = _div(v1, v0) if v0 else 1.0
    staff: dict[str, StaffDrivers] = {}
    worked_by_class = {r.job_class: r.REG_HOURS + r.OT_HOURS for r in rows}
    for j in JOB_CLASSES:
        p = prior.staff(j)
        if j in FIXED_JOB_CLASSES or not v0 or prior.productive_ratio <= 0:
            fte = p.fte
        else:
            worked = worked_by_class.get(j, 0.0) / v0 * (1 + g.labor_intensity_change) * v1
            fte = round_to(worked / prior.productive_ratio / HOURS_PER_FTE, 2)
        staff[j] = StaffDrivers(
            fte=fte,
            wage_rate=round_to(p.wage_rate * (1 + infl.wages), 2),
            overtime_pct=p.overtime_pct,
            agency_fte=round_to(p.agency_fte * flex, 2),
            agency_rate=round_to(p.agency_rate * (1 + infl.wages), 2),
        )
    return Drivers(
        volume=volume,
        revenue_per_uos=round_to(prior.revenue_per_uos * (1 + g.net_revenue_rate_change), 2),
        productive_ratio=prior.productive_ratio,
        benefits_load=round_to(prior.benefits_load * (1 + infl.benefits) / (1 + infl.wages), 4),
        staffing=staff,
        supplies_per_uos=round_to(prior.supplies_per_uos * (1 + infl.supplies), 2),
        drugs_per_uos=round_to(prior.drugs_per_uos * (1 + infl.drugs), 2),
        purchased_services=round_to(prior.purchased_services * (1 + infl.purchased_services), 2),
        other_expense=round_to(prior.other_expense * (1 + infl.other), 2),
    )


@dataclass(frozen=True)
class CostCenterTarget:
    cost_center: CostCenter
    prior: Drivers
    prior_gl: dict[str, float]
    drivers: Drivers
    figures: Figures


@dataclass(frozen=True)
class Targets:
    config: SystemConfig
    by_cost_center: dict[str, CostCenterTarget]

    def totals(self, codes: list[str] | None = None) -> dict[str, float]:
        """Revenue, expense and margin over some (default all) cost centers, to the cent."""
        items = [self.by_cost_center[c] for c in codes] if codes else self.by_cost_center.values()
        figs = [t.figures for t in items]
        revenue = sum_cents([f.revenue for f in figs])
        expense = sum_cents([f.expense for f in figs])
        return {"revenue": revenue, "expense": expense, "margin": sum_cents([revenue, -expense])}

    def margin_reconciliation(self) -> dict[str, float]:
        """System margin against the margin target: the gap the drivers leave (negative = short)."""
        t = self.totals()
        goal = self.config.guardrails.operating_margin_target
        required = round_to(t["revenue"] * goal, 2)
        return t | {
            "margin_pct": _div(t["margin"], t["revenue"]),
            "target_margin_pct": goal,
            "target_margin": required,
            "gap": sum_cents([t["margin"], -required]),
        }


def build_targets(reference: Reference, history: History) -> Targets:
    """Targets for every cost center of the organization."""
    monthly, staffing = history.monthly, history.staffing
    by_month = monthly.groupby("cost_center", sort=False).indices
    by_staff = staffing.groupby("cost_center", sort=False).indices
    periods = monthly["period"].to_numpy()
    uos = monthly["UOS"].to_numpy(dtype=float)
    # each line item in integer cents: a sum of them is exact, as sum_cents takes it
    cents = {
        code: np.rint(monthly[code].to_numpy(dtype=float) * 100).astype(np.int64)
        for code in LINE_ITEM_CODES
    }
    rows = _staff_rows(staffing)
    none = np.zeros(0, dtype=np.intp)
    out: dict[str, CostCenterTarget] = {}
    for cc in reference.organization.cost_centers:
        code = cc.cost_center_code
        at = by_month.get(code, none)
        at = at[np.argsort(periods[at], kind="stable")]  # months in period order
        gl = {li: int(c[at].sum()) / 100 for li, c in cents.items()}
        staff = [rows[i] for i in by_staff.get(code, none)]
        prior, gl = _prior_drivers(uos[at], gl, staff)
        drivers = _target_drivers(cc, prior, staff, reference.config)
        out[code] = CostCenterTarget(cc, prior, gl, drivers, compute(drivers))
    return Targets(reference.config, out)

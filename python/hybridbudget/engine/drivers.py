"""The driver model: one cost center's budget computed from its drivers.

The same arithmetic serves the top-down targets, the template's live formulas (written to mirror
it term by term), the recomputation of submissions, divergence and the plan. Money is rounded to
the cent per line item (see money.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..model.line_items import (
    EXPENSE_LINES,
    HOURS_PER_FTE,
    JOB_CLASSES,
    LABOR_LINES,
    LINE_ITEM_CODES,
    NONLABOR_LINES,
    OVERTIME_PREMIUM,
    salary_line,
)
from .money import cents, phase, sum_cents


@dataclass(frozen=True)
class StaffDrivers:
    """One job class in one cost center."""

    fte: float = 0.0  # employed paid FTEs
    wage_rate: float = 0.0  # straight-time hourly rate
    overtime_pct: float = 0.0  # overtime hours as a share of worked hours
    agency_fte: float = 0.0
    agency_rate: float = 0.0  # hourly agency invoice rate


NO_STAFF = StaffDrivers()  # a job class a cost center does not staff (frozen: one is enough)


@dataclass(frozen=True)
class Drivers:
    """Everything a cost center's budget is computed from."""

    volume: tuple[float, ...]  # units of service by month, 12 values
    revenue_per_uos: float
    productive_ratio: float  # worked / paid hours of employed staff
    benefits_load: float  # benefits per salary dollar
    staffing: Mapping[str, StaffDrivers]
    supplies_per_uos: float
    drugs_per_uos: float
    purchased_services: float
    other_expense: float

    @property
    def annual_volume(self) -> float:
        return float(sum(self.volume))

    def staff(self, job_class: str) -> StaffDrivers:
        return self.staffing.get(job_class, NO_STAFF)


def salary(s: StaffDrivers, productive_ratio: float) -> float:
    """Paid hours at straight time plus the overtime premium on overtime hours."""
    paid_hours = s.fte * HOURS_PER_FTE
    overtime_hours = paid_hours * productive_ratio * s.overtime_pct
    return cents(paid_hours * s.wage_rate + overtime_hours * s.wage_rate * OVERTIME_PREMIUM)


@dataclass(frozen=True)
class Figures:
    """A cost center's annual budget by line item, plus staffing statistics."""

    lines: dict[str, float]
    volume: float
    fte: float  # employed + agency
    worked_hours: float
    monthly_volume: tuple[float, ...] = field(default=())

    @property
    def revenue(self) -> float:
        return self.lines["REV"]

    @property
    def labor_cost(self) -> float:
        return sum_cents([self.lines[c] for c in LABOR_LINES])

    @property
    def nonlabor_cost(self) -> float:
        return sum_cents([self.lines[c] for c in NONLABOR_LINES])

    @property
    def expense(self) -> float:
        return sum_cents([self.lines[c] for c in EXPENSE_LINES])

    @property
    def margin(self) -> float:
        return sum_cents([self.revenue, -self.expense])

    @property
    def worked_hours_per_uos(self) -> float:
        return self.worked_hours / self.volume if self.volume else 0.0

    def monthly(self) -> dict[str, list[float]]:
        """Each line item phased by the cost center's volume seasonality (months add to the year)."""
        weights = self.monthly_volume or (1.0,) * 12
        return {code: phase(amount, weights) for code, amount in self.lines.items()}


def compute(d: Drivers) -> Figures:
    """The budget a set of drivers implies."""
    volume = d.annual_volume
    lines = dict.fromkeys(LINE_ITEM_CODES, 0.0)
    lines["REV"] = cents(volume * d.revenue_per_uos)
    worked = 0.0
    fte = 0.0
    for j in JOB_CLASSES:
        s = d.staff(j)
        lines[salary_line(j)] = salary(s, d.productive_ratio)
        lines["AGY"] += s.agency_fte * HOURS_PER_FTE * s.agency_rate
        worked += s.fte * HOURS_PER_FTE * d.productive_ratio + s.agency_fte * HOURS_PER_FTE
        fte += s.fte + s.agency_fte
    lines["AGY"] = cents(lines["AGY"])
    salaries = sum_cents([lines[salary_line(j)] for j in JOB_CLASSES])
    lines["BEN"] = cents(salaries * d.benefits_load)
    lines["SUP"] = cents(volume * d.supplies_per_uos)
    lines["DRG"] = cents(volume * d.drugs_per_uos)
    lines["PUR"] = cents(d.purchased_services)
    lines["OTH"] = cents(d.other_expense)
    return Figures(
        lines=lines,
        volume=volume,
        fte=round(fte, 2),
        worked_hours=round(worked, 2),
        monthly_volume=tuple(float(v) for v in d.volume),
    )

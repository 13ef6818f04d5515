"""Top-down vs bottom-up: gaps by line item, tolerance flags and the gap by driver.

The expense gap of a cost center is explained by substituting the bottom-up drivers into the
top-down ones in a fixed order and recomputing the budget after each substitution:

1. volume: bottom-up volume, variable staff flexed with it (intensity unchanged);
2. staffing intensity: bottom-up FTEs and agency FTEs (worked hours per unit of service);
3. wage rate: bottom-up wage rates, overtime share and agency rates;
4. supplies per unit: bottom-up supplies and drugs per unit of service;
5. other: everything left (purchased services, other expense).

Each effect is the change in total expense at its step, so the effects add up to the gap exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..model.line_items import (
    EXPENSE_LINES,
    FIXED_JOB_CLASSES,
    JOB_CLASSES,
    LABOR_LINES,
    NONLABOR_LINES,
)
from .drivers import Drivers, Figures, compute
from .money import sum_cents
from .tolerance import beyond_tolerance

EFFECTS: tuple[tuple[str, str], ...] = (
    ("volume", "Volume effect"),
    ("intensity", "Staffing intensity effect"),
    ("wage_rate", "Wage rate effect"),
    ("supplies", "Supplies per unit effect"),
    ("other", "Other effect"),
)
REVENUE_RATE = "rate"  # revenue's second effect: net revenue per unit of service
DECISIONS: tuple[str, ...] = ("accept bottom-up", "keep top-down", "agreed value")
ACCEPT, KEEP, AGREED = DECISIONS


def _staff(d: Drivers, **changes: Mapping[str, dict[str, float]]) -> Drivers:
    staffing = {
        j: dataclasses.replace(d.staff(j), **{k: v[j] for k, v in changes.items()})
        for j in JOB_CLASSES
    }
    return dataclasses.replace(d, staffing=staffing)


def _chain(top_down: Drivers, bottom_up: Drivers) -> list[Drivers]:
    """The top-down drivers with the bottom-up ones substituted step by step (steps 1 to 4)."""
    td, bu = top_down, bottom_up
    ratio = bu.annual_volume / td.annual_volume if td.annual_volume else 1.0
    flexed = {j: (1.0 if j in FIXED_JOB_CLASSES else ratio) for j in JOB_CLASSES}
    d1 = _staff(
        dataclasses.replace(td, volume=bu.volume),
        fte={j: td.staff(j).fte * flexed[j] for j in JOB_CLASSES},
        agency_fte={j: td.staff(j).agency_fte * flexed[j] for j in JOB_CLASSES},
    )
    d2 = _staff(
        d1,
        fte={j: bu.staff(j).fte for j in JOB_CLASSES},
        agency_fte={j: bu.staff(j).agency_fte for j in JOB_CLASSES},
    )
    d3 = _staff(
        d2,
        wage_rate={j: bu.staff(j).wage_rate for j in JOB_CLASSES},
        overtime_pct={j: bu.staff(j).overtime_pct for j in JOB_CLASSES},
        agency_rate={j: bu.staff(j).agency_rate for j in JOB_CLASSES},
    )
    d4 = dataclasses.replace(
        d3, supplies_per_uos=bu.supplies_per_uos, drugs_per_uos=bu.drugs_per_uos
    )
    return [d1, d2, d3, d4]


def line_bridge(
    top_down: Drivers, bottom_up: Drivers, figures: tuple[Figures, Figures] | None = None
) -> dict[str, dict[str, float]]:
    """Each line item's gap split by driver, in cents, adding up to the line's gap exactly.

    Expense lines: the EFFECTS. Revenue: volume, then REVENUE_RATE (the revenue per unit of
    service, which only the last step changes). `figures`: compute() of both, when known.
    """
    first, last = figures or (compute(top_down), compute(bottom_up))
    chain = [first, *(compute(d) for d in _chain(top_down, bottom_up)), last]
    out: dict[str, dict[str, float]] = {}
    for line in first.lines:
        cents = [round(f.lines[line] * 100) for f in chain]
        steps = {key: (cents[i + 1] - cents[i]) / 100 for i, (key, _) in enumerate(EFFECTS)}
        if line == "REV":  # volume, then everything else is the rate (steps 2-4 leave it alone)
            steps = {"volume": steps["volume"], REVENUE_RATE: (cents[-1] - cents[1]) / 100}
        out[line] = steps
    return out


def explain_gap(
    top_down: Drivers, bottom_up: Drivers, expenses: tuple[float, float] | None = None
) -> dict[str, float]:
    """Expense gap (bottom-up minus top-down) split into EFFECTS; the values add up to the gap.

    `expenses`: compute(top_down).expense and compute(bottom_up).expense when already known.
    """
    first, last = expenses or (compute(top_down).expense, compute(bottom_up).expense)
    chain = [first, *(compute(d).expense for d in _chain(top_down, bottom_up)), last]
    cents = [round(x * 100) for x in chain]
    return {key: (cents[i + 1] - cents[i]) / 100 for i, (key, _) in enumerate(EFFECTS)}


def expense_effects(bridge: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """A line bridge's expense lines summed by effect: explain_gap without recomputing."""
    # every effect is a whole number of cents (line_bridge), so integer sums are exact
    return {
        key: sum(round(bridge[li][key] * 100) for li in EXPENSE_LINES) / 100 for key, _ in EFFECTS
    }


def rationale_for(line: str, rationale: Mapping[str, str]) -> str:
    """The manager's explanation that covers a line item."""
    if line == "REV":
        return rationale.get("rationale_volume", "")
    if line in LABOR_LINES:
        return rationale.get("rationale_staffing", "")
    if line in NONLABOR_LINES:
        return rationale.get("rationale_nonlabor", "")
    return ""


def line_gaps(
    td: Figures, bu: Figures, pct: float, amount: float
) -> list[tuple[str, float, float, float, float | None, bool]]:
    """(line, top-down, bottom-up, gap $, gap % or None, beyond tolerance) for every line item."""
    out = []
    for line, target in td.lines.items():
        value = bu.lines[line]
        gap = sum_cents([value, -target])
        share = gap / abs(target) if target else None
        out.append((line, target, value, gap, share, beyond_tolerance(gap, target, pct, amount)))
    return out

"""Favourable or unfavourable: the one rule every sheet colours and labels its differences by.

A difference (actual - plan, bottom-up - top-down, yours - target) is favourable when it helps
the operating margin: more revenue or margin, less cost. Its sign alone says nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..model.line_items import LINE_ITEMS

UP, DOWN, NEUTRAL = "up", "down", "neutral"  # which way of a difference is favourable

# Subtotals and figures beyond the line items (P&L rows, summary columns).
_AGGREGATES: dict[str, str] = {
    "REVENUE": UP,
    "MARGIN": UP,
    "MARGIN_PCT": UP,
    "SAL": DOWN,  # total salaries
    "DEP": DOWN,  # depreciation of approved capital (a plan line)
    "LABOR": DOWN,
    "NONLABOR": DOWN,
    "EXPENSE": DOWN,
    "FTE": DOWN,
    "WHPUOS": DOWN,  # worked hours per unit of service
    "UOS": NEUTRAL,  # volume: neither good nor bad for the margin on its own
    # dashboard keys (engine/dashboard_figures.py): P&L subtotals and tile metrics
    "LAB": DOWN,
    "NLB": DOWN,
    "EXP": DOWN,
    "ADJPD": UP,
    "ACCURACY": UP,
    "OT": DOWN,  # overtime share of worked hours
}
DIRECTION: dict[str, str] = {
    **{li.code: UP if li.kind == "revenue" else DOWN for li in LINE_ITEMS},
    **_AGGREGATES,
}
FAV, UNFAV = "Fav", "Unfav"
COLUMN_NOTE = (
    "Differences keep their sign (actual - plan, bottom-up - top-down); red marks an unfavourable "
    "one (revenue or margin below, cost above), parentheses a negative. Fav/Unfav says it in words."
)


def direction(code: str) -> str:
    """UP when more is favourable (revenue, margin), DOWN when less is (every cost), else NEUTRAL."""
    return DIRECTION.get(code.upper(), NEUTRAL)


def is_favourable(code: str, difference: float) -> bool | None:
    """Whether `difference` (actual - plan) of line `code` helps the margin; None for neutral
    figures. No difference counts as favourable (nothing to explain)."""
    way = direction(code)
    if way == NEUTRAL:
        return None
    return difference >= 0 if way == UP else difference <= 0


def favourable(
    codes: Iterable[str] | pd.Series, differences: Iterable[float] | pd.Series
) -> np.ndarray:
    """Vectorised `is_favourable` for line item codes (neutral codes count as favourable)."""
    codes = pd.Series(list(codes) if not isinstance(codes, pd.Series) else codes.to_numpy())
    diff = pd.Series(
        list(differences) if not isinstance(differences, pd.Series) else differences.to_numpy()
    ).astype(float)
    up = codes.map(lambda c: direction(str(c)) != DOWN).to_numpy()
    return np.where(up, diff.to_numpy() >= 0, diff.to_numpy() <= 0)


def label(code: str, difference: float) -> str:
    """'Fav' or 'Unfav' for a difference of line `code` ('' for neutral figures, none or zero)."""
    if difference is None or difference != difference or difference == 0:  # None, NaN, on plan
        return ""
    fav = is_favourable(code, difference)
    return "" if fav is None else (FAV if fav else UNFAV)


def labels(codes: Iterable[str], differences: Iterable[float]) -> list[str]:
    return [label(str(c), d) for c, d in zip(codes, differences, strict=True)]


def variance_kind(code: str, base: str = "money") -> str:
    """The number-format kind (workbook/spec.py) of a difference of line `code`: red only when
    unfavourable. `base` is money, dollars (whole) or pct."""
    way = direction(code)
    return base if way == NEUTRAL else f"{base}_{way}"


def variance_kinds(codes: Iterable[str], base: str = "money") -> list[str]:
    return [variance_kind(str(c), base) for c in codes]


def number_formats(positive: str) -> dict[str, str]:
    """A number format for a difference in each direction: `positive` shows the value (e.g.
    '#,##0.00'); negatives in parentheses; red only on the unfavourable side (never zero)."""
    return {
        NEUTRAL: f"{positive};({positive})",
        UP: f"{positive};[Red]({positive})",
        DOWN: f"[Red]{positive};({positive});{positive}",  # zero: plain, not red
    }

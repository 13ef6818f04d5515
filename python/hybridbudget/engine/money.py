"""Rounding policy: money is rounded half away from zero to the cent, as Excel's ROUND does.

Every money figure the engine produces passes through `cents` (scalars) or `cents_array`
(vectors); sums are taken in integer cents so totals tie out exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import numpy as np

HALF_CENT = 0.005


def round_to(value: float, places: int) -> float:
    """Round half away from zero to `places` decimals (Excel ROUND semantics).

    Like Excel, the value is first taken to 15 significant digits, so a product such as
    35 x 1.035, stored as 36.224999999999994, rounds as the 36.225 it stands for (36.23).
    """
    text = format(float(value), ".15g")
    point = text.find(".")
    if text[-1].isdigit() and "e" not in text and (point < 0 or len(text) - point - 1 <= places):
        return float(text)  # no more decimals than asked for: already rounded (most figures)
    return float(Decimal(text).quantize(_quantum(places), rounding=ROUND_HALF_UP))


@cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def cents(value: float) -> float:
    """A money amount rounded to the cent."""
    return round_to(value, 2)


def cents_array(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """Vector form of `cents` (half away from zero)."""
    arr = np.asarray(values, dtype=float)
    # The 1e-7 nudge absorbs binary noise such as 2.675 stored as 2.67499999...
    return np.sign(arr) * np.floor(np.abs(arr) * 100 + 0.5 + 1e-7) / 100


def sum_cents(values: Sequence[float] | np.ndarray) -> float:
    """Exact sum of cent amounts (no float drift over many rows)."""
    total = int(np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64).sum())
    return total / 100


def phase(total: float, weights: Sequence[float], places: int = 2) -> list[float]:
    """Split `total` over `weights` so the parts, rounded to `places`, add up to `total` exactly.

    Largest-remainder allocation; equal weights where all weights are zero.
    """
    unit = 10**places
    whole = round(total * unit)
    w = np.asarray(weights, dtype=float)
    if len(w) == 0:
        return []
    if w.sum() <= 0:
        w = np.ones_like(w)
    raw = whole * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    short = whole - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:short]] += 1
    return [int(b) / unit for b in base]

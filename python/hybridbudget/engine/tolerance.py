"""The divergence tolerance rule: one definition for the engine, the templates and the tests."""

from __future__ import annotations


def beyond_tolerance(gap: float, target: float, pct: float, amount: float) -> bool:
    """True when a gap is material: beyond the dollar tolerance and beyond pct of the target.

    Both thresholds must be exceeded, so a small cost center is not flagged for a few dollars and a
    large one not for a rounding-size percentage. The template's rationale flag formula mirrors it:
    =IF(AND(ABS(gap)>amount,ABS(gap)>pct*ABS(target)),1,0).
    """
    size = abs(gap)
    return size > amount and size > pct * abs(target)

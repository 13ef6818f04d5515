"""The escalation rule of the Decision Guide: who decides a gap (or a variance) of a given size.

One object holds the levels and how their thresholds combine; the workshop agenda, the lock's
list of undecided items, the variance triggers and the Actions sheet all ask it, and the Decision
Guide's explanation is its `text()`, so the sheet and the engine cannot disagree.

A gap enters the guide when it reaches both of level 1's thresholds (a few dollars on a tiny line,
or a rounding-size share of a large one, never escalate). It then goes to the highest level it
reaches, where a level is reached by its dollar *or* its percent threshold (`either`, the default:
a gap material in dollars alone goes to the level whose dollar threshold it reaches) or only by
both (`both`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..model.guardrails import EscalationLevel

if TYPE_CHECKING:
    from ..model.guardrails import SystemConfig

Combine = Literal["either", "both"]
COMBINE: tuple[Combine, ...] = ("either", "both")
MANAGER = "Cost center manager"


@dataclass(frozen=True)
class EscalationRule:
    """The Decision Guide's levels (lowest first) and how each level's $ and % thresholds combine."""

    levels: tuple[EscalationLevel, ...]
    combine: Combine = "either"

    @classmethod
    def of(cls, config: SystemConfig) -> EscalationRule:
        return cls(tuple(config.escalation), config.escalation_combine)

    @classmethod
    def coerce(cls, rule: EscalationRule | Sequence[EscalationLevel]) -> EscalationRule:
        """A rule from a rule or from bare levels (then the default combination)."""
        return rule if isinstance(rule, EscalationRule) else cls(tuple(rule))

    def _reaches(self, lv: EscalationLevel, gap: float, base: float, both: bool) -> bool:
        size = abs(gap)
        dollars, share = size >= lv.amount, size >= lv.pct * abs(base)
        return (dollars and share) if both else (dollars or share)

    def level(self, gap: float, base: float) -> int:
        """0 below level 1, else the level (1-based position) the gap goes to; `base` is the
        top-down target (or the flexible budget) the percent is of."""
        if not self.levels or not self._reaches(self.levels[0], gap, base, True):
            return 0
        both = self.combine == "both"
        return max(i for i, lv in enumerate(self.levels, 1) if self._reaches(lv, gap, base, both))

    def role(self, gap: float, base: float) -> str:
        """The role the gap goes to ('' below level 1)."""
        n = self.level(gap, base)
        return self.levels[n - 1].role if n else ""

    def threshold(self, n: int) -> str:
        """e.g. '5% and $50,000' for level n (1-based), as the rule applies it there."""
        lv = self.levels[n - 1]
        word = "and" if n == 1 or self.combine == "both" else "or"
        return f"{lv.pct:.0%} {word} ${lv.amount:,.0f}"

    def short(self) -> str:
        """The combination in a few words, for the sheets that point to the Decision Guide."""
        how = "its % or its $ threshold" if self.combine == "either" else "both its % and $"
        return f"a level is reached by {how}; level 1 needs both"

    def text(self) -> str:
        """The rule in words, generated from the same setting `level` uses."""
        first = self.levels[0]
        ladder = "; ".join(
            f"level {i} {lv.role}: {self.threshold(i)}" for i, lv in enumerate(self.levels, 1)
        )
        how = (
            "its percent or its dollar threshold (either is enough)"
            if self.combine == "either"
            else "both its percent and its dollar threshold"
        )
        return (
            f"A gap (or a monthly variance) enters the guide when it reaches both level 1 "
            f"thresholds ({first.pct:.0%} of the target and ${first.amount:,.0f}); it then goes "
            f"to the highest level it reaches, a level being reached by {how} ({ladder}). "
            f"Below level 1 the "
            f"{MANAGER.lower()} decides. Thresholds combine: '{self.combine}' (setting below)."
        )

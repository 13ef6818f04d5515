"""Monthly variance triggers: Decision Guide thresholds turn variances into action items.

A line item of a cost center triggers in a month when its unfavourable variance against the
flexible budget (cost over it, revenue under it) enters the Decision Guide (`escalation.py`: the
same rule object as the workshop agenda and the lock, both thresholds of level 1). An action opens at the level the
breach reaches, owned by the cost center's manager and due 30 days after the month end. Open
actions carry from month to month until someone closes them on the Actions sheet; a new breach of
the same cost center and line item in a later month while its action is open escalates it to the
next Decision Guide level. Re-running a month never escalates twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..model import EscalationLevel
from ..model.line_items import LINE_ITEM_NAMES
from .escalation import EscalationRule
from .favourability import is_favourable

Rule = EscalationRule | Sequence[EscalationLevel]  # bare levels: the default combination

OPEN, CLOSED = "open", "closed"
STATUSES = (OPEN, CLOSED)
DUE_DAYS = 30
# The Actions sheet's columns (control/actions_sheet.py) in this order.
ACTION_KEYS = ["id", "opened", "cost_center", "cost_center_name", "owner", "line_item", "trigger",
               "variance", "variance_pct", "level", "escalated_to", "due", "status", "closed_on",
               "note", "breaches", "last_breach", "history"]  # fmt: skip


@dataclass(frozen=True)
class Breach:
    """An unfavourable variance against the flexible budget that reached level 1."""

    cost_center: str
    line_item: str
    month: str
    flex: float
    actual: float
    level: int  # the Decision Guide level the rule sends it to

    @property
    def variance(self) -> float:
        return round(self.actual - self.flex, 2)

    @property
    def share(self) -> float | None:
        return self.variance / abs(self.flex) if self.flex else None


def find_breaches(rows: pd.DataFrame, month: str, rule: Rule) -> list[Breach]:
    """Breaches among rows of cost_center, line_item, flex, actual (dollars) of one month."""
    rule = EscalationRule.coerce(rule)
    out = []
    for r in rows.itertuples(index=False):
        variance = round(r.actual - r.flex, 2)
        level = 0 if is_favourable(r.line_item, variance) else rule.level(variance, r.flex)
        if level:
            out.append(Breach(r.cost_center, r.line_item, month, r.flex, r.actual, level))
    return out


def describe(b: Breach, rule: EscalationRule) -> str:
    """e.g. 'Supplies 12.4% and $61,200 over flexible budget; threshold 5% and $50,000'."""
    side = "under" if b.variance < 0 else "over"
    pct = f"{abs(b.share):.1%} and " if b.share is not None else ""
    budget = "flexible budget" if b.share is not None else "a flexible budget of $0"
    return (
        f"{LINE_ITEM_NAMES[b.line_item]} {pct}${abs(b.variance):,.0f} {side} {budget} in "
        f"{b.month}; threshold {rule.threshold(1)}"
    )


def due_date(month: str) -> dt.date:
    """30 days after the month end."""
    year, m = int(month[:4]), int(month[5:7])
    return dt.date(year, m, calendar.monthrange(year, m)[1]) + dt.timedelta(days=DUE_DAYS)


def _next_id(actions: pd.DataFrame) -> int:
    numbers = [int(str(i)[4:]) for i in actions["id"] if str(i).startswith("ACT-")
               and str(i)[4:].isdigit()]  # fmt: skip
    return max(numbers, default=0) + 1


def update_actions(
    actions: pd.DataFrame,
    breaches: Sequence[Breach],
    rule: Rule,
    names: Mapping[str, tuple[str, str]],
) -> tuple[pd.DataFrame, list[str]]:
    """Actions after a month's breaches: new ones opened, open ones breached again escalated.

    `names`: cost center -> (cost center name, manager). Returns the actions and what changed.
    """
    rule = EscalationRule.coerce(rule)
    levels = rule.levels
    rows: list[dict[str, Any]] = [dict(r) for r in actions.to_dict("records")]
    is_open = {(r["cost_center"], r["line_item"]): r for r in rows if r["status"] == OPEN}
    counted: dict[tuple[str, str], str] = {}  # newest month already counted, open or closed
    for r in rows:
        key = (r["cost_center"], r["line_item"])
        counted[key] = max(counted.get(key, ""), str(r["last_breach"] or ""))
    top = len(levels)
    changes: list[str] = []
    seq = _next_id(actions)
    for b in breaches:
        text = describe(b, rule)
        row = is_open.get((b.cost_center, b.line_item))
        if counted.get((b.cost_center, b.line_item), "") >= b.month:
            continue  # this month (or a later one) was already counted: re-runs change nothing
        if row is None:
            name, owner = names.get(b.cost_center, ("", ""))
            row = {"id": f"ACT-{seq:04d}", "opened": b.month, "cost_center": b.cost_center,
                   "cost_center_name": name, "owner": owner, "line_item": b.line_item,
                   "level": b.level, "status": OPEN, "closed_on": None, "note": None,
                   "breaches": 0, "last_breach": "", "history": ""}  # fmt: skip
            seq += 1
            rows.append(row)
            event = f"{b.month}: opened at level {b.level} ({levels[b.level - 1].role})"
        else:
            level = min(top, max(int(row["level"] or 1) + 1, b.level))
            event = (
                f"{b.month}: breached again, escalated to level {level} ({levels[level - 1].role})"
            )
            row["level"] = level
        row |= {"trigger": text, "variance": b.variance, "variance_pct": b.share,
                "escalated_to": levels[int(row["level"]) - 1].role, "due": due_date(b.month),
                "breaches": int(row["breaches"] or 0) + 1, "last_breach": b.month,
                "history": "; ".join(h for h in (row["history"], event) if h)}  # fmt: skip
        changes.append(f"{row['id']} {b.cost_center} {b.line_item} {event}")
    return pd.DataFrame(rows, columns=ACTION_KEYS), changes

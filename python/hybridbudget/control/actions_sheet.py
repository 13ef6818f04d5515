"""The Actions sheet: action items opened by the variance triggers, with the status, closed-on date
and note finance types (kept across runs)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..engine.escalation import EscalationRule
from ..engine.triggers import ACTION_KEYS, DUE_DAYS, OPEN, STATUSES
from ..errors import HybridBudgetError
from ..findings import Finding, Severity
from ..model import EscalationLevel
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .book import ControlBook

ACTIONS_SHEET = "Actions"
ACTIONS_BLOCK = "Action items (open items carry over until closed)"
ACTION_COLUMNS = (
    Column("Action", "id", width=10),
    Column("Opened", "opened", width=9),
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=34),
    Column("Owner", "owner", width=18),
    Column("Line item", "line_item", width=9),
    Column("What crossed which threshold", "trigger", width=44, wrap=True),
    Column("Variance $", "variance", "money", width=13),
    Column("Variance %", "variance_pct", "pct", width=9),
    Column("Level", "level", "int", width=6),
    Column("Escalated to", "escalated_to", width=20),
    Column("Due", "due", "date", width=11),
    Column("Status", "status", width=9, editable=True, choices=STATUSES),
    Column("Closed on", "closed_on", "date", width=11, editable=True),
    Column("Note", "note", width=34, editable=True),
    Column("Breaches", "breaches", "int", width=8),
    Column("Last breach", "last_breach", width=10),
    Column("History", "history", width=44, wrap=True),
)
assert [c.key for c in ACTION_COLUMNS] == ACTION_KEYS, "Actions columns out of step with the engine"


def read_actions(book: ControlBook) -> pd.DataFrame:
    """The Actions sheet as it stands (typed status, closed on and notes kept); a status that is
    neither open nor closed is refused with its cell."""
    if ACTIONS_SHEET not in book.sheet_names:
        return pd.DataFrame(columns=ACTION_KEYS)
    table = read_block(book.rows(ACTIONS_SHEET), ACTIONS_SHEET, book.file, ACTIONS_BLOCK,
                       ACTION_COLUMNS)  # fmt: skip
    bad = []
    for i, row in enumerate(table.rows):
        status = str(row["status"] or OPEN).strip().lower()
        if status not in STATUSES:
            bad.append(Finding(code="BAD_ACTION_STATUS", severity=Severity.ERROR,
                               message=f"action {row['id']}: status {row['status']!r} is not "
                               "open or closed", file=book.file, sheet=ACTIONS_SHEET,
                               cell=table.cell(i, "status"), value=str(row["status"])))  # fmt: skip
        row["status"] = status
    if bad:
        raise HybridBudgetError.from_findings(bad, "Some actions cannot be read")
    frame = pd.DataFrame(table.rows, columns=ACTION_KEYS)
    text = [c.key for c in ACTION_COLUMNS if c.kind == "text"]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), "")
    for key in ("level", "breaches"):
        frame[key] = pd.to_numeric(frame[key]).fillna(0).astype(int)
    return frame


def actions_sheet(
    actions: pd.DataFrame, month: str, rule: EscalationRule | Sequence[EscalationLevel]
) -> Sheet:
    rule = EscalationRule.coerce(rule)
    n_open = int((actions["status"] == OPEN).sum()) if len(actions) else 0
    return Sheet(
        ACTIONS_SHEET,
        f"Actions: variance triggers through {month}",
        (Block(ACTIONS_BLOCK, ACTION_COLUMNS, actions),),
        notes=(
            f"{n_open} open of {len(actions)}. A cost or revenue line triggers when its "
            f"unfavourable variance against the flexible budget reaches {rule.threshold(1)} in "
            f"a month (Decision Guide level 1); due {DUE_DAYS} days after the month end.",
            rule.text(),
            "Type the Status (closed), Closed on and Note; they are kept. A new breach of an "
            "open item in a later month escalates it one Decision Guide level.",
        ),
        paper="tabloid",  # 18 columns: on letter, one page wide shrinks them below reading size
    )

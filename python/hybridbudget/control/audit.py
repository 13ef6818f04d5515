"""The Audit Log sheet: append-only; each step that writes the control workbook adds its entries."""

from __future__ import annotations

import datetime as dt
import getpass

import pandas as pd

from ..errors import HybridBudgetError
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .book import ControlBook

AUDIT_SHEET = "Audit Log"
AUDIT_BLOCK = "Entries (oldest first; never edited)"
AUDIT_COLUMNS = (
    Column("Time (UTC)", "time", width=20),
    Column("Step", "step", width=16),
    Column("User", "user", width=14),
    Column("What happened", "detail", width=90, wrap=True),
    Column("Fingerprint (SHA-256)", "sha256", width=66),
)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def entry(step: str, detail: str, sha256: str = "", user: str | None = None) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return {"time": now, "step": step, "user": user or current_user(), "detail": detail,
            "sha256": sha256}  # fmt: skip


def read_audit(book: ControlBook) -> pd.DataFrame:
    if AUDIT_SHEET not in book.sheet_names:
        return pd.DataFrame(columns=[c.key for c in AUDIT_COLUMNS])
    try:
        table = read_block(
            book.rows(AUDIT_SHEET), AUDIT_SHEET, book.file, AUDIT_BLOCK, AUDIT_COLUMNS
        )
    except HybridBudgetError as exc:
        raise HybridBudgetError(
            f"{exc.message}; the audit log is append-only: restore it with hybridbudget undo"
        ) from exc
    return pd.DataFrame(table.rows, columns=[c.key for c in AUDIT_COLUMNS]).fillna("")


def audit_sheet(book: ControlBook | None, *entries: dict[str, str]) -> Sheet:
    """The Audit Log with these entries appended to what the book already holds."""
    old = (
        read_audit(book)
        if book is not None
        else pd.DataFrame(columns=[c.key for c in AUDIT_COLUMNS])
    )
    rows = pd.concat([old, pd.DataFrame(list(entries))], ignore_index=True)
    return Sheet(
        AUDIT_SHEET,
        "Audit log",
        (Block(AUDIT_BLOCK, AUDIT_COLUMNS, rows),),
        notes=("Every step that changes the control workbook appends a line here.",),
    )

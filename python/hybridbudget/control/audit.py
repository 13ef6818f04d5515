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


# longer details are split over several entries: Excel keeps 32,767 characters a cell, and a
# variance run of 10,000 cost centers lists 30,000 characters of opened actions
MAX_DETAIL = 8_000


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def entry(step: str, detail: str, sha256: str = "", user: str | None = None) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return {"time": now, "step": step, "user": user or current_user(), "detail": detail,
            "sha256": sha256}  # fmt: skip


def split_entry(e: dict[str, str], limit: int = MAX_DETAIL) -> list[dict[str, str]]:
    """An entry whose detail is longer than `limit` as consecutive entries "(part i of n)", cut
    between its "; "-separated items where it can: nothing is dropped."""
    detail = e["detail"]
    if len(detail) <= limit:
        return [e]
    parts: list[str] = []
    current = ""
    for item in detail.split("; "):
        joined = f"{current}; {item}" if current else item
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        while len(item) > limit:  # one item longer than the limit: cut it
            parts.append(item[:limit])
            item = item[limit:]
        current = item
    parts.append(current)
    return [e | {"detail": f"(part {i} of {len(parts)}) {p}"} for i, p in enumerate(parts, 1)]


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
    new = [piece for e in entries for piece in split_entry(e)]
    rows = pd.concat([old, pd.DataFrame(new)], ignore_index=True)
    return Sheet(
        AUDIT_SHEET,
        "Audit log",
        (Block(AUDIT_BLOCK, AUDIT_COLUMNS, rows),),
        notes=("Every step that changes the control workbook appends a line here.",),
    )

"""The issue register: every template finance issued, one row each, appended by `templates`.

Intake accepts a submission only when it answers to a row here (cost center, fiscal year,
template version, and the template id the Meta sheet carries), and rejects one whose version is
older than the newest issued to its cost center as stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from ..errors import HybridBudgetError
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .book import ControlBook

REGISTER_SHEET = "Issued Templates"
REGISTER_BLOCK = "Templates issued (oldest first; never edited)"
REGISTER_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Fiscal year", "fiscal_year", width=9),
    Column("Template version", "version", width=9),
    Column("Issued at (UTC)", "issued_at", width=20),
    Column("Template ID", "template_id", width=34),
    Column("File", "file", width=40),
    Column("SHA-256", "sha256", width=66),
)


@dataclass(frozen=True)
class Issue:
    """One issued template."""

    cost_center: str
    fiscal_year: str
    version: int
    issued_at: str
    template_id: str
    file: str = ""
    sha256: str = ""

    @property
    def day(self) -> str:
        """The issue date as a person reads it (2026-11-30)."""
        return self.issued_at[:10]


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


@dataclass
class Register:
    """The issued templates by template id and by cost center."""

    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {i.template_id: i for i in self.issues if i.template_id}
        self.by_cost_center: dict[str, list[Issue]] = {}
        for i in self.issues:
            self.by_cost_center.setdefault(i.cost_center, []).append(i)

    def newest(self, cost_center: str, fiscal_year: str) -> Issue | None:
        """The highest version issued to a cost center for a year (first issue of it)."""
        rows = [i for i in self.by_cost_center.get(cost_center, ()) if i.fiscal_year == fiscal_year]
        if not rows:
            return None
        top = max(i.version for i in rows)
        return next(i for i in rows if i.version == top)

    def find(self, cost_center: str, fiscal_year: str, version: int) -> Issue | None:
        return next(
            (
                i
                for i in self.by_cost_center.get(cost_center, ())
                if i.fiscal_year == fiscal_year and i.version == version
            ),
            None,
        )


def _frame(book: ControlBook | None) -> pd.DataFrame:
    keys = [c.key for c in REGISTER_COLUMNS]
    if book is None or REGISTER_SHEET not in book.sheet_names:
        return pd.DataFrame(columns=keys)
    try:
        table = read_block(
            book.rows(REGISTER_SHEET), REGISTER_SHEET, book.file, REGISTER_BLOCK, REGISTER_COLUMNS
        )
    except HybridBudgetError as exc:
        raise HybridBudgetError(
            f"{exc.message}; the issue register is append-only: restore it with hybridbudget undo"
        ) from exc
    return pd.DataFrame(table.rows, columns=keys).fillna("")


def read_register(book: ControlBook) -> Register:
    """The register as the control workbook holds it (empty when no template was issued yet)."""
    issues = []
    for row in _frame(book).to_dict("records"):
        try:
            version = int(float(_text(row["version"]) or "0"))
        except ValueError:
            version = 0
        issues.append(
            Issue(
                cost_center=_text(row["cost_center"]),
                fiscal_year=_text(row["fiscal_year"]),
                version=version,
                issued_at=_text(row["issued_at"]),
                template_id=_text(row["template_id"]),
                file=_text(row["file"]),
                sha256=_text(row["sha256"]),
            )
        )
    return Register(issues)


def register_sheet(book: ControlBook | None, issued: Iterable[Issue]) -> Sheet:
    """The Issued Templates sheet with `issued` appended to what the book already holds."""
    new = pd.DataFrame([vars(i) for i in issued], columns=[c.key for c in REGISTER_COLUMNS])
    rows = pd.concat([_frame(book), new], ignore_index=True).astype(str)
    return Sheet(
        REGISTER_SHEET,
        "Issue register",
        (Block(REGISTER_BLOCK, REGISTER_COLUMNS, rows),),
        notes=(
            "Written by Generate Templates: one row per template issued. Validation accepts a "
            "submission only for an issued template and rejects an older version as stale.",
        ),
    )

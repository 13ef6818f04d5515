"""The actuals sheets of the control workbook: Actuals (cost center x month: UOS and every line
item, revenue positive), Actuals Staffing (cost center x month x job class: hours and earnings by
earnings type), Actuals Imports (each file imported: month, SHA-256, rows) and Actuals Issues (each
row that was reported, not imported); written by Import actuals, read by variance and the exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..engine.actuals_map import Actuals
from ..engine.history import STAFFING_COLUMNS
from ..errors import HybridBudgetError
from ..model.line_items import LINE_ITEM_CODES
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from . import schema as L
from .book import ControlBook

ACTUALS_SHEET = "Actuals"
ACTUALS_BLOCK = "Monthly actuals by cost center (revenue positive)"
ACTUALS_COLUMNS = L.HISTORY_COLUMNS
STAFF_SHEET = "Actuals Staffing"
STAFF_BLOCK = "Payroll by cost center, month and job class"
STAFF_COLUMNS = (
    L.STAFFING_COLUMNS[0],
    Column("Period", "period", width=9),
    *L.STAFFING_COLUMNS[1:],
)
IMPORTS_SHEET = "Actuals Imports"
IMPORTS_BLOCK = "Files imported, by month"
IMPORT_COLUMNS = (
    Column("Month", "month", width=9),
    Column("Extract", "kind", width=9),
    Column("File", "file", width=44),
    Column("SHA-256", "sha256", width=66),
    Column("Rows in file", "rows", "int", width=9),
    Column("Rows imported", "imported", "int", width=9),
    Column("Rows reported", "reported", "int", width=9),
    Column("Imported (UTC)", "when", width=19),
    Column("By", "user", width=14),
)
ISSUES_SHEET = "Actuals Issues"
ISSUES_BLOCK = "Extract rows reported, not imported"
ISSUE_COLUMNS = (Column("Month", "month", width=9), *L.ISSUE_COLUMNS)


def _numbers(table: Any, keys: Sequence[str]) -> pd.DataFrame:
    """Rows of a block read back, with these columns as numbers (a bad cell is named)."""
    frame = pd.DataFrame(table.rows)
    for key in keys:
        for i, v in enumerate(frame[key].tolist()):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise HybridBudgetError(
                    f"{table.file}: sheet {table.sheet}, cell {table.cell(i, key)}: {v!r} is not "
                    "a number (this sheet is written by Import actuals: re-import the month)"
                )
        frame[key] = pd.to_numeric(frame[key]).fillna(0.0).astype(float)
    return frame


def _read(book: ControlBook, sheet: str, title: str, columns: Sequence[Column]) -> Any:
    table = read_block(book.rows(sheet), sheet, book.file, title, columns)
    keep = [i for i, r in enumerate(table.rows) if r[columns[0].key] != "Total"]
    table.rows[:] = [table.rows[i] for i in keep]
    table.row_numbers[:] = [table.row_numbers[i] for i in keep]
    return table


def _frame(rows: Any, columns: Sequence[Column]) -> pd.DataFrame:
    keys = [c.key for c in columns]
    return pd.DataFrame(rows, columns=keys) if rows else pd.DataFrame(columns=keys)


def read_actuals(book: ControlBook) -> Actuals:
    """The imported actuals (empty frames before the first import)."""
    if IMPORTS_SHEET not in book.sheet_names:
        return Actuals(*(_frame([], c) for c in (ACTUALS_COLUMNS, STAFF_COLUMNS, IMPORT_COLUMNS,
                                                 ISSUE_COLUMNS)))  # fmt: skip
    monthly = _read(book, ACTUALS_SHEET, ACTUALS_BLOCK, ACTUALS_COLUMNS)
    staffing = _read(book, STAFF_SHEET, STAFF_BLOCK, STAFF_COLUMNS)
    imports = _read(book, IMPORTS_SHEET, IMPORTS_BLOCK, IMPORT_COLUMNS)
    issues = _read(book, ISSUES_SHEET, ISSUES_BLOCK, ISSUE_COLUMNS)
    return Actuals(
        _numbers(monthly, ["UOS", *LINE_ITEM_CODES])
        if monthly.rows
        else _frame([], ACTUALS_COLUMNS),
        _numbers(staffing, list(STAFFING_COLUMNS)) if staffing.rows else _frame([], STAFF_COLUMNS),
        _frame(imports.rows, IMPORT_COLUMNS).fillna(""),
        _frame(issues.rows, ISSUE_COLUMNS).fillna(""),
    )


def actuals_sheets(actuals: Actuals, password: str = "") -> list[Sheet]:
    """The four actuals sheets (protected: they are written by Import actuals only)."""
    months = ", ".join(actuals.months) or "none"
    source = (
        f"Months imported: {months}. Written by Import actuals; a corrected month is re-imported."
    )
    return [
        Sheet(ACTUALS_SHEET, "Actuals by cost center and month",
              (Block(ACTUALS_BLOCK, ACTUALS_COLUMNS, actuals.monthly, total_label="Total"),),
              notes=(source, "UOS from the EHR extract; amounts from the GL extract, revenue "
                     "positive, mapped by the Account Map."), protect_password=password),
        Sheet(STAFF_SHEET, "Actual staffing by cost center, month and job class",
              (Block(STAFF_BLOCK, STAFF_COLUMNS, actuals.staffing, total_label="Total"),),
              notes=(source, "From the payroll export: worked (regular, overtime), paid time off "
                     "and agency hours and earnings."), protect_password=password),
        Sheet(IMPORTS_SHEET, "Actuals imports: lineage of every month",
              (Block(IMPORTS_BLOCK, IMPORT_COLUMNS, actuals.imports),),
              notes=("Each file imported, with its SHA-256: the fingerprint the dashboard and the "
                     "Power BI export show as lineage.",), protect_password=password),
        Sheet(ISSUES_SHEET, "Actuals issues: extract rows reported, not imported",
              (Block(ISSUES_BLOCK, ISSUE_COLUMNS, actuals.issues),),
              notes=(f"{len(actuals.issues)} issues. Rows with an unknown cost center, job code "
                     "or account, another period, a value that is not a number or a duplicate "
                     "key are left out of Actuals; correct the extract and re-import the month.",)),
    ]  # fmt: skip

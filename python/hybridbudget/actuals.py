"""Monthly actuals: one month's EHR, payroll and GL extracts mapped exactly as the history is
(history.py), checked, and kept in the control workbook one month at a time.

Sheets: Actuals (cost center x month: UOS and every line item, revenue positive), Actuals Staffing
(cost center x month x job class: hours and earnings by earnings type), Actuals Imports (each file
imported: month, SHA-256, rows) and Actuals Issues (each row that was reported, not imported).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .control import layout as L
from .control.book import ControlBook
from .errors import HybridBudgetError
from .findings import Finding, Severity, findings_frame
from .history import (
    STAFFING_COLUMNS,
    gl_rows,
    monthly_table,
    payroll_rows,
    staffing_table,
    volumes_from_ehr,
)
from .intake.files import Candidate
from .model.line_items import JOB_CLASSES, LINE_ITEM_CODES, periods, salary_line
from .sources import EXTRACTS, Reference, load_extract
from .workbook.read import read_block
from .workbook.spec import Block, Column, Sheet

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
EXTRACT_KINDS: tuple[str, ...] = tuple(EXTRACTS)
SUFFIXES = (".csv", ".xlsx")
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
GL_TIE_TOLERANCE = 0.005


def check_month(month: str, year: int) -> str:
    """A `YYYY-MM` month of the budget year, or a plain error."""
    month = str(month).strip()
    if not MONTH_PATTERN.match(month):
        raise HybridBudgetError(f"month {month!r}: write it as YYYY-MM (e.g. {year}-01)")
    if month not in periods(year):
        raise HybridBudgetError(f"month {month}: not a month of the budget year {year}")
    return month


def month_files(folder: Path, month: str) -> dict[str, Path]:
    """The month's three extracts in `folder`: `ehr_volumes_YYYY-MM`, `payroll_YYYY-MM` and
    `gl_actuals_YYYY-MM`, each as .csv or .xlsx (one of the two)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridBudgetError(f"{folder}: actuals folder not found")
    out: dict[str, Path] = {}
    for kind, (stem, _) in EXTRACTS.items():
        found = [folder / f"{stem}_{month}{s}" for s in SUFFIXES]
        found = [p for p in found if p.is_file()]
        if not found:
            raise HybridBudgetError(
                f"{folder}: no {kind} extract for {month} (expected {stem}_{month}.csv or .xlsx)"
            )
        if len(found) > 1:
            raise HybridBudgetError(
                f"{folder}: both {found[0].name} and {found[1].name}: keep one of the two"
            )
        out[kind] = found[0]
    return out


@dataclass(frozen=True)
class MonthImport:
    """One month mapped: what will be stored, the files it came from, what was reported."""

    month: str
    monthly: pd.DataFrame  # ACTUALS_COLUMNS keys, one row per cost center
    staffing: pd.DataFrame  # STAFF_COLUMNS keys, one row per cost center and job class
    files: pd.DataFrame  # IMPORT_COLUMNS keys, one row per extract
    findings: list[Finding]


def _tie_out(monthly: pd.DataFrame, staffing: pd.DataFrame, month: str) -> list[Finding]:
    """Payroll earnings against the GL salary and agency accounts, per cost center and job class."""
    gl = monthly.set_index("cost_center")
    pay = staffing.set_index(["cost_center", "job_class"])
    earned = pay[["REG_AMOUNT", "OT_AMOUNT", "PTO_AMOUNT"]].sum(axis=1)
    out = []
    for cc in gl.index:
        pairs = [(f"salaries {j}", earned.get((cc, j), 0.0), gl.at[cc, salary_line(j)])
                 for j in JOB_CLASSES]  # fmt: skip
        agency = pay.loc[cc, "AGY_AMOUNT"].sum() if cc in pay.index else 0.0
        pairs.append(("agency", agency, gl.at[cc, "AGY"]))
        for what, payroll, ledger in pairs:
            if abs(payroll - ledger) > GL_TIE_TOLERANCE:
                out.append(Finding(
                    code="ACTUALS_PAYROLL_GL", severity=Severity.WARNING, cost_center=cc,
                    message=f"{cc} {month}: payroll {what} {payroll:,.2f} differ from the GL "
                    f"{ledger:,.2f} (the GL amount is used)", value=f"{payroll:.2f}",
                    expected=f"{ledger:.2f}"))  # fmt: skip
    return out


def map_month(ref: Reference, month: str, paths: Mapping[str, Path], user: str = "") -> MonthImport:
    """Read and map one month's extracts; rows that cannot be mapped (unknown cost center, job
    code or account, another period, not a number, duplicate) are reported and left out."""
    year = ref.config.fiscal_year
    findings: list[Finding] = []
    extracts = {kind: load_extract(kind, Path(paths[kind])) for kind in EXTRACT_KINDS}
    mappers = {"ehr": volumes_from_ehr, "payroll": payroll_rows, "gl": gl_rows}
    mapped: dict[str, pd.DataFrame] = {}
    files = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    for kind, extract in extracts.items():
        before = len(findings)
        mapped[kind] = mappers[kind](
            extract, ref, year, findings, months=[month], keep_duplicates=False
        )
        path = Path(paths[kind])
        files.append({"month": month, "kind": kind, "file": str(path),
                      "sha256": Candidate(path, path.name).sha256(), "rows": len(extract.frame),
                      "imported": len(mapped[kind]), "reported": len(findings) - before,
                      "when": now, "user": user})  # fmt: skip
    codes = [c.cost_center_code for c in ref.organization.cost_centers]
    monthly = monthly_table(mapped["ehr"], mapped["gl"], codes, [month])
    staffing = staffing_table(mapped["payroll"], codes)
    staffing.insert(1, "period", month)
    seen = set(mapped["ehr"]["cost_center"])
    findings += [
        Finding(
            code="ACTUALS_NO_VOLUME",
            severity=Severity.WARNING,
            cost_center=cc,
            file=str(paths["ehr"]),
            message=f"{cc} has no volume for {month}: its variable budget flexes to zero",
        )
        for cc in codes
        if cc not in seen
    ]
    findings += _tie_out(monthly, staffing, month)
    return MonthImport(month, monthly, staffing, pd.DataFrame(files), findings)


@dataclass(frozen=True)
class Actuals:
    """Every imported month as the control workbook holds it."""

    monthly: pd.DataFrame  # cost_center, period, UOS, line items
    staffing: pd.DataFrame  # cost_center, period, job_class, STAFFING_COLUMNS
    imports: pd.DataFrame  # IMPORT_COLUMNS keys
    issues: pd.DataFrame  # ISSUE_COLUMNS keys

    @property
    def months(self) -> list[str]:
        return sorted(set(self.imports["month"])) if len(self.imports) else []

    def replace_month(self, new: MonthImport) -> Actuals:
        """These actuals with `new.month` replaced (or added); other months untouched."""
        issues = findings_frame(new.findings).assign(month=new.month)
        parts = {
            "monthly": (self.monthly, new.monthly, "period"),
            "staffing": (self.staffing, new.staffing, "period"),
            "imports": (self.imports, new.files, "month"),
            "issues": (self.issues, issues, "month"),
        }
        out = {}
        for name, (old, add, key) in parts.items():
            kept = old[old[key] != new.month] if len(old) else old.iloc[0:0]
            frames = [f for f in (kept, add) if len(f)]
            both = pd.concat(frames, ignore_index=True) if frames else add
            out[name] = both.sort_values(key, kind="stable").reset_index(drop=True)
        return Actuals(**out)


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

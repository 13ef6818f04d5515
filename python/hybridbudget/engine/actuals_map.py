"""Monthly actuals: one month's EHR, payroll and GL extracts mapped exactly as the history is
(engine/history.py), tied out payroll to GL, and merged into the months already imported.

The sheets that hold them are in control/actuals_sheets.py; reading the files is the step's job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..errors import HybridBudgetError
from ..findings import Finding, Severity, findings_frame
from ..model.line_items import JOB_CLASSES, periods, salary_line
from ..model.reference import EXTRACTS, Extract, Reference
from .history import gl_rows, monthly_table, payroll_rows, staffing_table, volumes_from_ehr

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


@dataclass(frozen=True)
class MonthImport:
    """One month mapped: what will be stored, the files it came from, what was reported."""

    month: str
    monthly: pd.DataFrame  # control/actuals_sheets.ACTUALS_COLUMNS keys, one row per cost center
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


def map_month(
    ref: Reference,
    month: str,
    extracts: Mapping[str, Extract],
    sha256: Mapping[str, str],
    user: str = "",
) -> MonthImport:
    """Map one month's extracts (read by the caller, with each file's SHA-256); rows that cannot be mapped (unknown cost center, job
    code or account, another period, not a number, duplicate) are reported and left out."""
    year = ref.config.fiscal_year
    findings: list[Finding] = []
    mappers = {"ehr": volumes_from_ehr, "payroll": payroll_rows, "gl": gl_rows}
    mapped: dict[str, pd.DataFrame] = {}
    files = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    for kind in EXTRACTS:
        extract = extracts[kind]
        before = len(findings)
        mapped[kind] = mappers[kind](
            extract, ref, year, findings, months=[month], keep_duplicates=False
        )
        path = extract.path
        files.append({"month": month, "kind": kind, "file": str(path),
                      "sha256": sha256[kind], "rows": len(extract.frame),
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
            file=str(extracts["ehr"].path),
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

"""The Power BI export: tidy star-schema tables (CSV and Parquet) and a README of the model.

Facts are long tables at the grain cost center x line item x month (amounts in dollars, revenue
positive); dimensions carry the hierarchy and the labels. Text cells that a spreadsheet would read
as a formula get a leading apostrophe in the CSV files only (safe_text.csv_safe); Parquet keeps
the values as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .errors import HybridBudgetError
from .fileio import atomic_save, atomic_write_text, ensure_writable
from .model.line_items import MONTHS
from .safe_text import csv_safe

RELATIONSHIPS: tuple[tuple[str, str, str], ...] = (
    # fact or dimension column -> dimension key (many to one, single direction)
    ("fact_target, fact_submission, fact_plan, fact_actual, fact_variance, fact_volume, "
     "fact_staffing, actions", "cost_center", "dim_cost_center.cost_center"),
    ("fact_target, fact_submission, fact_plan, fact_actual, fact_variance, actions, dim_account",
     "line_item", "dim_line_item.line_item"),
    ("fact_target, fact_submission, fact_plan, fact_actual, fact_variance, fact_volume, "
     "fact_staffing", "month", "dim_month.month"),
    ("fact_staffing", "job_class", "dim_job_class.job_class"),
)  # fmt: skip
DESCRIPTIONS: dict[str, str] = {
    "dim_cost_center": "cost center -> service line -> entity (the hierarchy), type, unit of "
    "service, manager, and which drivers its plan was phased with",
    "dim_line_item": "the budget line items: name, kind (revenue, labor, nonlabor), behaviour in "
    "the flexible budget (variable, fixed, follows salaries)",
    "dim_account": "GL accounts mapped to line items (the Account Map)",
    "dim_month": "the budget year's months; actuals_imported marks months with actuals",
    "dim_job_class": "job classes (RN, LPN, CNA, TECH, CLER, MGMT) and their staffing bands",
    "fact_target": "top-down targets by month (Targets sheet)",
    "fact_submission": "the accepted bottom-up submissions, recomputed from their drivers, by "
    "month, with the file and SHA-256 they came from",
    "fact_plan": "the newest locked plan by month (plan_version, source of each line)",
    "fact_actual": "GL actuals by month (Actuals sheet, revenue positive)",
    "fact_variance": "for each imported month: plan, flexible budget, actual and the variance "
    "split (volume + efficiency + rate + spending = actual - plan)",
    "fact_volume": "units of service by month and scenario (target, submission, plan, actual)",
    "fact_staffing": "actual payroll hours and earnings by month and job class",
    "actions": "the Actions sheet: variance triggers, owner, level, due date, status",
}


def month_dimension(year: int, imported: list[str]) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(MONTHS, 1):
        key = f"{year}-{i:02d}"
        rows.append({"month": key, "month_start": dt.date(year, i, 1), "year": year,
                     "month_number": i, "month_name": name, "quarter": f"Q{(i - 1) // 3 + 1}",
                     "actuals_imported": key in imported})  # fmt: skip
    return pd.DataFrame(rows)


def long_months(wide: pd.DataFrame, keys: list[str], year: int, value: str = "amount"):
    """m01..m12 columns -> one row per month (`month` as YYYY-MM)."""
    cols = [f"m{i:02d}" for i in range(1, 13)]
    out = wide.melt(keys, cols, "month", value)
    out["month"] = f"{year}-" + out["month"].str[1:]
    return out.sort_values([*keys, "month"], kind="stable").reset_index(drop=True)


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_safe)
    return out


def readme(
    tables: Mapping[str, pd.DataFrame], lineage: list[str], totals: Mapping[str, str]
) -> str:
    lines = [
        "# Power BI export (hybridbudget)",
        "",
        "A star schema: load every `.parquet` (or `.csv`) file of this folder as a table and",
        "create the relationships below (many to one, single direction, dimension filters fact).",
        "",
        "## Lineage",
        "",
        *(f"- {line}" for line in lineage),
        "",
        "## Tables",
        "",
        "| table | rows | what it holds | columns |",
        "|---|---|---|---|",
        *(
            f"| `{name}` | {len(t):,} | {DESCRIPTIONS[name]} | {', '.join(t.columns)} |"
            for name, t in tables.items()
        ),
        "",
        "## Relationships",
        "",
        "| from (many) | column | to (one) |",
        "|---|---|---|",
        *(f"| {src} | `{col}` | `{dst}` |" for src, col, dst in RELATIONSHIPS),
        "",
        "Mark `dim_month` as the date table on `month_start`. Amounts are dollars rounded to the",
        "cent; revenue is positive, every other line item is a cost.",
        "",
        "## Measures to start with (DAX)",
        "",
        "```",
        "Plan = SUM(fact_plan[amount])",
        "Actual = SUM(fact_actual[amount])",
        "Flexible budget = SUM(fact_variance[flexible])",
        "Variance = [Actual] - [Plan]",
        'Operating margin % = DIVIDE(CALCULATE([Actual], dim_line_item[line_item] = "REV") -',
        '    CALCULATE([Actual], dim_line_item[line_item] <> "REV"),',
        '    CALCULATE([Actual], dim_line_item[line_item] = "REV"))',
        "```",
        "",
        "## Control totals (check the load against these)",
        "",
        "| table | total |",
        "|---|---|",
        *(f"| `{name}` | {value} |" for name, value in totals.items()),
        "",
        "CSV files are UTF-8 with a header row; text that starts with =, +, -, @ carries a",
        "leading apostrophe there (formula injection guard); Parquet holds the values unchanged.",
    ]
    return "\n".join(lines) + "\n"


def write_tables(out: Path, tables: Mapping[str, pd.DataFrame], text: str) -> list[Path]:
    """Each table as .csv and .parquet, and README.md, in `out` (each file written atomically)."""
    if out.exists() and not out.is_dir():
        raise HybridBudgetError(f"{out}: is a file, not a folder; name a folder for the tables")
    ensure_writable(out / "README.md")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        csv_path, pq_path = out / f"{name}.csv", out / f"{name}.parquet"
        safe = _csv_ready(frame)
        atomic_save(csv_path, lambda tmp, f=safe: f.to_csv(tmp, index=False, encoding="utf-8"))
        atomic_save(pq_path, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        written += [csv_path, pq_path]
    atomic_write_text(out / "README.md", text)
    return [*written, out / "README.md"]

"""The Power BI star schema: tidy tables as DataFrames and the README text of the model.

Facts are long tables at the grain cost center x line item x month (amounts in dollars, revenue
positive); dimensions carry the hierarchy and the labels. Text cells that a spreadsheet would read
as a formula get a leading apostrophe in the CSV files only (safe_text.csv_safe); Parquet keeps
the values as they are. steps/export.py writes the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from ..model.line_items import MONTHS
from .variance_split import CORE_ITEMS, SALARY_LINES

RELATIONSHIPS: tuple[tuple[str, str, str], ...] = (
    # fact or dimension column -> dimension key (many to one, single direction)
    ("fact_target, fact_submission, fact_plan, fact_actual, fact_variance, fact_volume, "
     "fact_staffing, fact_staffing_plan, fact_capital, actions", "cost_center",
     "dim_cost_center.cost_center"),
    ("fact_target, fact_submission, fact_plan, fact_actual, fact_variance, actions, dim_account",
     "line_item", "dim_line_item.line_item"),
    ("fact_target, fact_submission, fact_plan, fact_actual, fact_variance, fact_volume, "
     "fact_staffing, fact_staffing_plan", "month", "dim_month.month"),
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
    "fact_staffing_plan": "per cost center and imported month: worked and overtime hours, paid "
    "FTEs and agency FTEs, plan and actual (the Variance Summary staffing block)",
    "fact_capital": "every capital request on the Capital Requests sheet: rank, category, "
    "weight, priority, score, amount, cumulative amount against the envelope, within the "
    "envelope, the workshop's decision and note, useful life, in-service month, and the budget "
    "year's depreciation of an approved request (line DEP of fact_plan)",
    "actions": "the Actions sheet: variance triggers, owner, level, due date, status",
    "dashboard_tiles": "the dashboard's Executive tiles for every imported month and scope: plan, "
    "actual, variance fav/(unfav), gap, thresholds and status (check the measures against it)",
}


def core_item(line_item: str) -> str:
    """The forecast-accuracy core line a line item belongs to ('' when none)."""
    if line_item in SALARY_LINES:
        return "SAL"
    return line_item if line_item in dict(CORE_ITEMS) else ""


TILE_MEASURES = """\
Put dim_month[month] on a slicer (one month). Month measures use the slicer; the year to date
wraps each one in CALCULATE(..., DATESYTD(dim_month[month_start])). Every tile of the Executive
view is one of these (the dashboard_tiles table holds the values the dashboard shows):

```
Plan = SUM(fact_variance[plan])
Actual = SUM(fact_variance[actual])
Revenue plan = CALCULATE([Plan], dim_line_item[kind] = "revenue")
Revenue actual = CALCULATE([Actual], dim_line_item[kind] = "revenue")

-- Operating margin $ and %  (tile margin, margin_pct)
Margin plan = [Revenue plan] - CALCULATE([Plan], dim_line_item[kind] <> "revenue")
Margin actual = [Revenue actual] - CALCULATE([Actual], dim_line_item[kind] <> "revenue")
Margin fav/(unfav) = [Margin actual] - [Margin plan]
Margin % plan = DIVIDE([Margin plan], [Revenue plan])
Margin % actual = DIVIDE([Margin actual], [Revenue actual])
Margin actual YTD = CALCULATE([Margin actual], DATESYTD(dim_month[month_start]))

-- Volume (UOS), % of plan  (tile volume): actual / planned UOS by cost center, weighted by
-- planned expense, over cost centers with planned volume
Volume % of plan =
VAR cc = ADDCOLUMNS(VALUES(dim_cost_center[cost_center]),
    "@plan", CALCULATE(SUM(fact_volume[uos]), fact_volume[scenario] = "plan"),
    "@actual", CALCULATE(SUM(fact_volume[uos]), fact_volume[scenario] = "actual"),
    "@weight", CALCULATE([Plan], dim_line_item[kind] <> "revenue"))
VAR v = FILTER(cc, [@plan] > 0)
RETURN DIVIDE(SUMX(v, DIVIDE([@actual], [@plan]) * [@weight]), SUMX(v, [@weight]))

-- Adjusted patient days  (tile adjpd): inpatient days x net patient revenue / net revenue of
-- the inpatient-day units (cost_center_type "inpatient", uos "patient days"); plan alike
Inpatient days actual = CALCULATE(SUM(fact_volume[uos]), fact_volume[scenario] = "actual",
    dim_cost_center[cost_center_type] = "inpatient", dim_cost_center[uos] = "patient days")
APD actual = [Inpatient days actual] * DIVIDE([Revenue actual],
    CALCULATE([Revenue actual], dim_cost_center[cost_center_type] = "inpatient",
              dim_cost_center[uos] = "patient days"))

-- Paid FTEs, overtime, agency  (tiles fte, overtime, agency); YTD FTEs: monthly average
Paid FTEs actual = DIVIDE(SUM(fact_staffing_plan[fte_actual]),
                          DISTINCTCOUNT(fact_staffing_plan[month]))
Paid FTEs plan = DIVIDE(SUM(fact_staffing_plan[fte_plan]),
                        DISTINCTCOUNT(fact_staffing_plan[month]))
Overtime % actual = DIVIDE(SUM(fact_staffing_plan[ot_hours_actual]),
                           SUM(fact_staffing_plan[worked_hours_actual]))
Overtime % plan = DIVIDE(SUM(fact_staffing_plan[ot_hours_plan]),
                         SUM(fact_staffing_plan[worked_hours_plan]))
Agency actual = CALCULATE([Actual], dim_line_item[line_item] = "AGY")

-- Forecast accuracy  (tile accuracy): core lines (per cost center: dim_line_item[core_item])
-- whose plan is within 3% of actual
Core lines =
VAR t = FILTER(ADDCOLUMNS(
        SUMMARIZE(fact_variance, dim_cost_center[cost_center], dim_line_item[core_item]),
        "@plan", [Plan], "@actual", [Actual]),
    dim_line_item[core_item] <> "" && ([@plan] <> 0 || [@actual] <> 0))
RETURN COUNTROWS(t)
Core lines within 3% =
VAR t = FILTER(ADDCOLUMNS(
        SUMMARIZE(fact_variance, dim_cost_center[cost_center], dim_line_item[core_item]),
        "@plan", [Plan], "@actual", [Actual]),
    dim_line_item[core_item] <> "" && ([@plan] <> 0 || [@actual] <> 0))
RETURN COUNTROWS(FILTER(t, ABS([@actual] - [@plan]) <= 0.03 * ABS([@actual])))
Forecast accuracy = DIVIDE([Core lines within 3%], [Core lines])
```

Variance fav/(unfav): revenue, margin and volume actual - plan; costs, FTEs and
overtime plan - actual. Status: Red when the gap (the unfavourable deviation in the unit the
Thresholds sheet names) reaches red_from, Amber from amber_from, else Green.
"""


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
        "## Rebuild each dashboard tile",
        "",
        TILE_MEASURES,
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

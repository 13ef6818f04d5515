"""Prior-year history built from the raw extracts; every row that cannot be mapped is reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..findings import Finding
from ..model.line_items import EARN_TYPES, JOB_CLASSES, LINE_ITEM_CODES, periods
from ..model.reference import Extract, Reference, Sources, unmapped

STAFFING_COLUMNS: tuple[str, ...] = tuple(
    f"{e}_{m}" for m in ("HOURS", "AMOUNT") for e in EARN_TYPES
)


@dataclass(frozen=True)
class History:
    """Prior-year actuals.

    monthly: one row per cost center and period: UOS and every line item (revenue positive).
    staffing: one row per cost center and job class: hours and earnings by earnings type.
    """

    year: int
    monthly: pd.DataFrame
    staffing: pd.DataFrame


def _reject(
    extract: Extract,
    frame: pd.DataFrame,
    bad: pd.Series,
    column: str,
    message: str,
    findings: list[Finding],
) -> pd.DataFrame:
    """Report the rows where `bad` holds (message may use {value}) and drop them."""
    for line, value in frame.loc[bad, column].items():
        text = message.format(value=value)
        findings.append(unmapped(extract.kind, extract.path, int(line) + 2, column, text, value))
    return frame.loc[~bad]


def _numeric(
    extract: Extract, frame: pd.DataFrame, column: str, findings: list[Finding]
) -> pd.DataFrame:
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
    frame = _reject(
        extract, frame, values.isna(), column, f"{column} {{value!r}} is not a number", findings
    )
    return frame.assign(**{column: values[frame.index].astype(float)})


def _common(
    extract: Extract,
    cc_col: str,
    reference: Reference,
    year: int,
    findings: list[Finding],
    months: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Drop (and report) rows of another period or an unknown cost center.

    `months` narrows the valid periods (a monthly actuals import); default: the whole year.
    """
    frame = extract.frame
    if months is None:
        valid_periods, why = set(periods(year)), f"is outside fiscal year {year}"
    else:
        valid_periods, why = set(months), f"is not the month imported ({', '.join(months)})"
    frame = _reject(
        extract,
        frame,
        ~frame["PERIOD"].isin(valid_periods),
        "PERIOD",
        f"period {{value!r}} {why}",
        findings,
    )
    known = set(reference.organization.cost_center_by_code)
    return _reject(
        extract,
        frame,
        ~frame[cc_col].isin(known),
        cc_col,
        "unknown cost center {value!r}",
        findings,
    )


def _duplicates(
    extract: Extract,
    frame: pd.DataFrame,
    keys: list[str],
    findings: list[Finding],
    keep: bool = True,
) -> pd.DataFrame:
    """Report repeated rows; `keep` leaves them in the totals (history), else only the first
    row of each key is kept (monthly actuals: never silently merged)."""
    dup = frame.duplicated(keys, keep="first")
    what = "included in the totals" if keep else "left out (the first row is imported)"
    for line, row in frame.loc[dup, keys].iterrows():
        key = " / ".join(str(v) for v in row)
        findings.append(
            unmapped(
                extract.kind,
                extract.path,
                int(line) + 2,
                keys[-1],
                f"duplicate row for {key}: {what}; check the extract",
                key,
            )
        )
    return frame if keep else frame.loc[~dup]


def volumes_from_ehr(
    extract: Extract,
    reference: Reference,
    year: int,
    findings: list[Finding],
    months: Sequence[str] | None = None,
    keep_duplicates: bool = True,
) -> pd.DataFrame:
    frame = _common(extract, "DEPT_ID", reference, year, findings, months)
    stat_of = {c.cost_center_code: c.stat_code for c in reference.organization.cost_centers}
    expected = frame["DEPT_ID"].map(stat_of)
    frame = _reject(
        extract,
        frame,
        frame["STAT_CODE"] != expected,
        "STAT_CODE",
        "statistic {value!r} is not the cost center's unit of service",
        findings,
    )
    frame = _numeric(extract, frame, "VOLUME", findings)
    keys = ["DEPT_ID", "PERIOD", "STAT_CODE"]
    frame = _duplicates(extract, frame, keys, findings, keep_duplicates)
    return frame.rename(columns={"DEPT_ID": "cost_center", "PERIOD": "period", "VOLUME": "UOS"})[
        ["cost_center", "period", "UOS"]
    ]


def payroll_rows(
    extract: Extract,
    reference: Reference,
    year: int,
    findings: list[Finding],
    months: Sequence[str] | None = None,
    keep_duplicates: bool = True,
) -> pd.DataFrame:
    """Payroll rows mapped to job classes: cost_center, period, job_class, EARN_TYPE, HOURS, AMOUNT."""
    frame = _common(extract, "COST_CENTER", reference, year, findings, months)
    class_of = {j.job_code: j.job_class for j in reference.job_codes}
    frame = _reject(
        extract,
        frame,
        ~frame["JOB_CODE"].isin(class_of),
        "JOB_CODE",
        "unknown job code {value!r}",
        findings,
    )
    frame = _reject(
        extract,
        frame,
        ~frame["EARN_TYPE"].isin(EARN_TYPES),
        "EARN_TYPE",
        f"earnings type {{value!r}} is not one of {', '.join(EARN_TYPES)}",
        findings,
    )
    frame = _numeric(extract, frame, "HOURS", findings)
    frame = _numeric(extract, frame, "AMOUNT", findings)
    keys = ["PERIOD", "COST_CENTER", "JOB_CODE", "EARN_TYPE"]
    frame = _duplicates(extract, frame, keys, findings, keep_duplicates)
    return frame.assign(job_class=frame["JOB_CODE"].map(class_of)).rename(
        columns={"COST_CENTER": "cost_center", "PERIOD": "period"}
    )


def gl_rows(
    extract: Extract,
    reference: Reference,
    year: int,
    findings: list[Finding],
    months: Sequence[str] | None = None,
    keep_duplicates: bool = True,
) -> pd.DataFrame:
    """GL rows mapped to line items, revenue made positive: cost_center, period, line_item, amount."""
    frame = _common(extract, "COST_CENTER", reference, year, findings, months)
    line_of = {a.account: a.line_item for a in reference.accounts}
    frame = _reject(
        extract,
        frame,
        ~frame["ACCOUNT"].str.strip().isin(line_of),
        "ACCOUNT",
        "account {value!r} is not in the account map",
        findings,
    )
    frame = _numeric(extract, frame, "AMOUNT", findings)
    keys = ["PERIOD", "COST_CENTER", "ACCOUNT"]
    frame = _duplicates(extract, frame, keys, findings, keep_duplicates)
    line_item = frame["ACCOUNT"].str.strip().map(line_of)
    sign = np.where(line_item == "REV", -1.0, 1.0)  # GL revenue is a credit
    return pd.DataFrame(
        {
            "cost_center": frame["COST_CENTER"],
            "period": frame["PERIOD"],
            "line_item": line_item,
            "amount": frame["AMOUNT"] * sign,
        }
    )


def _cents_sum(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Group sums in integer cents, back to dollars: exact to the cent."""
    as_cents = np.rint(frame[column].to_numpy(dtype=float) * 100).astype(np.int64)
    return frame.assign(_c=as_cents).groupby(keys)["_c"].sum() / 100


def monthly_table(
    vols: pd.DataFrame, gl: pd.DataFrame, codes: Sequence[str], months: Sequence[str]
) -> pd.DataFrame:
    """cost_center, period, UOS and every line item: one row per cost center and month."""
    grid = pd.MultiIndex.from_product([list(codes), list(months)], names=["cost_center", "period"])
    uos = vols.groupby(["cost_center", "period"])["UOS"].sum().reindex(grid, fill_value=0.0)
    dollars = (
        _cents_sum(gl, ["cost_center", "period", "line_item"], "amount")
        .unstack("line_item")
        .reindex(index=grid, columns=list(LINE_ITEM_CODES))
        .fillna(0.0)
    )
    return pd.concat([uos.rename("UOS"), dollars], axis=1).reset_index()


def staffing_table(pay: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """cost_center, job_class and STAFFING_COLUMNS (hours and earnings by earnings type)."""
    staff_grid = pd.MultiIndex.from_product(
        [list(codes), JOB_CLASSES], names=["cost_center", "job_class"]
    )
    hours = pay.groupby(["cost_center", "job_class", "EARN_TYPE"])["HOURS"].sum()
    hours = (hours * 100).round() / 100
    amounts = _cents_sum(pay, ["cost_center", "job_class", "EARN_TYPE"], "AMOUNT")
    staffing = pd.concat(
        [
            hours.unstack("EARN_TYPE").add_suffix("_HOURS"),
            amounts.unstack("EARN_TYPE").add_suffix("_AMOUNT"),
        ],
        axis=1,
    )
    staffing = staffing.reindex(index=staff_grid, columns=list(STAFFING_COLUMNS)).fillna(0.0)
    return staffing.reset_index()


def build_history(sources: Sources) -> tuple[History, list[Finding]]:
    """History from the extracts, plus one finding per row that could not be mapped."""
    ref = sources.reference
    year = ref.config.history_year
    findings: list[Finding] = []
    vols = volumes_from_ehr(sources.extracts["ehr"], ref, year, findings)
    pay = payroll_rows(sources.extracts["payroll"], ref, year, findings)
    gl = gl_rows(sources.extracts["gl"], ref, year, findings)
    codes = [c.cost_center_code for c in ref.organization.cost_centers]
    monthly = monthly_table(vols, gl, codes, periods(year))
    return History(year=year, monthly=monthly, staffing=staffing_table(pay, codes)), findings

"""Step 4c: the Power BI export (star schema as CSV and Parquet, with a README)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..control.actions_sheet import read_actions
from ..control.actuals_sheets import STAFF_COLUMNS
from ..control.book import ControlBook, open_control
from ..engine.dashboard_figures import month_tiles, tile_table
from ..engine.money import sum_cents
from ..engine.rollup import MONEY_KEYS, hierarchy, monthly_lines
from ..engine.star_schema import core_item, long_months, month_dimension, readme
from ..engine.variance_split import AMOUNTS, BEHAVIOUR, staffing_view, variance_detail
from ..errors import HybridBudgetError
from ..model.line_items import DEPRECIATION, FIXED_JOB_CLASSES, LINE_ITEMS, periods
from ..progress import Progress, silent
from ..workbook.dashboard_book import read_thresholds
from ..workbook.fileio import atomic_save, atomic_write_text, ensure_writable
from ..workbook.safe_text import csv_safe
from .capital_requests import capital_frame, capital_summary, summary_text
from .dashboard import sources
from .variance import MonitorInputs, compute_variance, monitor_inputs

AMOUNT_FACTS = ("fact_target", "fact_submission", "fact_plan", "fact_actual")


@dataclass(frozen=True)
class ExportResult:
    out: Path
    tables: dict[str, pd.DataFrame]
    files: list[Path]


def _dimensions(inputs: MonitorInputs) -> dict[str, pd.DataFrame]:
    ref = inputs.ref
    h = hierarchy(ref)
    cc = pd.DataFrame([c.model_dump(mode="json") for c in ref.organization.cost_centers])
    dim_cc = h.merge(
        cc[["cost_center_code", "cost_center_type", "uos", "owner_name"]].rename(
            columns={"cost_center_code": "cost_center", "owner_name": "manager"}),
        on="cost_center")  # fmt: skip
    dim_cc["plan_volume_basis"] = dim_cc.cost_center.map(inputs.basis_source)
    return {
        "dim_cost_center": dim_cc,
        "dim_line_item": pd.DataFrame([{"line_item": li.code, "line_item_name": li.name,
                                        "kind": li.kind, "behaviour": BEHAVIOUR[li.code],
                                        "inflation": li.inflation,
                                        "core_item": core_item(li.code)}
                                       for li in (*LINE_ITEMS, DEPRECIATION)]),
        "dim_account": pd.DataFrame([a.model_dump(mode="json") for a in ref.accounts]),
        "dim_month": month_dimension(inputs.year, inputs.actuals.months),
        "dim_job_class": pd.DataFrame([j.model_dump(mode="json") | {
            "fixed": j.job_class in FIXED_JOB_CLASSES} for j in ref.job_classes]),
    }  # fmt: skip


def _facts(inputs: MonitorInputs) -> dict[str, pd.DataFrame]:
    year, a = inputs.year, inputs.actuals
    keys = ["cost_center", "line_item"]
    target = monthly_lines({c: t.figures for c, t in inputs.targets.by_cost_center.items()})
    bus = inputs.bottom_up
    sub = monthly_lines({c: b.figures for c, b in bus.items()})
    lineage = pd.DataFrame([{"cost_center": c, "file": b.file, "sha256": b.sha256}
                            for c, b in bus.items()], columns=["cost_center", "file", "sha256"])  # fmt: skip
    plan = inputs.plan.assign(plan_version=inputs.version)
    actual = a.monthly.melt(["cost_center", "period"], [li.code for li in LINE_ITEMS],
                            "line_item", "amount").rename(columns={"period": "month"})  # fmt: skip
    columns = ["cost_center", "line_item", "period", *AMOUNTS]
    # before the first actuals import there is no variance yet: the table is exported empty
    detail = (variance_detail(inputs.plan, inputs.basis, a.monthly, a.staffing, a.months)
              if a.months else pd.DataFrame({c: pd.Series(dtype=float) for c in columns}))  # fmt: skip
    variance = detail[columns].rename(columns={"period": "month", "flex": "flexible"})
    for col in ("plan", "flexible", "actual", "volume", "efficiency", "rate", "spending"):
        variance[col] = variance[col] / 100
    volume = pd.concat([
        long_months(_volumes(inputs, "target"), ["cost_center"], year, "uos").assign(scenario="target"),
        long_months(_volumes(inputs, "submission"), ["cost_center"], year, "uos").assign(
            scenario="submission"),
        long_months(_volumes(inputs, "plan"), ["cost_center"], year, "uos").assign(scenario="plan"),
        a.monthly[["cost_center", "period", "UOS"]].rename(
            columns={"period": "month", "UOS": "uos"}).assign(scenario="actual"),
    ], ignore_index=True)  # fmt: skip
    kpi = (pd.concat([staffing_view(inputs.basis, a.staffing, a.monthly, [m]).assign(month=m)
                      for m in a.months], ignore_index=True) if a.months
           else pd.DataFrame(columns=["cost_center", "month", *STAFFING_KPI]))  # fmt: skip
    staffing = a.staffing[[c.key for c in STAFF_COLUMNS]].rename(columns={"period": "month"})
    staffing.columns = [c.lower() for c in staffing.columns]
    return {
        "fact_target": long_months(target.drop(columns="annual"), keys, year),
        "fact_submission": long_months(sub.drop(columns="annual"), keys, year).merge(
            lineage, on="cost_center", how="left"),
        "fact_plan": long_months(plan[[*keys, "source", "plan_version", *MONEY_KEYS[1:]]],
                                 [*keys, "source", "plan_version"], year),
        "fact_actual": actual.sort_values([*keys, "month"]).reset_index(drop=True),
        "fact_variance": variance,
        "fact_volume": volume[["cost_center", "month", "scenario", "uos"]],
        "fact_staffing": staffing,
        "fact_staffing_plan": kpi[["cost_center", "month", *STAFFING_KPI]],
    }  # fmt: skip


STAFFING_KPI = ("worked_hours_plan", "worked_hours_actual", "ot_hours_plan", "ot_hours_actual",
                "fte_plan", "fte_actual", "agency_fte_plan", "agency_fte_actual")  # fmt: skip


def _tiles(inputs: MonitorInputs, thresholds) -> pd.DataFrame:
    """The Executive tiles of every imported month (the dashboard's figures, one row per tile
    and scope)."""
    months = inputs.actuals.months  # year to date needs every month from January
    complete = [m for m in months if set(periods(inputs.year)[: int(m[5:])]) <= set(months)]
    frames = [tile_table(m, month_tiles(compute_variance(inputs, m)), thresholds or {})
              for m in complete]  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _volumes(inputs: MonitorInputs, scenario: str) -> pd.DataFrame:
    """cost_center, m01..m12 units of service of a scenario."""
    drivers = {
        "target": {c: t.drivers for c, t in inputs.targets.by_cost_center.items()},
        "submission": {c: b.drivers for c, b in inputs.bottom_up.items()},
        "plan": inputs.basis,
    }[scenario]
    return pd.DataFrame([{"cost_center": c} | {f"m{i:02d}": v for i, v in enumerate(d.volume, 1)}
                         for c, d in drivers.items()],
                        columns=["cost_center", *MONEY_KEYS[1:]])  # fmt: skip


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_safe)
    return out


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


def export_powerbi(
    control: Path | ControlBook, out: Path, progress: Progress = silent
) -> ExportResult:
    """Write the star schema for Power BI into `out` (the control workbook is only read)."""
    book = open_control(control)
    progress(f"reading {book.file}")
    inputs = monitor_inputs(book)
    tables = _dimensions(inputs) | _facts(inputs)
    actions = read_actions(book)
    tables["actions"] = actions.assign(due=pd.to_datetime(actions.due).dt.date) if len(actions) \
        else actions  # fmt: skip
    tables["fact_capital"] = capital_frame(book)
    progress("computing the dashboard tiles of every imported month")
    tables["dashboard_tiles"] = _tiles(inputs, read_thresholds(book.folder / "dashboard.xlsx"))
    totals = {name: f"{sum_cents(tables[name].amount):,.2f}" for name in AMOUNT_FACTS}
    src = sources(book, inputs)
    lineage = [
        *(f"{r.source}{' ' + r.month if r.month else ''}: {r.file}, SHA-256 {r.sha256}"
          for r in src.itertuples()),
        *([] if len(inputs.actuals.imports) else ["actuals: none imported"]),
        f"capital: {summary_text(capital_summary(book))}",
        f"exported: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
    ]  # fmt: skip
    progress(f"writing {len(tables)} tables to {out}")
    files = write_tables(Path(out), tables, readme(tables, lineage, totals))
    return ExportResult(Path(out), tables, files)

"""Step 4c: the dashboard workbook (Executive, Controller, Frontline) from the control workbook."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..control.actions_sheet import read_actions
from ..control.book import ControlBook, open_control
from ..engine.dashboard_figures import DashboardData, dashboard_data
from ..errors import HybridBudgetError
from ..progress import Progress, silent
from ..workbook.dashboard_book import read_thresholds, write_dashboard
from .capital_requests import capital_summary
from .variance import MonitorInputs, compute_variance, monitor_inputs

SOURCE_NAMES = {"gl": "GL actuals", "payroll": "payroll", "ehr": "EHR volumes"}


@dataclass(frozen=True)
class DashboardResult:
    path: Path
    month: str
    data: DashboardData


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sources(book: ControlBook, inputs: MonitorInputs) -> pd.DataFrame:
    """Every file and version the figures come from, by file name (never a folder path)."""
    control = Path(book.file)
    rows = [
        {"source": "control workbook", "month": "", "file": control.name,
         "sha256": file_sha256(control) if control.is_file() else "(open in Excel)", "rows": None},
        {"source": f"plan {inputs.sheet}", "month": "", "file": f"{control.name} [{inputs.sheet}]",
         "sha256": inputs.sha256, "rows": len(inputs.plan)},
    ]  # fmt: skip
    for r in inputs.actuals.imports.sort_values(["month", "kind"]).itertuples():
        rows.append({"source": SOURCE_NAMES.get(r.kind, r.kind), "month": r.month,
                     "file": Path(str(r.file).replace("\\", "/")).name, "sha256": str(r.sha256),
                     "rows": r.imported})  # fmt: skip
    return pd.DataFrame(rows)


def lineage(src: pd.DataFrame, months: list[str]) -> list[str]:
    """The lines every view shows: control workbook, plan version, the month's actuals files
    (short hashes; every file in full on the Lineage sheet)."""
    control, plan = src.iloc[0], src.iloc[1]
    actuals = src.iloc[2:]
    month = actuals[actuals.month == months[-1]]
    files = "; ".join(f"{r.file} {r.sha256[:8]}" for r in month.itertuples())
    earlier = actuals.month.isin(months[:-1]).sum()
    rest = f"; {earlier} files of {months[0]}..{months[-2]}" if earlier else ""
    return [
        f"Sources: {control.file} (SHA-256 {control.sha256[:12]}...); {plan.source} (SHA-256 "
        f"{plan.sha256}).",
        f"Actuals files (SHA-256; every file in full on the Lineage sheet): {files}{rest}.",
    ]


def build_dashboard(
    control: Path | ControlBook,
    out: Path | None = None,
    month: str | None = None,
    cost_center: str | None = None,
    progress: Progress = silent,
) -> DashboardResult:
    """Write the dashboard workbook for `month` (default: the newest imported) to `out`
    (default: dashboard.xlsx beside the control workbook); the control workbook is only read.
    Thresholds typed on the Thresholds sheet of an existing `out` are kept."""
    book = open_control(control)
    progress(f"reading {book.file}")
    inputs = monitor_inputs(book)
    month = inputs.pick_month(month)
    codes = list(inputs.basis)
    selected = cost_center or codes[0]
    if selected not in codes:
        raise HybridBudgetError(f"cost center {selected!r} is not in the Organization sheet")
    path = Path(out) if out else book.folder / "dashboard.xlsx"
    progress(f"computing the views for {month}")
    result = compute_variance(inputs, month)
    src = sources(book, inputs)
    data = dashboard_data(result, read_actions(book), lineage(src, result.months),
                          read_thresholds(path), capital_summary(book))  # fmt: skip
    progress(f"writing {path}")
    write_dashboard(path, data, src, selected)
    return DashboardResult(path, month, data)

"""Step 4c: the dashboard workbook (Executive, Controller, Frontline) from the control workbook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..control.actions_sheet import read_actions
from ..control.book import ControlBook, open_control
from ..engine.dashboard_figures import DashboardData, dashboard_data
from ..errors import HybridBudgetError
from ..progress import Progress, silent
from ..workbook.dashboard_book import write_dashboard
from .variance import MonitorInputs, compute_variance, monitor_inputs


@dataclass(frozen=True)
class DashboardResult:
    path: Path
    month: str
    data: DashboardData


def lineage(book: ControlBook, inputs: MonitorInputs) -> list[str]:
    """The sources every view names: control workbook, locked plan, actuals files."""
    imports = inputs.actuals.imports
    files = "; ".join(
        f"{month} " + ", ".join(f"{r.kind} {str(r.sha256)[:8]}" for r in part.itertuples())
        for month, part in imports.groupby("month", sort=True)
    )
    return [
        f"Sources: control workbook {book.file}; plan {inputs.sheet}, SHA-256 {inputs.sha256}.",
        f"Actuals imported (EHR, payroll, GL extracts; SHA-256 of each file, in full on the "
        f"Lineage sheet): {files}.",
    ]


def build_dashboard(
    control: Path | ControlBook,
    out: Path | None = None,
    month: str | None = None,
    cost_center: str | None = None,
    progress: Progress = silent,
) -> DashboardResult:
    """Write the dashboard workbook for `month` (default: the newest imported) to `out`
    (default: dashboard.xlsx beside the control workbook); the control workbook is only read."""
    book = open_control(control)
    progress(f"reading {book.file}")
    inputs = monitor_inputs(book)
    month = inputs.pick_month(month)
    codes = list(inputs.basis)
    selected = cost_center or codes[0]
    if selected not in codes:
        raise HybridBudgetError(f"cost center {selected!r} is not in the Organization sheet")
    progress(f"computing the views for {month}")
    result = compute_variance(inputs, month)
    data = dashboard_data(result, read_actions(book), lineage(book, inputs))
    path = Path(out) if out else book.folder / "dashboard.xlsx"
    progress(f"writing {path}")
    write_dashboard(path, data, inputs.actuals.imports, selected)
    return DashboardResult(path, month, data)

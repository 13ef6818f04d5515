"""Step 1: build the control workbook from a health system's text sources."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..control.audit import audit_sheet, entry
from ..control.file_book import FileControlBook
from ..control.schema import TEMPLATE_PASSWORD_PROPERTY
from ..control.sheets import control_sheets
from ..control.start_here import with_start_here
from ..control.store import backup, control_lock
from ..engine.history import build_history
from ..engine.targets import Targets, build_targets
from ..errors import HybridBudgetError
from ..findings import Finding
from ..progress import Progress, silent
from ..sources.readers import load_sources
from ..workbook.docprops import write_property
from ..workbook.fileio import ensure_writable
from ..workbook.package import replace_sheets
from ..workbook.xlsx import write_workbook


@dataclass(frozen=True)
class InitResult:
    path: Path
    cost_centers: int
    unmapped: list[Finding]
    targets: Targets


def init_control(sources: Path, out: Path, progress: Progress = silent) -> InitResult:
    """Read the sources, build history and targets, write the control workbook."""
    out = Path(out)
    ensure_writable(out)  # before the work: a folder or a read-only file named as --out
    progress(f"reading sources from {sources}")
    src = load_sources(sources)
    progress("building history from the EHR, payroll and GL extracts")
    history, unmapped = build_history(src)
    progress(
        f"computing top-down targets for {len(src.reference.organization.cost_centers)} cost centers"
    )
    targets = build_targets(src.reference, history)
    progress(f"writing {out}")
    with control_lock(out):
        previous = None
        if out.exists():
            backup(out, "init")
            with contextlib.suppress(HybridBudgetError):
                previous = FileControlBook(out)
        note = entry("init", f"control workbook built from {sources}: "
                     f"{len(src.reference.organization.cost_centers)} cost centers, "
                     f"{len(unmapped)} extract rows not mapped")  # fmt: skip
        cfg = src.reference.config
        *sheets, start = with_start_here(
            previous,
            [
                *control_sheets(src.reference, history, targets, unmapped),
                audit_sheet(previous, note),
            ],
            "init",
            {
                "cost_centers": len(src.reference.organization.cost_centers),
                "unmapped": len(unmapped),
            },
            title=f"{cfg.system_name}: budget cycle, fiscal year {cfg.fiscal_year}",
        )
        sheets = [start, *sheets]  # the first sheet a reader sees
        if previous is not None:
            replace_sheets(out, sheets)  # keep what finance added to the existing workbook
        else:
            write_workbook(out, sheets)
        # the password goes where no sheet shows it (control/schema.py TEMPLATE_PASSWORD_PROPERTY)
        write_property(out, TEMPLATE_PASSWORD_PROPERTY, src.reference.config.templates.password)
    return InitResult(out, len(src.reference.organization.cost_centers), unmapped, targets)

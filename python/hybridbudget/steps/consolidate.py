"""Step 3b: consolidate the newest valid submission of every cost center, recomputed by the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..control.audit import audit_sheet, entry
from ..control.book import ControlBook, open_control
from ..control.pnl_sheet import PNL_NOTE, key_columns, pnl_block
from ..control.schema import driver_columns
from ..control.start_here import with_start_here
from ..engine.rollup import BottomUp, drivers_row, monthly_lines, rollup
from ..errors import HybridBudgetError
from ..findings import Severity
from ..intake.checks import trusted_values
from ..model.line_items import MONTHS
from ..progress import Progress, silent
from ..templates.values import drivers_from_values
from ..workbook.spec import Block, Column, Sheet
from .batch import batch_step
from .capital_requests import capital_sheet, requests_from
from .submissions import (
    ACCEPTED,
    ACCEPTED_WARNINGS,
    NOT_RECEIVED,
    SUBMISSION_BLOCK,
    SUBMISSION_COLUMNS,
    SUBMISSIONS_SHEET,
    read_reviews,
    submission_status,
    submissions_sheet,
)
from .validate import ValidationResult, validate_submissions, validation_sheet

__all__ = [
    "ACCEPTED",
    "ACCEPTED_WARNINGS",
    "NOT_RECEIVED",
    "SUBMISSIONS_SHEET",
    "SUBMISSION_BLOCK",
    "SUBMISSION_COLUMNS",
]

CONSOLIDATED_SHEET = "Consolidated"
DRIVERS_SHEET = "Bottom-up Drivers"
# ~600 characters of columns: three tabloid pages wide prints them near full size, the cost center
# repeated on each page (one page wide shrank them below reading size)
DRIVERS_PAGES_WIDE = 3
CONSOLIDATED_COLUMNS = (
    Column("Level", "level", width=12),
    Column("Code", "code", width=12),
    Column("Name", "name", width=34),
    Column("Line item", "line_item", width=9),
    Column("Line item name", "line_item_name", width=22),
    Column("Cost centers included", "included", width=11),
    Column("Annual", "annual", "money", width=15),
    *(Column(m, f"m{i:02d}", "money", width=13) for i, m in enumerate(MONTHS, 1)),
)
CONSOLIDATED_BLOCK = "Bottom-up budget by level, line item and month"
DRIVERS_BLOCK = "Drivers of the accepted submissions"


@dataclass
class ConsolidationResult:
    validation: ValidationResult
    bottom_up: dict[str, BottomUp]
    submissions: pd.DataFrame
    consolidated: pd.DataFrame
    missing: list[str]  # cost centers with no accepted submission
    returned: list[str] = field(default_factory=list)  # accepted, but returned by finance


def bottom_up(result: ValidationResult, left_out: Collection[str] = ()) -> dict[str, BottomUp]:
    """Each accepted submission (but those `left_out`) as drivers, with the figures the engine
    recomputes from them."""
    out = {}
    for cc, sub in result.accepted.items():
        if cc in left_out:
            continue
        words = {
            key: str((sub.values.get(f"hb_{key}") or [""])[0] or "").strip()
            for key in ("rationale_volume", "rationale_staffing", "rationale_nonlabor")
        }
        values = trusted_values(sub, result.context)  # givens from finance's copy, not the file
        out[cc] = BottomUp.of(cc, drivers_from_values(values), words, sub.file, sub.sha256)
    return out


@batch_step
def consolidate(
    control: Path | ControlBook,
    folder: Path,
    progress: Progress = silent,
    as_of: dt.date | None = None,
) -> ConsolidationResult:
    """Validate, recompute, roll up; write Validation, Submissions, Consolidated, drivers, capital.

    `as_of` is the day lateness is counted to (default: today, UTC)."""
    book = open_control(control)
    result = validate_submissions(book, folder, progress, cache=True)
    status = submission_status(result, read_reviews(book), as_of or dt.datetime.now(dt.UTC).date(),
                               str(book.file))  # fmt: skip
    if status.findings:
        raise HybridBudgetError.from_findings(
            status.findings,
            f"{book.file}: the review typed on the {SUBMISSIONS_SHEET} sheet "
            "has problems, so nothing was consolidated",
        )
    if not set(result.accepted) - set(status.returned):
        raise HybridBudgetError(
            f"{folder}: none of the {len(result.files)} files is a valid submission finance has "
            f"not returned ({result.summary()}), so nothing was consolidated and the previous "
            f"consolidation is kept; run hybridbudget validate {folder} --control {book.file} to "
            "see why"
        )
    ref = result.context.reference
    progress(f"recomputing {len(result.accepted)} accepted submissions from their drivers")
    bus = bottom_up(result, status.returned)
    subs = status.rows
    lines = monthly_lines({cc: bu.figures for cc, bu in bus.items()})
    consolidated = rollup(lines, ref, bus)
    missing = [c for c in subs.cost_center if c not in bus and c not in status.returned]
    drivers = pd.DataFrame(
        [
            {"cost_center": cc, "file": bu.file, "sha256": bu.sha256}
            | drivers_row(bu.drivers)
            | bu.rationale
            for cc, bu in bus.items()
        ]
    )
    accepted = {cc: result.accepted[cc] for cc in bus}  # returned cost centers left out
    capital, _ = capital_sheet(requests_from(accepted, ref), ref, book)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    n = len(subs)
    coverage = f"{len(bus)} of {n} cost centers included; " + (
        " ".join(
            f"not included ({why}): {', '.join(ccs)}."
            for why, ccs in (
                ("no valid submission", missing),
                ("returned by finance", status.returned),
            )
            if ccs
        )
        or "all included."
    )
    errors = sum(f.severity is Severity.ERROR for f in result.findings)
    sheets = [
        validation_sheet(result, book.folder),
        submissions_sheet(status, when, result.summary()),
        Sheet(CONSOLIDATED_SHEET, "Consolidated bottom-up budget",
              (pnl_block(ref, lines, CONSOLIDATED_COLUMNS,
                         {c: b.figures.monthly_volume for c, b in bus.items()},
                         {c: b.figures.fte for c, b in bus.items()}),
               Block(CONSOLIDATED_BLOCK, CONSOLIDATED_COLUMNS, consolidated)),
              notes=(coverage, "Every figure is recomputed by the engine from the submitted "
                     "drivers; cost centers without a valid submission are not counted as zero: "
                     "they are left out and listed here.", PNL_NOTE),
              freeze_columns=key_columns(CONSOLIDATED_COLUMNS)),
        Sheet(DRIVERS_SHEET, "Bottom-up drivers (engine input for divergence and the plan)",
              (Block(DRIVERS_BLOCK, driver_columns(), drivers),),
              notes=("Written by Consolidate from the submitted templates; do not edit.",),
              paper="tabloid", pages_wide=DRIVERS_PAGES_WIDE),
        capital,
        audit_sheet(book, entry("consolidate", f"{folder}: {coverage} {result.summary()}; "
                                f"{errors} errors"),
                    *(entry("review", change) for change in status.changes)),
    ]  # fmt: skip
    progress(f"writing {', '.join(s.name for s in sheets)} into {book.file}")
    figures = {
        **result.counts(),
        "intake.missing": len(missing),
        "intake.returned": len(status.returned),
    }
    book.write_sheets(with_start_here(book, sheets, "consolidate", figures), "consolidate")
    return ConsolidationResult(result, bus, subs, consolidated, missing, status.returned)

"""Step 3b: consolidate the newest valid submission of every cost center, recomputed by the engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..control.audit import audit_sheet, entry
from ..control.book import ControlBook, open_control
from ..control.pnl_sheet import PNL_NOTE, key_columns, pnl_block
from ..control.schema import driver_columns
from ..engine.rollup import BottomUp, drivers_row, monthly_lines, rollup
from ..errors import HybridBudgetError
from ..findings import Severity
from ..intake.checks import trusted_values
from ..model.line_items import MONTHS
from ..progress import Progress, silent
from ..templates.values import drivers_from_values
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .batch import batch_step
from .capital_requests import capital_sheet, requests_from
from .validate import SUPERSEDED, ValidationResult, validate_submissions, validation_sheet

SUBMISSIONS_SHEET = "Submissions"
CONSOLIDATED_SHEET = "Consolidated"
DRIVERS_SHEET = "Bottom-up Drivers"
NOT_RECEIVED = "not received"

SUBMISSION_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=28),
    Column("Service line", "service_line_code", width=12),
    Column("Manager", "manager", width=22),
    Column("Status", "status", width=18),
    Column("Change since last run", "change", width=26),
    Column("Received (UTC)", "received", width=16),
    Column("File", "file", width=34),
    Column("Template version", "template_version", width=9),
    Column("SHA-256", "sha256", width=66),
    Column("Errors", "errors", "int", width=8),
    Column("Warnings", "warnings", "int", width=9),
    Column("Superseded files", "superseded", width=30),
)
SUBMISSION_BLOCK = "Submission status by cost center"
CONSOLIDATED_COLUMNS = (
    Column("Level", "level", width=12),
    Column("Code", "code", width=12),
    Column("Name", "name", width=28),
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


def bottom_up(result: ValidationResult) -> dict[str, BottomUp]:
    """Each accepted submission as drivers, with the figures the engine recomputes from them."""
    out = {}
    for cc, sub in result.accepted.items():
        words = {
            key: str((sub.values.get(f"hb_{key}") or [""])[0] or "").strip()
            for key in ("rationale_volume", "rationale_staffing", "rationale_nonlabor")
        }
        values = trusted_values(sub, result.context)  # givens from finance's copy, not the file
        out[cc] = BottomUp.of(cc, drivers_from_values(values), words, sub.file, sub.sha256)
    return out


def _previous_hashes(book: ControlBook) -> dict[str, tuple[str, str]]:
    if SUBMISSIONS_SHEET not in book.sheet_names:
        return {}
    try:
        table = read_block(book.rows(SUBMISSIONS_SHEET), SUBMISSIONS_SHEET, book.file,
                           SUBMISSION_BLOCK, SUBMISSION_COLUMNS)  # fmt: skip
    except Exception:  # an unreadable old sheet only loses the "change" column
        return {}
    return {r["cost_center"]: (r["sha256"] or "", r["file"] or "") for r in table.rows}


def submissions_frame(
    result: ValidationResult, previous: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    ref = result.context.reference
    org = ref.organization
    by_cc: dict[str, list] = {}
    for f in result.files:
        if f.cost_center:
            by_cc.setdefault(f.cost_center, []).append(f)
    resubmitted = {x.file for x in result.findings if x.code == "RESUBMISSION_REJECTED"}
    rows = []
    for cc in org.cost_centers:
        code = cc.cost_center_code
        files = by_cc.get(code, [])
        current = [f for f in files if f.status != SUPERSEDED]
        used = result.accepted.get(code)
        f = next(
            (x for x in current if used and x.file == used.file), current[0] if current else None
        )
        bounced = [x.file for x in current if x.file in resubmitted]
        was_hash, was_file = previous.get(code, ("", ""))
        now_hash = f.sha256 if f else ""
        change = (
            "" if not previous else "unchanged" if now_hash == was_hash
            else "new" if not was_hash else f"replaced (was {was_file})" if now_hash
            else "withdrawn"
        )  # fmt: skip
        rows.append(
            {
                "cost_center": code,
                "cost_center_name": cc.cost_center_name,
                "service_line_code": cc.service_line_code,
                "manager": cc.owner_name,
                "status": (
                    f"{f.status}; resubmission rejected ({', '.join(bounced)}), previous "
                    "valid file used"
                    if f and bounced
                    else f.status
                    if f
                    else NOT_RECEIVED
                ),
                "change": change,
                "received": f.modified if f else "",
                "file": f.file if f else "",
                "template_version": f.template_version if f else "",
                "sha256": now_hash,
                "errors": f.errors if f else 0,
                "warnings": f.warnings if f else 0,
                "superseded": ", ".join(x.file for x in files if x.status == SUPERSEDED),
            }
        )
    return pd.DataFrame(rows)


@batch_step
def consolidate(
    control: Path | ControlBook, folder: Path, progress: Progress = silent
) -> ConsolidationResult:
    """Validate, recompute, roll up; write Validation, Submissions, Consolidated, drivers, capital."""
    book = open_control(control)
    result = validate_submissions(book, folder, progress)
    if not result.accepted:
        raise HybridBudgetError(
            f"{folder}: none of the {len(result.files)} files is a valid submission "
            f"({result.summary()}), so nothing was consolidated and the previous consolidation "
            f"is kept; run hybridbudget validate {folder} --control {book.file} to see why"
        )
    ref = result.context.reference
    progress(f"recomputing {len(result.accepted)} accepted submissions from their drivers")
    bus = bottom_up(result)
    subs = submissions_frame(result, _previous_hashes(book))
    lines = monthly_lines({cc: bu.figures for cc, bu in bus.items()})
    consolidated = rollup(lines, ref, bus)
    missing = [c for c in subs.cost_center if c not in bus]
    drivers = pd.DataFrame(
        [
            {"cost_center": cc, "file": bu.file, "sha256": bu.sha256}
            | drivers_row(bu.drivers)
            | bu.rationale
            for cc, bu in bus.items()
        ]
    )
    capital, _ = capital_sheet(requests_from(result.accepted, ref), ref, book)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    n = len(subs)
    coverage = f"{len(bus)} of {n} cost centers included; " + (
        f"not included (no valid submission): {', '.join(missing)}." if missing else "all included."
    )
    errors = sum(f.severity is Severity.ERROR for f in result.findings)
    sheets = [
        validation_sheet(result, book.folder),
        Sheet(SUBMISSIONS_SHEET, f"Submissions as of {when}",
              (Block(SUBMISSION_BLOCK, SUBMISSION_COLUMNS, subs),),
              notes=(result.summary() + ".", "Lineage: the file, its template version and its "
                     "SHA-256 identify exactly what was consolidated.")),
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
              notes=("Written by Consolidate from the submitted templates; do not edit.",)),
        capital,
        audit_sheet(book, entry("consolidate", f"{folder}: {coverage} {result.summary()}; "
                                f"{errors} errors")),
    ]  # fmt: skip
    progress(f"writing {', '.join(s.name for s in sheets)} into {book.file}")
    book.write_sheets(sheets, "consolidate")
    return ConsolidationResult(result, bus, subs, consolidated, missing)

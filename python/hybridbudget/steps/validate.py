"""Step 3a: validate every returned template; report findings; never modify a submitted file."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from ..control.audit import audit_sheet, entry
from ..control.book import ControlBook, open_control
from ..control.load import load_control
from ..control.register import read_register
from ..control.start_here import with_start_here
from ..engine.targets import build_targets
from ..errors import HybridBudgetError
from ..findings import Finding, Severity, findings_frame, has_errors
from ..intake.checks import Context, review
from ..intake.files import Candidate, discover, finding, sniff
from ..intake.parallel import map_in_order, worker_count
from ..intake.submission import Submission, read_submission
from ..progress import Progress, silent
from ..workbook.fileio import atomic_save, atomic_write_text
from ..workbook.safe_text import csv_safe
from ..workbook.spec import Block, Column, Sheet
from .batch import batch_step
from .feedback import write_feedback_copies

VALID, WARNINGS, REJECTED, SUPERSEDED = "valid", "valid with warnings", "rejected", "superseded"
VALIDATION_SHEET = "Validation"


@dataclass
class FileStatus:
    file: str
    cost_center: str
    status: str
    errors: int
    warnings: int
    template_version: str = ""
    modified: str = ""
    sha256: str = ""


@dataclass
class ValidationResult:
    folder: Path
    findings: list[Finding]
    files: list[FileStatus]
    accepted: dict[str, Submission] = field(default_factory=dict)  # newest valid per cost center
    context: Context | None = None  # the control workbook's reference data and targets

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    def counts(self) -> dict[str, int]:
        """Files received, valid (with or without warnings) and rejected, for Start here."""
        n = Counter(f.status for f in self.files)
        return {"intake.received": len(self.files), "intake.valid": n[VALID] + n[WARNINGS],
                "intake.rejected": n[REJECTED]}  # fmt: skip

    def summary(self) -> str:
        n = Counter(f.status for f in self.files)
        return (
            f"{len(self.files)} files: {n[VALID]} valid, {n[WARNINGS]} with warnings, "
            f"{n[REJECTED]} rejected, {n[SUPERSEDED]} superseded; "
            f"{sum(f.severity is Severity.ERROR for f in self.findings)} errors, "
            f"{sum(f.severity is Severity.WARNING for f in self.findings)} warnings"
        )


def _rank(sub: Submission) -> tuple[int, float, float, str]:
    """Newest first: higher template version, then the workbook's own saved time, then the
    file's time, then file name."""
    saved = sub.saved.timestamp() if sub.saved is not None else 0.0
    return (sub.version(), saved, sub.modified.timestamp(), sub.file)


def _supersede(subs: list[Submission], findings: dict[str, list[Finding]]) -> set[str]:
    """Per cost center the newest valid file is used: every other valid file is superseded, and
    a newer rejected file is flagged as a rejected resubmission. Returns the superseded files."""
    by_cc: dict[str, list[Submission]] = {}
    for s in subs:
        by_cc.setdefault(s.cost_center, []).append(s)
    older: set[str] = set()
    for cc, group in by_cc.items():
        group.sort(key=_rank, reverse=True)
        valid = [s for s in group if not has_errors(findings[s.file])]
        if not valid:
            continue
        used = valid[0]
        for s in group:
            if s is used:
                continue
            if s in valid:
                older.add(s.file)
                why = (
                    f"both are template version {s.version()}; {used.file} was saved later"
                    if s.version() == used.version()
                    else f"{used.file} is template version {used.version()}"
                )
                findings[s.file].append(
                    finding(
                        "SUPERSEDED",
                        f"{used.file} is used for {cc} instead of this file "
                        f"({why}); this file is ignored",
                        s.file,
                        cost_center=cc,
                        value=str(s.version()),
                    )
                )
            elif _rank(s) > _rank(used):
                findings[s.file].append(
                    finding(
                        "RESUBMISSION_REJECTED",
                        f"resubmission rejected; previous valid file {used.file} used for {cc}",
                        s.file,
                        cost_center=cc,
                        value=str(s.version()),
                    )
                )
    return older


@batch_step
def validate_submissions(
    control: Path | ControlBook, folder: Path, progress: Progress = silent
) -> ValidationResult:
    """Read and check every file under `folder`; nothing is written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridBudgetError(f"{folder}: submissions folder not found")
    book = open_control(control)
    progress(f"reading {book.file}")
    ref, history = load_control(book)
    ctx = Context(ref, build_targets(ref, history), read_register(book))
    candidates, loose = discover(folder)
    if not candidates and not any(f.severity is Severity.ERROR for f in loose):
        raise HybridBudgetError(
            f"{folder}: no submissions were found (looked at every file in this folder and its "
            "subfolders, skipping hidden and ~$ files); copy the returned templates into it, or "
            "name the folder that holds them"
        )
    workers = worker_count(len(candidates))
    progress(f"checking {len(candidates)} files in {folder}"
             + (f" ({workers} processes)" if workers > 1 else ""))  # fmt: skip
    every = max(1, math.ceil(len(candidates) / 10))
    reported = [0]

    def done(n: int) -> None:
        if n // every > reported[0] // every or n == len(candidates):
            progress(f"{n}/{len(candidates)} files checked")
        reported[0] = n

    checked = map_in_order(_check_chunk, candidates, workers, _set_context, (ctx,), done)
    _CONTEXT.clear()
    per_file: dict[str, list[Finding]] = {}
    subs: list[Submission] = []
    for cand, (found, sub) in zip(candidates, checked, strict=True):
        per_file[cand.rel] = found
        if sub is not None:
            subs.append(sub)
    known = [s for s in subs if s.cost_center in ctx.targets.by_cost_center]
    older = _supersede(known, per_file)
    files, accepted = [], {}
    by_file = {s.file: s for s in subs}
    for cand in candidates:
        found = per_file[cand.rel]
        errors = sum(f.severity is Severity.ERROR for f in found)
        warnings = sum(f.severity is Severity.WARNING for f in found)
        sub = by_file.get(cand.rel)
        status = (
            SUPERSEDED
            if cand.rel in older
            else REJECTED
            if errors
            else WARNINGS
            if warnings
            else VALID
        )
        if sub is not None and status in (VALID, WARNINGS):
            accepted[sub.cost_center] = sub
        files.append(
            FileStatus(
                cand.rel,
                sub.cost_center if sub else "",
                status,
                errors,
                warnings,
                sub.meta.get("template_version", "") if sub else "",
                (sub.modified if sub else _arrived(cand)).strftime("%Y-%m-%d %H:%M"),
                sub.sha256 if sub else "",
            )
        )
    findings = loose + [f for cand in candidates for f in per_file[cand.rel]]
    return ValidationResult(folder, findings, files, accepted, ctx)


def _arrived(cand: Candidate) -> dt.datetime:
    """When a file that could not be read arrived (its modification time, UTC)."""
    return dt.datetime.fromtimestamp(cand.path.stat(follow_symlinks=False).st_mtime, dt.UTC)


_CONTEXT: list[Context] = []  # the context of the files being checked, in a worker process


def _set_context(ctx: Context) -> None:
    _CONTEXT[:] = [ctx]


def _check_chunk(cands: list[Candidate]) -> list[tuple[list[Finding], Submission | None]]:
    """Check consecutive files (in a worker process, or here) with the context set for them."""
    return [_check_one(cand, _CONTEXT[0]) for cand in cands]


def _check_one(cand: Candidate, ctx: Context) -> tuple[list[Finding], Submission | None]:
    problem = sniff(cand)
    if problem is not None:
        return [problem], None
    sub = read_submission(cand)
    if isinstance(sub, Finding):
        return [sub], None
    return review(sub, ctx), sub


# --- outputs ---------------------------------------------------------------------------------

FINDING_COLUMNS = (
    Column("Severity", "severity", width=9),
    Column("Code", "code", width=22),
    Column("File", "file", width=34, link_from="link"),
    Column("Sheet", "sheet", width=9),
    Column("Cell", "cell", width=8),
    Column("Cost center", "cost_center", width=12),
    Column("Message", "message", width=80),
    Column("Value found", "value", width=16),
    Column("Expected", "expected", width=16),
)
FILE_COLUMNS = (
    Column("File", "file", width=34, link_from="link"),
    Column("Cost center", "cost_center", width=12),
    Column("Status", "status", width=18),
    Column("Errors", "errors", "int", width=8),
    Column("Warnings", "warnings", "int", width=9),
    Column("Template version", "template_version", width=9),
    Column("Saved", "modified", width=16),
    Column("SHA-256", "sha256", width=66),
)


def _link(base: Path, folder: Path, file: str, sheet: str = "", cell: str = "") -> str:
    target = Path(os.path.relpath(folder.resolve() / file, base.resolve())).as_posix()
    where = f"#'{sheet}'!{cell}" if sheet and cell and cell[0].isalpha() else ""
    return quote(target) + where


def validation_sheet(result: ValidationResult, base: Path) -> Sheet:
    """The Validation sheet; links are relative to `base` (the control workbook's folder)."""
    frame = findings_frame(result.findings)
    order = {"error": 0, "warning": 1, "info": 2}
    frame = frame.sort_values(
        ["severity", "file", "code"], key=lambda s: s.map(order) if s.name == "severity" else s
    )
    frame["link"] = [
        _link(base, result.folder, f, s, c)
        for f, s, c in zip(frame.file, frame.sheet, frame.cell, strict=True)
    ]
    files = pd.DataFrame([vars(f) for f in result.files], columns=[c.key for c in FILE_COLUMNS])
    files["link"] = [_link(base, result.folder, f) for f in files.file]
    return Sheet(
        VALIDATION_SHEET,
        f"Validation of {result.folder}",
        (Block("Findings", FINDING_COLUMNS, frame), Block("Files", FILE_COLUMNS, files)),
        notes=(
            result.summary() + ".",
            "Errors block consolidation of that file; warnings do not. Click a file to open it "
            "(at the cell where the link can say so). Sort and filter with the header arrows.",
        ),
    )


def write_findings(result: ValidationResult, path: Path) -> Path:
    """The findings as CSV or JSON (by the file's suffix)."""
    frame = findings_frame(result.findings).map(csv_safe)
    if path.suffix.lower() == ".json":
        atomic_write_text(path, findings_json(result))
    else:
        atomic_save(path, lambda tmp: frame.to_csv(tmp, index=False))
    return path


def findings_json(result: ValidationResult) -> str:
    return json.dumps(
        {
            "summary": result.summary(),
            "files": [vars(f) for f in result.files],
            "findings": [f.model_dump(mode="json") for f in result.findings],
        },
        indent=2,
    )


def write_feedback(result: ValidationResult, out_dir: Path) -> list[Path]:
    """For each rejected submission: a copy that says why on its first sheet, cells marked."""
    rejected = {f.file for f in result.files if f.status == REJECTED}
    return write_feedback_copies(result.folder, out_dir, rejected, result.findings, result.context)


def validate(
    control: Path | ControlBook,
    folder: Path,
    progress: Progress = silent,
    findings_out: Path | None = None,
    feedback: Path | None = None,
    write_sheet: bool = True,
) -> ValidationResult:
    """The Validate button: check, then write the Validation sheet and the requested outputs."""
    book = open_control(control)
    result = validate_submissions(book, folder, progress)
    if write_sheet:
        progress(f"writing the {VALIDATION_SHEET} sheet into {book.file}")
        note = entry("validate", f"{folder}: {result.summary()}")
        sheets = [validation_sheet(result, book.folder), audit_sheet(book, note)]
        book.write_sheets(with_start_here(book, sheets, "validate", result.counts()), "validate")
    if findings_out is not None:
        write_findings(result, findings_out)
    if feedback is not None:
        write_feedback(result, feedback)
    return result

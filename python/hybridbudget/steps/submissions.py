"""The Submissions sheet: per cost center what arrived, what is used and who to chase.

Status per cost center (a file that arrived but could not be used is never "not received"): the
due date from Guardrails, days late, the manager and e-mail, and finance's review (Approved or
Returned with a comment), typed on the sheet and kept across runs for as long as the same file
(SHA-256) is the one used; a newer valid file resets it. A Returned cost center is left out of
the consolidation until it is resubmitted or approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..control.book import ControlBook
from ..errors import HybridBudgetError
from ..findings import Finding, Severity, shortened
from ..intake.checks import named_cost_centers
from ..workbook.blocks import TableRead, read_block
from ..workbook.spec import Block, Column, Sheet, fill_look, wrapped_height
from .validate import REJECTED, SUPERSEDED, WARNINGS, FileStatus, ValidationResult

SUBMISSIONS_SHEET = "Submissions"
SUBMISSION_BLOCK = "Submission status by cost center"
LEGEND_BLOCK = "Status colours"
OTHER_BLOCK = "Files received but not used"

NOT_RECEIVED = "not received"
RESUBMISSION_REJECTED = "resubmission rejected"
ACCEPTED_WARNINGS = "accepted with warnings"
ACCEPTED = "accepted"
CC_REJECTED = REJECTED  # every file of the cost center was rejected
APPROVED, RETURNED = "Approved", "Returned"
REVIEWS = (APPROVED, RETURNED)
RETURNED_LOOK = "returned by finance"  # the colour of a Returned row (a review, not a status)

# Red tones only where finance must act (nothing usable); green where the submission is used.
COLOURS: dict[str, str] = {
    NOT_RECEIVED: "FFC7CE",
    CC_REJECTED: "F8CBAD",
    RESUBMISSION_REJECTED: "FCE4D6",
    RETURNED_LOOK: "E4DFEC",
    ACCEPTED_WARNINGS: "E2EFDA",
    ACCEPTED: "C6EFCE",
    SUPERSEDED: "EDEDED",
}
MEANINGS: dict[str, str] = {
    NOT_RECEIVED: "No file for this cost center arrived in the submissions folder.",
    CC_REJECTED: "A file arrived but could not be used (the reason says why); not consolidated.",
    RESUBMISSION_REJECTED: "The newest file was rejected; the previous valid file is used.",
    RETURNED_LOOK: "Finance returned the submission (Review = Returned): not consolidated until "
    "the manager resubmits or finance approves it.",
    ACCEPTED_WARNINGS: "Used, with warnings to look at (Validation sheet).",
    ACCEPTED: "Used: no finding.",
    SUPERSEDED: "An older valid file: a newer one of the same cost center is used instead.",
}

SUBMISSION_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=28),
    Column("Service line", "service_line_code", width=12),
    Column("Manager", "manager", width=22),
    Column("Manager e-mail", "email", width=30),
    Column("Status", "status", width=20),
    Column("Reason", "reason", width=50, wrap=True),
    Column("Due date", "due", "date"),
    Column("Days late", "days_late", "int", width=8),
    Column("Review", "review", width=11, editable=True, choices=REVIEWS),
    Column("Review comment", "comment", width=40, editable=True, wrap=True),
    Column("Consolidated", "consolidated", width=12),
    Column("Review recorded", "recorded", width=12),
    Column("Change since last run", "change", width=26),
    Column("Received (UTC)", "received", width=16),
    Column("File", "file", width=34),
    Column("Template version", "template_version", width=9),
    Column("SHA-256", "sha256", width=66),
    Column("Errors", "errors", "int", width=8),
    Column("Warnings", "warnings", "int", width=9),
    Column("Superseded files", "superseded", width=30),
)
PRINT_COLUMNS = 12  # a page shows who, status, reason, lateness and review; lineage stays on screen
LEGEND_COLUMNS = (  # under the status table's columns: the status in its wide second column
    Column("Consolidated", "consolidated", width=12),
    Column("Status", "status", width=28),
    Column("Meaning", "meaning", width=12),
)
USED = (ACCEPTED, ACCEPTED_WARNINGS, RESUBMISSION_REJECTED)
OTHER_COLUMNS = (  # under the status columns of the same width
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=28),
    Column("Service line", "service_line_code", width=12),
    Column("Manager", "manager", width=22),
    Column("File", "file", width=30),
    Column("Status", "status", width=20),
    Column("Reason", "reason", width=50, wrap=True),
    Column("Received (UTC)", "received", width=16),
)
UNCLAIMED = "(unknown)"  # a file that names no cost center, inside or in its name


@dataclass(frozen=True)
class Review:
    """What the sheet held for one cost center when the step read it."""

    review: str
    comment: str
    sha256: str
    file: str
    recorded: str  # the review the previous run applied ("" for none)
    cell: str  # the Review cell, for findings


def _read(book: ControlBook) -> TableRead | None:
    if SUBMISSIONS_SHEET not in book.sheet_names:
        return None
    rows = book.rows(SUBMISSIONS_SHEET)
    try:
        return read_block(rows, SUBMISSIONS_SHEET, book.file, SUBMISSION_BLOCK,
                          SUBMISSION_COLUMNS, (LEGEND_BLOCK, OTHER_BLOCK))  # fmt: skip
    except HybridBudgetError:
        if any(r and "Review" in r for r in rows):  # our sheet, damaged: its reviews matter
            raise
        return None  # a sheet written before reviews existed: nothing was reviewed


def read_reviews(book: ControlBook) -> dict[str, Review]:
    """Cost center -> its row as the sheet holds it (reviews typed by finance)."""
    table = _read(book)
    if table is None:
        return {}
    out = {}
    for i, r in enumerate(table.rows):
        text = {k: "" if r.get(k) is None else str(r[k]).strip()
                for k in ("review", "comment", "sha256", "file", "recorded")}  # fmt: skip
        out[str(r["cost_center"])] = Review(
            text["review"], text["comment"], text["sha256"], text["file"], text["recorded"],
            table.cell(i, "review"),
        )  # fmt: skip
    return out


def _day(stamp: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(stamp[:10])
    except ValueError:
        return None


def _newest(files: list[FileStatus]) -> FileStatus:
    return max(files, key=lambda f: (f.modified, f.file))


def _by_file(result: ValidationResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in result.findings:
        out.setdefault(f.file, []).append(f)
    return out


def _reasons(found: list[Finding], severity: Severity = Severity.ERROR) -> str:
    """A file's findings of one severity as the reason shown (the first three, then a count)."""
    return "; ".join(shortened([f.message for f in found if f.severity is severity], 3,
                               "on the Validation sheet"))  # fmt: skip


def attribute(result: ValidationResult) -> dict[str, list[FileStatus]]:
    """Cost center -> its files: by the template inside, else by the cost center its name names
    (a file that could not be read still belongs to someone); "" for files nobody can claim."""
    known = {c.cost_center_code for c in result.context.reference.organization.cost_centers}
    out: dict[str, list[FileStatus]] = {}
    for f in result.files:
        named = {f.cost_center} & known or named_cost_centers(f.file, known)
        cc = next(iter(named)) if len(named) == 1 else ""
        out.setdefault(cc, []).append(f)
    return out


@dataclass
class SubmissionStatus:
    """The Submissions sheet's rows, and what the step does with them."""

    rows: pd.DataFrame  # one per cost center (SUBMISSION_COLUMNS, _look, chase_file)
    other: pd.DataFrame  # files received but not used (OTHER_COLUMNS, _look)
    returned: list[str]  # cost centers finance returned: left out of the consolidation
    changes: list[str]  # review changes since the last run, for the Audit Log
    findings: list[Finding]  # bad review input, by cell


def submission_status(
    result: ValidationResult,
    previous: Mapping[str, Review],
    as_of: dt.date,
    file: str = "",
) -> SubmissionStatus:
    """Status, lateness and review per cost center; `previous` is what the sheet held."""
    ref = result.context.reference
    due = ref.config.templates.due_date
    by_cc = attribute(result)
    resubmitted = {x.file for x in result.findings if x.code == "RESUBMISSION_REJECTED"}
    found = _by_file(result)
    rows, other, returned, changes, bad = [], [], [], [], []
    for cc in ref.organization.cost_centers:
        code = cc.cost_center_code
        files = by_cc.get(code, [])
        current = [f for f in files if f.status != SUPERSEDED]
        used = result.accepted.get(code)
        main = next((f for f in current if used and f.file == used.file), None)
        bounced = [f for f in current if f.file in resubmitted]
        chase_file, reason = "", ""
        if main is not None and bounced:
            status, chase_file = RESUBMISSION_REJECTED, _newest(bounced).file
            reason = f"{chase_file}: {_reasons(found.get(chase_file, []))}; {main.file} is used"
        elif main is not None:
            status = ACCEPTED_WARNINGS if main.status == WARNINGS else ACCEPTED
            reason = _reasons(found.get(main.file, []), Severity.WARNING)
        elif current:
            main = _newest(current)
            status, chase_file = CC_REJECTED, main.file
            reason = _reasons(found.get(main.file, []))
        else:
            status = NOT_RECEIVED
        usable = status in USED
        when = _day(main.modified) if main is not None and usable else as_of
        review, comment, problem = _review(code, previous.get(code), main, usable, changes)
        if problem is not None:
            bad.append(problem.model_copy(update={"file": file}))
        if review == RETURNED:
            returned.append(code)
        look = RETURNED_LOOK if review == RETURNED else status
        was = previous.get(code)
        was_hash, was_file = (was.sha256, was.file) if was else ("", "")
        now_hash = main.sha256 if main else ""
        change = (
            "" if not previous else "unchanged" if now_hash == was_hash
            else "new" if not was_hash else f"replaced (was {was_file})" if now_hash
            else "withdrawn"
        )  # fmt: skip
        rows.append({
            "cost_center": code, "cost_center_name": cc.cost_center_name,
            "service_line_code": cc.service_line_code, "manager": cc.owner_name,
            "email": cc.owner_email, "status": status, "reason": reason, "due": due,
            "days_late": max(0, (when - due).days) if when else 0,
            "review": review, "comment": comment, "recorded": review,
            "consolidated": "Yes" if usable and review != RETURNED else "No", "change": change,
            "received": main.modified if main else "", "file": main.file if main else "",
            "template_version": main.template_version if main else "",
            "sha256": now_hash, "errors": main.errors if main else 0, "warnings": main.warnings if main else 0,
            "superseded": ", ".join(f.file for f in files if f.status == SUPERSEDED),
            "chase_file": chase_file, "_look": fill_look(COLOURS[look]),
        })  # fmt: skip
        names = {"cost_center": code, "cost_center_name": cc.cost_center_name,
                 "service_line_code": cc.service_line_code, "manager": cc.owner_name}  # fmt: skip
        for f in files:
            if main is None or f.file != main.file:
                other.append(names | _other(found.get(f.file, []), f))
    for f in by_cc.get("", []):
        other.append({"cost_center": UNCLAIMED, "cost_center_name": "no cost center in the file "
                      "or its name"} | _other(found.get(f.file, []), f))  # fmt: skip
    return SubmissionStatus(
        pd.DataFrame(rows), pd.DataFrame(other, columns=[*(c.key for c in OTHER_COLUMNS), "_look"]),
        returned, changes, bad,
    )  # fmt: skip


def _other(found: list[Finding], f: FileStatus) -> dict[str, Any]:
    """A file received but not used: superseded (by which file) or rejected (why)."""
    if f.status == SUPERSEDED:
        reason = next((x.message for x in found if x.code == "SUPERSEDED"), "")
    else:
        reason = _reasons(found)
    status = SUPERSEDED if f.status == SUPERSEDED else CC_REJECTED
    return {"file": f.file, "status": status, "reason": reason, "received": f.modified,
            "_look": fill_look(COLOURS[status])}  # fmt: skip


def _review(
    code: str, was: Review | None, main: FileStatus | None, usable: bool, changes: list[str]
) -> tuple[str, str, Finding | None]:
    """(review, comment, bad input) for one cost center: what finance typed, kept while the same
    file is used; review changes since the last run are added to `changes` (the Audit Log)."""
    if was is None or not (was.review or was.recorded):
        return "", "", None
    now = main.sha256 if main is not None else ""
    problem = ""
    if was.sha256 == now and usable:
        review, comment, problem = _checked(was)
        if review != was.recorded:
            what = f"{review}: {comment}" if review == RETURNED else review or "cleared"
            changes.append(f"{code} ({was.file}) review {what}")
    else:  # another file is used now (or none): it is reviewed afresh
        review, comment = "", ""
        if was.sha256 == now and was.review and not was.recorded:
            problem = "only a submission that is used can be approved or returned"
        else:
            why = (
                "the file is no longer usable"
                if was.sha256 == now
                else (f"{main.file if main else 'no file'} is used now")
            )
            changes.append(
                f"{code}: review {was.review or was.recorded} of "
                f"{was.file or 'no file'} not carried over ({why})"
            )
    bad = Finding(code="BAD_REVIEW", severity=Severity.ERROR, sheet=SUBMISSIONS_SHEET,
                  cell=was.cell, cost_center=code, value=was.review, message=problem)  # fmt: skip
    return review, comment, bad if problem else None


def _checked(was: Review) -> tuple[str, str, str]:
    """(review, comment, problem) from what finance typed; a problem keeps the last review."""
    typed = {r.lower(): r for r in REVIEWS}.get(was.review.lower())
    if was.review and typed is None:
        return (
            was.recorded,
            was.comment,
            (f"review {was.review!r} is not one of {', '.join(REVIEWS)} (or blank)"),
        )
    if typed == RETURNED and not was.comment:
        return (
            was.recorded,
            was.comment,
            ("a Returned submission needs a comment: it is what the manager is told to change"),
        )
    return typed or "", was.comment, ""


def submissions_sheet(status: SubmissionStatus, when: str, summary: str) -> Sheet:
    """The Submissions sheet: status by cost center, the colour legend, files not used."""
    legend = pd.DataFrame(
        [{"consolidated": "Yes" if s in USED else "No", "status": s, "meaning": MEANINGS[s],
          "_look": fill_look(c)} for s, c in COLOURS.items()]
    )  # fmt: skip
    rows, other = status.rows.copy(), status.other.copy()
    for frame, columns in ((rows, SUBMISSION_COLUMNS), (other, OTHER_COLUMNS)):
        frame["_height"] = [wrapped_height(r, columns) for r in frame.to_dict("records")]
    return Sheet(
        SUBMISSIONS_SHEET,
        f"Submissions as of {when}",
        (
            Block(
                SUBMISSION_BLOCK, SUBMISSION_COLUMNS, rows, look_from="_look", height_from="_height"
            ),
            Block(LEGEND_BLOCK, LEGEND_COLUMNS, legend, look_from="_look"),
            Block(OTHER_BLOCK, OTHER_COLUMNS, other, look_from="_look", height_from="_height"),
        ),
        notes=(
            summary + ".",
            f"Review (yellow, yours to type): {APPROVED}, or {RETURNED} with a comment for the "
            "manager. Kept while the same file is used; a newer valid file resets it.",
            "A Returned cost center is not consolidated until it is resubmitted or approved. "
            "Chase writes the e-mail drafts (late, rejected, returned).",
            "Days late: a used file, the days it came after the due date; otherwise the days "
            "since the due date without a usable file.",
            "Lineage (right of the printed columns): file, template version and SHA-256 identify "
            "exactly what was consolidated.",
        ),
        freeze_columns=2,
        print_columns=PRINT_COLUMNS,
    )

"""Chase: one e-mail draft (.eml) per manager whose cost center is late, rejected or returned.

Drafts only, the engine never sends mail: each draft is an RFC 5322 message with `X-Unsent: 1`,
so Outlook opens it as a draft to send (any mail client opens the .eml). Late managers get the
blank template, rejected ones validate's feedback copy, returned ones their own submission with
finance's comment. Statuses and reviews are the Submissions sheet's (steps/submissions.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

import pandas as pd

from ..control.audit import audit_sheet, entry
from ..control.book import ControlBook, open_control
from ..errors import HybridBudgetError
from ..findings import Severity
from ..model.reference import Reference
from ..progress import Progress, silent
from ..workbook.fileio import atomic_save
from .batch import batch_step
from .submissions import (
    CC_REJECTED,
    NOT_RECEIVED,
    RESUBMISSION_REJECTED,
    RETURNED,
    UNCLAIMED,
    SubmissionStatus,
    read_reviews,
    submission_status,
)
from .templates import template_path
from .validate import ValidationResult, validate_submissions, write_feedback

LATE, REJECTED, RETURNED_KIND = "late", "rejected", "returned"
MARK = "X-HybridBudget-Draft"  # our drafts carry it: a re-run replaces them, nothing else
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Ask:
    """One cost center to chase: why, and the files to attach."""

    cost_center: str
    name: str
    kind: str  # LATE, REJECTED or RETURNED_KIND
    text: str  # the paragraph of the e-mail
    attachments: tuple[Path, ...]


@dataclass
class Draft:
    manager: str
    email: str
    path: Path
    asks: list[Ask]


@dataclass
class ChaseResult:
    drafts: list[Draft]
    status: SubmissionStatus
    not_due: list[str] = field(default_factory=list)  # not received, not yet due: not chased
    unclaimed: list[str] = field(default_factory=list)  # files no cost center can be found for

    def covered(self, kind: str) -> set[str]:
        """The cost centers chased for `kind` (late, rejected, returned)."""
        return {a.cost_center for d in self.drafts for a in d.asks if a.kind == kind}


def _long_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"  - {line}" for line in lines)


def _errors(result: ValidationResult, file: str) -> list[str]:
    found = [f for f in result.findings if f.file == file and f.severity is Severity.ERROR]
    return [f"{f.message} (sheet {f.sheet}, cell {f.cell})" if f.cell else f.message
            for f in found]  # fmt: skip


def _asks(
    result: ValidationResult,
    rows: pd.DataFrame,
    ref: Reference,
    templates: Path,
    feedback: Path,
    as_of: dt.date,
) -> list[Ask]:
    cfg, org = ref.config, ref.organization
    due = _long_date(cfg.templates.due_date)
    out = []
    for r in rows.itertuples():
        head = f"{r.cost_center} {r.cost_center_name}"
        if r.review == RETURNED:
            sent = result.folder / r.file
            text = (f"{head}: finance has reviewed your submission ({sent.name}) and returns it "
                    f"with this comment:\n\n  \"{r.comment}\"\n\nYour submission is attached: "
                    "change it as asked, save it as .xlsx under the same file name and send it "
                    "back to us.")  # fmt: skip
            out.append(Ask(r.cost_center, r.cost_center_name, RETURNED_KIND, text, (sent,)))
        elif r.status in (CC_REJECTED, RESUBMISSION_REJECTED):
            copy = feedback / r.chase_file
            notes = copy.with_suffix(".findings.txt")
            used = (f" Until then we use your earlier file {Path(r.file).name}."
                    if r.status == RESUBMISSION_REJECTED else "")  # fmt: skip
            late = f" It was due on {due}." if r.days_late and r.status == CC_REJECTED else ""
            text = (f"{head}: the file you sent ({Path(r.chase_file).name}) could not be used:\n\n"
                    f"{_bullets(_errors(result, r.chase_file))}\n\nThe attached copy marks each "
                    "problem. Please correct them, save the file as .xlsx under the same file "
                    f"name and send it back to us.{late}{used}")  # fmt: skip
            files = (copy, notes) if notes.is_file() else (copy,)
            out.append(Ask(r.cost_center, r.cost_center_name, REJECTED, text, files))
        elif r.status == NOT_RECEIVED and cfg.templates.due_date < as_of:
            blank = template_path(templates, org.entity_of(r.cost_center).entity_code,
                                  r.cost_center, cfg.fiscal_year, cfg.templates.version)  # fmt: skip
            text = (f"{head}: your budget template was due on {due} and we have not received "
                    f"it ({r.days_late} days late). The blank template is attached "
                    f"({blank.name}): fill in the yellow cells, save it as .xlsx under the same "
                    "file name and send it back to us as soon as you can.")  # fmt: skip
            out.append(Ask(r.cost_center, r.cost_center_name, LATE, text, (blank,)))
    return out


def _message(draft: Draft, year: int, sender: str, when: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = formataddr((draft.manager, draft.email))
    if sender:
        msg["From"] = sender
    msg["Subject"] = (
        f"FY{year} budget: {draft.asks[0].cost_center} {draft.asks[0].name} needs your attention"
        if len(draft.asks) == 1
        else f"FY{year} budget: {len(draft.asks)} of your cost centers need your attention"
    )
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="hybridbudget.invalid")
    msg["X-Unsent"] = "1"  # Outlook opens the message as a draft, ready to send
    msg[MARK] = "chase"
    paragraphs = "\n\n".join(a.text for a in draft.asks)
    msg.set_content(f"Dear {draft.manager},\n\n{paragraphs}\n\nThank you,\nFinance\n")
    for ask in draft.asks:
        for path in ask.attachments:
            kind = (
                XLSX
                if path.suffix.lower() == ".xlsx"
                else (mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            )
            main, sub = kind.split("/", 1)
            msg.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=path.name)
    return msg


def _drafts(asks: list[Ask], rows: pd.DataFrame, out_dir: Path) -> list[Draft]:
    """One draft per manager (by e-mail address), their cost centers in Organization order."""
    who = {r.cost_center: (r.manager, r.email) for r in rows.itertuples()}
    by_email: dict[str, Draft] = {}
    for ask in asks:
        manager, email = who[ask.cost_center]
        name = re.sub(r"[^A-Za-z0-9._@-]", "_", email)
        by_email.setdefault(email, Draft(manager, email, out_dir / f"{name}.eml", [])).asks.append(
            ask
        )
    return list(by_email.values())


def _clear_old(out_dir: Path) -> None:
    """Remove the drafts an earlier chase wrote here (by their mark), so none is stale."""
    for path in out_dir.glob("*.eml"):
        with path.open("rb") as f:
            head = f.read(4096)
        if f"\n{MARK}: chase".encode() in head.replace(b"\r\n", b"\n"):
            path.unlink()


@batch_step
def chase(
    control: Path | ControlBook,
    submissions: Path,
    out_dir: Path,
    progress: Progress = silent,
    templates: Path | None = None,
    as_of: dt.date | None = None,
    sender: str = "",
) -> ChaseResult:
    """Write one .eml draft per manager to chase into `out_dir` (feedback copies in feedback/).

    `templates` is where `hybridbudget templates` wrote the blank templates (default: the
    folder templates beside the control workbook); `as_of` the day lateness is counted to."""
    book = open_control(control)
    result = validate_submissions(book, submissions, progress)
    today = as_of or dt.datetime.now(dt.UTC).date()
    status = submission_status(result, read_reviews(book), today, str(book.file))
    if status.findings:
        raise HybridBudgetError.from_findings(
            status.findings,
            f"{book.file}: the review typed on the Submissions sheet has problems, so no draft "
            "was written",
        )
    ref = result.context.reference
    out_dir = Path(out_dir)
    feedback = out_dir / "feedback"
    templates = Path(templates) if templates is not None else book.folder / "templates"
    asks = _asks(result, status.rows, ref, templates, feedback, today)
    absent = sorted({str(p) for a in asks if a.kind == LATE for p in a.attachments
                     if not p.is_file()})  # fmt: skip
    if absent:
        raise HybridBudgetError(
            f"{templates}: no blank template for {len(absent)} late cost centers (first: "
            f"{absent[0]}); name the folder hybridbudget templates wrote with --templates, or "
            "write the templates again"
        )
    rejected = {a.attachments[0].relative_to(feedback).as_posix() for a in asks
                if a.kind == REJECTED}  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    if rejected:
        progress(f"writing {len(rejected)} feedback copies to {feedback}")
        wanted = [f for f in result.files if f.file in rejected]
        write_feedback(dataclasses.replace(result, files=wanted), feedback)
    _clear_old(out_dir)
    drafts = _drafts(asks, status.rows, out_dir)
    now = dt.datetime.now(dt.UTC)
    for d in drafts:
        msg = _message(d, ref.config.fiscal_year, sender, now)
        atomic_save(d.path, lambda tmp, m=msg: Path(tmp).write_bytes(m.as_bytes()))
    progress(f"wrote {len(drafts)} drafts to {out_dir}")
    counts = ", ".join(f"{len({a.cost_center for d in drafts for a in d.asks if a.kind == k})} {k}"
                       for k in (LATE, REJECTED, RETURNED_KIND))  # fmt: skip
    book.write_sheets([audit_sheet(book, entry("chase", f"{len(drafts)} e-mail drafts written "
                                               f"to {out_dir} ({counts} cost centers)"))],
                      "chase")  # fmt: skip
    not_due = [r.cost_center for r in status.rows.itertuples()
               if r.status == NOT_RECEIVED and r.cost_center not in {a.cost_center for a in asks}]  # fmt: skip
    unclaimed = status.other.loc[status.other.cost_center == UNCLAIMED, "file"].tolist()
    return ChaseResult(drafts, status, not_due, unclaimed)

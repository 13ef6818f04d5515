"""The ribbon's buttons: each runs one engine step on the control workbook open in Excel.

`BUTTONS` maps an entry function of `xlwings_addin/hybridbudget_addin.py` to its label, its step
call and what to do when it fails. `run` is the only code that talks to Excel around a step:
progress in the status bar, a message box when the step is done or failed (a plain sentence and
what to do, never a traceback) and the details in a rotating log file (Help > Open Log).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from .. import __version__
from ..control.audit import current_user
from ..errors import HybridBudgetError
from ..progress import Progress
from ..workbook.xlwings_book import XlwingsControlBook
from .doctor import checklist, report
from .machine import LOG_ENV as LOG_ENV  # re-exported: the log file's variable
from .machine import Machine
from .settings import (
    ACTUALS_FOLDER,
    ACTUALS_MONTH,
    CHASE_FOLDER,
    SETTINGS_SHEET,
    SUBMISSIONS_FOLDER,
    TEMPLATES_FOLDER,
    AddinSettings,
    read_settings,
)

TITLE = "Hybrid Budget"
LOG_BYTES, LOG_BACKUPS = 1_000_000, 3
MAX_FINDINGS_SHOWN = 8


# --- the log file -------------------------------------------------------------------------------


class _AddinLog(RotatingFileHandler):
    """The add-in's log handler (one per process and path)."""


def log_path() -> Path:
    """~/.hybridbudget/addin.log, or the file named by $HYBRIDBUDGET_ADDIN_LOG."""
    return Machine.current().log_path


def logger() -> logging.Logger:
    """The engine's logger, writing to the add-in's log file."""
    path = log_path()
    log = logging.getLogger("hybridbudget")
    ours = [h for h in log.handlers if isinstance(h, _AddinLog)]
    if any(h.baseFilename == str(path.absolute()) for h in ours):
        return log
    for h in ours:
        log.removeHandler(h)
        h.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _AddinLog(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    except OSError:  # an unwritable home: keep the details somewhere readable
        path = Path(tempfile.gettempdir()) / "hybridbudget-addin.log"
        handler = _AddinLog(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log


def open_path(path: Path) -> None:
    """Open a file in the program the operating system uses for it."""
    if sys.platform.startswith("win"):
        os.startfile(path)  # type: ignore[attr-defined]
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.run([opener, str(path)], check=False, timeout=30)


# --- what a button gets -------------------------------------------------------------------------


@dataclass
class Session:
    """The control workbook of one click, its add-in settings and the status bar."""

    book: XlwingsControlBook
    settings: AddinSettings
    progress: Progress

    @property
    def templates(self) -> Path:
        return self.settings.folder(self.book, TEMPLATES_FOLDER)

    @property
    def submissions(self) -> Path:
        return self.settings.folder(self.book, SUBMISSIONS_FOLDER)

    @property
    def actuals(self) -> Path:
        return self.settings.folder(self.book, ACTUALS_FOLDER)

    @property
    def chase(self) -> Path:
        return self.settings.folder(self.book, CHASE_FOLDER)


@dataclass(frozen=True)
class Button:
    label: str
    call: Callable[[Session], str]  # runs the step; returns the message shown when done
    hint: str  # what to do after a failure


def step(module: str, function: str) -> Callable[..., Any]:
    """A step function of hybridbudget.steps, imported when its button is clicked."""
    name = f"hybridbudget.steps.{module}"
    try:
        return getattr(importlib.import_module(name), function)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise HybridBudgetError(
            f"this installation of hybridbudget has no {module} step; install the version that "
            "matches the add-in"
        ) from exc


def _templates(s: Session) -> str:
    result = step("templates", "generate_templates")(s.book, s.templates, s.progress)
    folders = sorted({p.parent.name for p in result.paths})
    return (
        f"Wrote {result.count} templates to {s.templates} "
        f"({len(folders)} entity folders: {', '.join(folders)})."
    )


def _validate(s: Session) -> str:
    result = step("validate", "validate")(s.book, s.submissions, s.progress)
    return f"{result.summary()}.\n\nThe Validation sheet lists every problem by file and cell."


def _consolidate(s: Session) -> str:
    result = step("consolidate", "consolidate")(s.book, s.submissions, s.progress)
    included = len(result.bottom_up)
    message = (
        f"{result.validation.summary()}.\n\nConsolidated {included} of "
        f"{included + len(result.missing) + len(result.returned)} cost centers."
    )
    if result.missing:
        message += f"\nNot included (no valid submission): {', '.join(result.missing)}."
    if result.returned:
        message += f"\nNot included (returned by finance): {', '.join(result.returned)}."
    return message


def _chase(s: Session) -> str:
    result = step("chase", "chase")(s.book, s.submissions, s.chase, s.progress,
                                    templates=s.templates)  # fmt: skip
    counts = ", ".join(f"{kind} {len(result.covered(kind))}"
                       for kind in ("late", "rejected", "returned"))  # fmt: skip
    return (
        f"Wrote {len(result.drafts)} e-mail drafts to {s.chase} (cost centers {counts}); "
        "nothing was sent.\n\nOpen each .eml draft, read it and send it from your mail program."
    )


def _divergence(s: Session) -> str:
    result = step("divergence", "divergence")(s.book, s.progress)
    flagged = int((result.agenda.flag == "Yes").sum()) if len(result.agenda) else 0
    return (
        f"Divergence written: {len(result.agenda)} lines, {flagged} beyond tolerance. "
        "Type the decisions on the Divergence sheet, then click Apply Decisions."
    )


def _apply_decisions(s: Session) -> str:
    result = step("plan", "apply_decisions")(s.book, s.progress)
    t, n = result.totals, len(result.undecided)
    left = "Every material item is decided: the plan can be locked."
    if n:
        left = f"{n} material items are still undecided (listed on the Plan sheet)."
    return f"Plan written: margin {t['margin']:,.2f} ({t['margin_pct']:.2%}).\n\n{left}"


def _lock_plan(s: Session) -> str:
    result = step("plan", "lock")(s.book, s.progress, user=current_user())
    done = f"Locked plan version {result.version} on the sheet {result.sheet}."
    if result.already:
        done = f"The plan is already locked as version {result.version} ({result.sheet}): no new version."
    return f"{done}\n\nSHA-256 {result.sha256}"


def _import_actuals(s: Session) -> str:
    if not s.settings.month:
        raise HybridBudgetError(
            f"no month to import: type it on the {SETTINGS_SHEET} sheet ({ACTUALS_MONTH} | YYYY-MM)"
        )
    result = step("actuals", "import_actuals")(
        s.book, s.actuals, s.settings.month, s.progress, user=current_user()
    )
    message = (
        f"Imported actuals for {result.month}: {result.rows_imported:,} extract rows from "
        f"{s.actuals}."
    )
    if result.findings:
        message += f"\n\n{len(result.findings)} rows could not be used (sheet Actuals Issues)."
    return message


def _variance(s: Session) -> str:
    result = step("variance", "variance")(s.book, s.settings.month, s.progress)
    m, y = result.indicators
    changes = "".join(f"\n- {line}" for line in result.changes)
    return (
        f"Variance {result.month} against {result.inputs.sheet}: margin {m.margin_pct[2]:.2%} "
        f"(plan {m.margin_pct[0]:.2%}); forecast accuracy {m.accuracy:.0%} (YTD "
        f"{y.accuracy:.0%}); {len(result.breaches)} triggers.{changes}"
    )


def _dashboard(s: Session) -> str:
    result = step("dashboard", "build_dashboard")(
        s.book, None, s.settings.month, progress=s.progress
    )
    return f"Wrote the dashboard for {result.month} to {result.path}."


def _about(s: Session) -> str:
    import xlwings

    try:
        where = (
            f"Templates folder: {s.templates}\nSubmissions folder: {s.submissions}\n"
            f"Actuals folder: {s.actuals} (month: {s.settings.month or 'the newest imported'})"
        )
        folders = {"Templates folder": (s.templates, True),
                   "Submissions folder": (s.submissions, False), "Actuals folder": (s.actuals, False)}  # fmt: skip
    except HybridBudgetError as exc:
        where, folders = f"Folders: not known yet ({exc.message})", {}
    checks = report(checklist(Machine.current(), folders))  # the same list as addin doctor
    return (
        f"Hybrid Budget {__version__}\nxlwings {xlwings.__version__}, Python "
        f"{platform.python_version()} ({sys.executable})\n\nControl workbook: {s.book.file}\n"
        f"{where}\nLog file: {log_path()}\n\nChecklist (hybridbudget addin doctor):\n{checks}"
    )


def _open_log(s: Session) -> str:
    path = log_path()
    logger().info("log opened from Excel")
    open_path(path)
    return ""


AGAIN = "Fix what the message names, then click {label} again."
SUBMISSIONS_HINT = (
    "The returned templates are read from the folder 'submissions' beside the control workbook, "
    "or from the Submissions folder on its Add-in Settings sheet."
)
BUTTONS: dict[str, Button] = {
    "generate_templates": Button("Generate Templates", _templates, AGAIN),
    "validate": Button("Validate", _validate, AGAIN + " " + SUBMISSIONS_HINT),
    "consolidate": Button("Consolidate", _consolidate, AGAIN + " " + SUBMISSIONS_HINT),
    "chase": Button(
        "Chase",
        _chase,
        AGAIN + " " + SUBMISSIONS_HINT + " The drafts go to the folder 'chase' beside the "
        "control workbook (Chase folder on the Add-in Settings sheet).",
    ),
    "divergence": Button("Divergence", _divergence, "Run Consolidate first, then click {label}."),
    "apply_decisions": Button("Apply Decisions", _apply_decisions, AGAIN),
    "lock_plan": Button(
        "Lock Plan",
        _lock_plan,
        "Decide the open items on the Divergence sheet and click Apply Decisions, then click "
        "{label} again (a lock with open items needs a reason: hybridbudget lock --force).",
    ),
    "import_actuals": Button(
        "Import Actuals",
        _import_actuals,
        "Put the month's extracts (gl_actuals_YYYY-MM, payroll_YYYY-MM, ehr_volumes_YYYY-MM) in "
        "the actuals folder and its month on the Add-in Settings sheet, then click {label} "
        "again (a month already imported is replaced only with hybridbudget actuals --replace).",
    ),
    "variance": Button("Variance", _variance, "Import the month's actuals, then click {label}."),
    "dashboard": Button("Dashboard", _dashboard, AGAIN),
    "about": Button("About", _about, AGAIN),
    "open_log": Button("Open Log", _open_log, "Open the file named above in a text editor."),
}


# --- one click ----------------------------------------------------------------------------------


def _status_bar(app: Any, log: logging.Logger) -> Progress:
    """Progress in Excel's status bar where the engine has one; always in the log."""
    shown = True

    def progress(message: str) -> None:
        nonlocal shown
        log.info(message)
        if shown:
            try:
                app.status_bar = f"{TITLE}: {message}"
            except NotImplementedError:
                shown = False

    return progress


def _failure(button: Button, exc: HybridBudgetError) -> str:
    more = [f"- {f.sentence()}" for f in exc.findings[1 : 1 + MAX_FINDINGS_SHOWN]]
    if len(exc.findings) > 1 + MAX_FINDINGS_SHOWN:
        more.append(f"... and {len(exc.findings) - 1 - MAX_FINDINGS_SHOWN} more")
    lines = [f"{button.label} could not finish.", "", exc.message, *more, ""]
    lines += [button.hint.format(label=button.label), f"The details are in the log: {log_path()}"]
    return "\n".join(lines)


def run(name: str, book: Any = None) -> str:
    """Click a button: run its step on `book` (default: the workbook that called from Excel).

    Returns the message shown. Failures end in a message box, never in an exception, once the
    workbook is known.
    """
    button = BUTTONS[name]
    log = logger()
    if book is None:
        import xlwings

        try:
            book = xlwings.Book.caller()
        except Exception:
            log.exception("%s: no calling workbook", button.label)
            raise
    app = book.app
    progress = _status_bar(app, log)
    log.info("%s: clicked on %s", button.label, book.fullname)
    mode = "info"
    try:
        live = XlwingsControlBook(book, progress=progress)
        settings = read_settings(live)
        if settings.workbook_folder is not None:
            live = XlwingsControlBook(book, settings.workbook_folder, progress)
        message = button.call(Session(live, settings, progress))
        log.info("%s: done. %s", button.label, message.replace("\n", " "))
    except HybridBudgetError as exc:
        log.warning("%s failed: %s", button.label, exc.message, exc_info=True)
        message, mode = _failure(button, exc), "critical"
    except Exception as exc:
        log.exception("%s: unexpected error", button.label)
        message, mode = (
            f"{button.label} stopped on an unexpected error ({type(exc).__name__}: {exc}).\n\n"
            "The workbook was not saved: close it without saving to discard a partial change. "
            f"The details are in the log: {log_path()} (Help > Open Log); send that file to "
            "whoever supports Hybrid Budget.",
            "critical",
        )
    with contextlib.suppress(NotImplementedError):
        app.status_bar = False  # Excel shows its own status again
    if message:
        app.alert(message, title=TITLE, mode=mode)
    return message

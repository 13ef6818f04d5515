"""Step 4b: import one month's actuals (GL, payroll, EHR volumes) into the control workbook."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..actuals import Actuals, MonthImport, actuals_sheets, check_month, map_month, month_files
from ..actuals import read_actuals as read_actuals
from ..control.audit import audit_sheet, current_user, entry
from ..control.book import ControlBook, open_control
from ..control.read import read_reference
from ..errors import HybridBudgetError
from ..findings import Finding
from ..progress import Progress, silent


@dataclass(frozen=True)
class ImportResult:
    month: str
    replaced: bool
    files: dict[str, Path]
    rows_imported: int
    findings: list[Finding]
    actuals: Actuals


def _fingerprint(new: MonthImport) -> str:
    """One SHA-256 for the month: over the files' own SHA-256s, in extract order."""
    return hashlib.sha256(",".join(new.files["sha256"]).encode()).hexdigest()


def import_actuals(
    control: Path | ControlBook,
    folder: Path,
    month: str,
    progress: Progress = silent,
    replace: bool = False,
    user: str | None = None,
) -> ImportResult:
    """Map the month's extracts and store them; refuse a month already imported unless `replace`.

    Rows that cannot be mapped are reported (Actuals Issues) and never merged; replacing a month
    touches that month only; the locked plan is never read or written here.
    """
    book = open_control(control)
    ref = read_reference(book)
    month = check_month(month, ref.config.fiscal_year)
    paths = month_files(Path(folder), month)
    current = read_actuals(book)
    earlier = current.imports[current.imports["month"] == month]
    if len(earlier) and not replace:
        first = earlier.iloc[0]
        raise HybridBudgetError(
            f"{book.file}: {month} was already imported on {first['when']} UTC from "
            f"{Path(str(first['file'])).parent} (see sheet Actuals Imports); to replace it with "
            "corrected extracts, import again with --replace"
        )
    who = user or current_user()
    progress(f"reading the {month} extracts in {folder}")
    new = map_month(ref, month, paths, user=who)
    actuals = current.replace_month(new)
    rows = int(new.files["imported"].sum())
    was = set(earlier["sha256"]) if len(earlier) else set()
    now = set(new.files["sha256"])
    verb = ("re-imported (files unchanged)" if was == now else "re-imported with corrected files"
            ) if len(earlier) else "imported"  # fmt: skip
    detail = (
        f"actuals {month} {verb} from {folder}: "
        + ", ".join(
            f"{Path(str(r.file)).name} ({r.imported} of {r.rows} rows)"
            for r in new.files.itertuples()
        )
        + f"; {len(new.findings)} issues reported (sheet Actuals Issues)"
    )
    sheets = [
        *actuals_sheets(actuals, ref.config.templates.password),
        audit_sheet(book, entry("import actuals", detail, _fingerprint(new), user=who)),
    ]
    progress(f"writing {', '.join(s.name for s in sheets)}")
    book.write_sheets(sheets, "import-actuals")
    return ImportResult(month, bool(len(earlier)), paths, rows, new.findings, actuals)

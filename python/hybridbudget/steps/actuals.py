"""Step 4b: import one month's actuals (GL, payroll, EHR volumes) into the control workbook."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..control.actuals_sheets import actuals_sheets
from ..control.actuals_sheets import read_actuals as read_actuals
from ..control.audit import audit_sheet, current_user, entry
from ..control.book import ControlBook, open_control
from ..control.load import read_reference
from ..control.start_here import with_start_here
from ..engine.actuals_map import Actuals, MonthImport, check_month, map_month
from ..errors import HybridBudgetError
from ..findings import Finding
from ..intake.files import Candidate
from ..model.reference import EXTRACTS
from ..progress import Progress, silent
from ..sources.readers import load_extract

SUFFIXES = (".csv", ".xlsx")


def month_files(folder: Path, month: str) -> dict[str, Path]:
    """The month's three extracts in `folder`: `ehr_volumes_YYYY-MM`, `payroll_YYYY-MM` and
    `gl_actuals_YYYY-MM`, each as .csv or .xlsx (one of the two)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridBudgetError(f"{folder}: actuals folder not found")
    out: dict[str, Path] = {}
    for kind, (stem, _) in EXTRACTS.items():
        found = [folder / f"{stem}_{month}{s}" for s in SUFFIXES]
        found = [p for p in found if p.is_file()]
        if not found:
            raise HybridBudgetError(
                f"{folder}: no {kind} extract for {month} (expected {stem}_{month}.csv or .xlsx)"
            )
        if len(found) > 1:
            raise HybridBudgetError(
                f"{folder}: both {found[0].name} and {found[1].name}: keep one of the two"
            )
        out[kind] = found[0]
    return out


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
    extracts = {kind: load_extract(kind, path) for kind, path in paths.items()}
    sha256 = {kind: Candidate(path, path.name).sha256() for kind, path in paths.items()}
    new = map_month(ref, month, extracts, sha256, user=who)
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
    last = max([month, *(str(m) for m in actuals.months)])
    book.write_sheets(
        with_start_here(book, sheets, "import-actuals", {"actuals.month": last}), "import-actuals"
    )
    return ImportResult(month, bool(len(earlier)), paths, rows, new.findings, actuals)

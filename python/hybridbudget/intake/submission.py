"""One submitted template read into plain data: metadata, contract values, formulas, cached results."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from ..findings import Finding
from ..templates.contract import BUDGET_SHEET, NAMES
from ..templates.fingerprint import expected_formulas, normalise
from ..templates.issued import lockable_cells, locked_cells
from ..templates.layout import layout
from ..templates.values import NameRange, name_ranges, read_meta
from .fastread import Unsupported, read_package
from .files import Candidate, finding


@dataclass
class Submission:
    """What intake knows about one submitted workbook."""

    candidate: Candidate
    sha256: str
    modified: dt.datetime
    meta: dict[str, str]
    values: dict[str, list[Any]]  # contract name -> cell values (formulas as text)
    cached: dict[str, list[Any]]  # contract name -> cached formula results (None where absent)
    cells: dict[str, Any]  # coordinate -> value (formula text) of every formula cell we expect
    protected: bool
    # coordinate -> normalised value of every cell finance locks (templates.issued.locked_cells),
    # whatever the file's own lock flags say
    locked: dict[str, str] = field(default_factory=dict)
    names: dict[str, list[NameRange] | None] = field(default_factory=dict)  # the file's own names
    saved: dt.datetime | None = None  # the workbook's own last-saved time (docProps/core.xml)

    @property
    def file(self) -> str:
        return self.candidate.rel

    @property
    def cost_center(self) -> str:
        return self.meta.get("cost_center", "")

    def version(self) -> int:
        try:
            return int(self.meta.get("template_version", "0"))
        except ValueError:
            return 0


@cache
def cell_of(name: str, i: int = 0) -> str:
    """The Budget-sheet coordinate of the i-th cell (row-major) of a contract name."""
    r, c = layout().names[name].cells()[i]
    return f"{get_column_letter(c)}{r}"


def _cached(source: str | bytes) -> dict[str, list[Any]]:
    """Cached values of every contract name, from the file's own stored results (fast reader)."""
    try:
        book = (
            CalamineWorkbook.from_filelike(io.BytesIO(source))
            if isinstance(source, bytes)
            else CalamineWorkbook.from_path(source)
        )
        grid = book.get_sheet_by_name(BUDGET_SHEET).to_python()
    except Exception:  # a sheet the fast reader cannot read has no usable cache
        return {}
    out: dict[str, list[Any]] = {}
    for n in NAMES:
        values = []
        for r, c in layout().names[n.name].cells():
            v = grid[r - 1][c - 1] if r - 1 < len(grid) and c - 1 < len(grid[r - 1]) else None
            values.append(None if v == "" else v)
        out[n.name] = values
    return out


def _when(value: object) -> dt.datetime | None:
    """A saved time in UTC (core properties carry naive UTC times)."""
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def read_submission(candidate: Candidate) -> Submission | Finding:
    """Read one sniffed workbook; a workbook openpyxl cannot load is a CORRUPT finding.

    The package is read straight from its XML (intake.fastread) when it holds nothing that reader
    does not reproduce exactly; otherwise, and for every damaged file, with openpyxl.
    """
    path = candidate.path
    try:
        data = path.read_bytes()
        stat = path.stat()
        got = read_package(path.name, data)
    except (OSError, Unsupported):
        return read_submission_openpyxl(candidate)
    return Submission(
        candidate=candidate,
        sha256=hashlib.sha256(data).hexdigest(),
        modified=dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
        meta=got.meta,
        values=got.values,
        cached=got.cached if got.cached is not None else _cached(data),
        cells=got.cells,
        protected=got.protected,
        locked=got.locked,
        names=got.names,
        saved=_when(got.saved),
    )


def read_submission_openpyxl(candidate: Candidate) -> Submission | Finding:
    """read_submission through openpyxl.load_workbook (the reference the fast reader matches)."""
    path = candidate.path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unknown extensions
            wb = load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as exc:
        return finding(
            "CORRUPT", f"the workbook cannot be opened ({exc.__class__.__name__})", candidate.rel
        )
    except Exception as exc:  # any parser failure on untrusted input is a finding
        return finding("CORRUPT", f"the workbook cannot be opened ({exc!r})", candidate.rel)
    meta = read_meta(wb)
    saved = _when(wb.properties.modified) if wb.properties is not None else None
    names = {n.name: name_ranges(wb, n.name) for n in NAMES}
    if BUDGET_SHEET in wb.sheetnames:
        ws = wb[BUDGET_SHEET]
        values = {
            name: [ws.cell(row=r, column=c).value for r, c in area.cells()]
            for name, area in layout().names.items()
        }
        cells = {coord: ws[coord].value for coord in expected_formulas()}
        protected = bool(ws.protection.sheet)
        locked = {}
        always = locked_cells()
        for coord, (r, c) in lockable_cells().items():
            cell = ws.cell(row=r, column=c)
            if coord not in always and not cell.protection.locked:
                continue  # an input unlocked here (a variant locks it: finance's copy says so)
            text = normalise(cell.value)
            if text is not None:
                locked[coord] = text
    else:
        values, cells, protected, locked = {}, {}, False, {}
    wb.close()
    return Submission(
        candidate=candidate,
        sha256=candidate.sha256(),
        modified=dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
        meta=meta,
        values=values,
        cached=_cached(str(path)),
        cells=cells,
        protected=protected,
        locked=locked,
        names=names,
        saved=saved,
    )

"""The file backend of the ControlBook seam: an .xlsx on disk, read with python-calamine, written
by a lossless part transplant under a lock, after a backup (control/store.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from ..errors import HybridBudgetError
from ..workbook.docprops import read_property
from ..workbook.spec import Sheet
from .store import ensure_unchanged, file_stamp, update_control


class FileControlBook:
    """The control workbook's sheets as rows of values, read on demand (python-calamine: fast).

    `read_ahead` parses sheets a step is about to read in background threads (python-calamine
    releases the GIL, so two big sheets parse at once on two cores).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.file = str(path)
        if not self.path.is_file():
            raise HybridBudgetError(f"{path}: control workbook not found (run hybridbudget init)")
        try:
            self._stamp = file_stamp(self.path)
            self._book = CalamineWorkbook.from_path(str(self.path))
        except (CalamineError, OSError, ValueError) as exc:
            raise HybridBudgetError(
                f"{path}: not a readable .xlsx workbook ({exc}); save it from Excel as .xlsx, "
                "or restore the last backup (hybridbudget undo)"
            ) from exc
        self._rows: dict[str, list[tuple[Any, ...]]] = {}
        self._pending: dict[str, Future[list[tuple[Any, ...]]]] = {}

    @property
    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def write_sheets(self, sheets: Sequence[Sheet], step: str) -> None:
        update_control(self.path, sheets, step, expected=self._stamp)
        self._stamp = file_stamp(self.path)
        written = {s.name for s in sheets}
        self._rows = {n: r for n, r in self._rows.items() if n not in written}
        self._pending = {n: f for n, f in self._pending.items() if n not in written}
        self._book = CalamineWorkbook.from_path(str(self.path))

    def document_property(self, name: str) -> str | None:
        """A custom document property (settings kept off the sheets)."""
        return read_property(self.path, name)

    def read_ahead(self, sheets: Iterable[str]) -> None:
        """Start parsing these sheets in the background; rows() then waits for them."""
        for name in sheets:
            if (
                name in self._book.sheet_names
                and name not in self._rows
                and name not in self._pending
            ):
                self._pending[name] = _READERS.submit(_parse_sheet, self.path, name)

    def rows(self, sheet: str) -> list[tuple[Any, ...]]:
        if sheet not in self._book.sheet_names:
            raise HybridBudgetError(f"{self.file}: the sheet '{sheet}' is missing")
        if sheet not in self._rows:
            pending = self._pending.pop(sheet, None)
            try:
                self._rows[sheet] = (
                    pending.result() if pending is not None else _rows(self._book, sheet)
                )
            except (CalamineError, OSError, ValueError) as exc:
                ensure_unchanged(self.path, self._stamp)  # deleted or replaced while reading
                raise HybridBudgetError(
                    f"{self.file}: the sheet '{sheet}' cannot be read ({exc})"
                ) from exc
        return self._rows[sheet]


_READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hb-read")


def _rows(book: CalamineWorkbook, sheet: str) -> list[tuple[Any, ...]]:
    raw = book.get_sheet_by_name(sheet).to_python()
    return [tuple(None if v == "" else v for v in r) for r in raw]


def _parse_sheet(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """One sheet's rows, parsed in a worker thread with its own reader."""
    return _rows(CalamineWorkbook.from_path(str(path)), sheet)

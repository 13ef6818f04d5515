"""The seam between the engine and a workbook backend: what a step needs from the control workbook.

Two backends implement it: `FileControlBook` (an .xlsx on disk: calamine reads, lossless part
transplant writes, lock and backup) and the add-in's live workbook (xlwings). Steps take a
ControlBook, never a backend, and never ask which one they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..workbook.spec import Sheet
from .file_book import FileControlBook


@runtime_checkable
class ControlBook(Protocol):
    """Read rows of any sheet; replace or add whole sheets the step owns."""

    @property
    def file(self) -> str:
        """The name shown in messages."""

    @property
    def folder(self) -> Path:
        """Where relative paths (links to submissions) are resolved from."""

    @property
    def sheet_names(self) -> list[str]: ...

    def rows(self, sheet: str) -> list[tuple[Any, ...]]:
        """The sheet's values from A1, row by row (None for empty cells)."""

    def write_sheets(self, sheets: Sequence[Sheet], step: str) -> None:
        """Replace (by name) or add these sheets; everything else stays as it was."""


def open_control(control: Path | str | ControlBook) -> ControlBook:
    """A ControlBook for a path (the file backend) or the book itself."""
    if isinstance(control, str | Path):
        return FileControlBook(Path(control))
    return control

"""The live backend: the control workbook open in Excel, read and written through xlwings.

It renders the same Sheet specs as the file backend (`grid.layout` decides values and formats for
both). Each sheet is one values write from A1; number formats, fonts and fills go per area, not
per cell; screen updating and calculation are paused while it writes. Text is written with
Excel's leading apostrophe so that Excel never turns "6010", "2027-01" or "=x" into a number, a
date or a formula. Features an xlwings engine lacks are skipped, never fatal: on the remote
engine the status bar, drop-down lists and reading the calculation mode; in classic xlwings on
Windows and Mac freeze panes. xlwings has no sheet protection API: a sheet spec with a password
is protected through Excel's object model where the engine exposes it (Windows), else skipped.
"""

from __future__ import annotations

import contextlib
import decimal
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..errors import HybridBudgetError
from ..progress import Progress, silent
from . import styles
from .docprops import read_property
from .grid import Area, SheetGrid, layout
from .spec import Sheet

log = logging.getLogger(__name__)
LINK_PROGRESS_EVERY = 500


def _hex(color: Any) -> str:
    """An openpyxl colour ("001F3864") as the "#1F3864" xlwings takes."""
    return "#" + str(color.rgb)[-6:]


def excel_value(value: object) -> object:
    """A value as Excel should store it when typed: text stays text (leading apostrophe)."""
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    to_datetime = getattr(value, "to_pydatetime", None)  # pandas Timestamp
    if callable(to_datetime):
        return to_datetime()
    return value


def optional(what: str, action: Callable[[], object]) -> None:
    """Run a formatting step some xlwings engines lack; skip it where the engine cannot."""
    try:
        action()
    except NotImplementedError as exc:
        log.debug("skipped %s: %s", what, exc)


@contextlib.contextmanager
def paused(app: Any) -> Iterator[None]:
    """Screen updating off and calculation manual while writing; both restored after."""
    restore: list[Callable[[], None]] = []
    try:
        app.screen_updating = False
        restore.append(lambda: setattr(app, "screen_updating", True))
    except NotImplementedError:
        pass
    try:
        mode = app.calculation
        app.calculation = "manual"
        restore.append(lambda: setattr(app, "calculation", mode))
    except NotImplementedError:
        pass
    try:
        yield
    finally:
        for undo in reversed(restore):
            undo()


class XlwingsControlBook:
    """A ControlBook over an open xlwings Book (Excel on Windows or Mac, or the remote engine)."""

    def __init__(self, book: Any, folder: Path | None = None, progress: Progress = silent) -> None:
        self.book = book
        self._folder = Path(folder) if folder is not None else None
        self.progress = progress
        self._rows: dict[str, list[tuple[Any, ...]]] = {}

    def __str__(self) -> str:
        return self.file

    @property
    def file(self) -> str:
        return str(self.book.fullname)

    @property
    def folder(self) -> Path:
        if self._folder is not None:
            return self._folder
        path = Path(self.book.fullname)
        if path.is_absolute() and path.parent.is_dir():
            return path.parent
        raise HybridBudgetError(
            f"{self.book.name}: Excel does not say in which folder this workbook is saved; save it "
            "to a folder on this computer, or give the folder on an 'Add-in Settings' sheet "
            "(Workbook folder | C:\\path\\to\\folder)"
        )

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def rows(self, sheet: str) -> list[tuple[Any, ...]]:
        if sheet not in self.sheet_names:
            raise HybridBudgetError(f"{self.file}: the sheet '{sheet}' is missing")
        if sheet not in self._rows:
            sht = self.book.sheets[sheet]
            last = sht.used_range.last_cell
            values = sht.range((1, 1), (last.row, last.column)).options(ndim=2).value
            self._rows[sheet] = [tuple(None if v == "" else v for v in row) for row in values]
        return self._rows[sheet]

    def document_property(self, name: str) -> str | None:
        """A custom document property of the live book (Excel's File > Properties > Custom);
        None where Excel does not give it (not set, or no COM on this system)."""
        try:
            return str(self.book.api.CustomDocumentProperties(name).Value)
        except Exception:  # any COM or appscript failure: not available here
            path = Path(str(self.book.fullname))
            return read_property(path, name) if path.is_file() else None

    def write_sheets(self, sheets: Sequence[Sheet], step: str) -> None:
        log.info("%s: writing %s into %s", step, ", ".join(s.name for s in sheets), self.file)
        with paused(self.book.app):
            for spec in sheets:
                self.progress(f"writing the {spec.name} sheet")
                self._write(spec)
                self._rows.pop(spec.name, None)

    def _target(self, name: str) -> Any:
        """The sheet to write: cleared if it exists (so formulas pointing at it keep working);
        a protected one is replaced in place, as its password may not be known."""
        sheets = self.book.sheets
        for i, sht in enumerate(sheets):
            if sht.name.casefold() != name.casefold():
                continue
            if not getattr(sht.api, "ProtectContents", False):
                sht.clear()
                return sht
            sht.delete()
            if i < len(sheets):
                return sheets.add(name, before=sheets[i])
            break
        return sheets.add(name, after=sheets[len(sheets) - 1])

    def _write(self, spec: Sheet) -> None:
        grid = layout(spec)
        sht = self._target(spec.name)
        sht.range((1, 1)).value = [[excel_value(v) for v in row] for row in grid.values]
        for area, fmt in grid.formats:
            sht.range(area.address).number_format = fmt
        self._style(sht, grid)
        for col, width in grid.widths.items():
            sht.range((1, col)).column_width = width
        self._links(sht, grid)
        for area, choices in grid.choices:
            rng = sht.range(area.address)
            optional("drop-down list", lambda r=rng, c=choices: r.data_validation.set_list(list(c)))
        if spec.protect_password:
            _protect(sht, spec.protect_password, grid.inputs)
        self._outline(sht, grid)
        if grid.freeze_row and grid.freeze_columns:  # rows above and columns left of the cell
            cell = f"{get_column_letter(grid.freeze_columns + 1)}{grid.freeze_row + 1}"
            optional("freeze panes", lambda: sht.freeze_panes.freeze_at(cell))
        elif grid.freeze_row:
            optional("freeze panes", lambda: sht.freeze_panes.freeze_at(f"1:{grid.freeze_row}"))
        else:
            optional("unfreeze panes", sht.freeze_panes.unfreeze)

    def _style(self, sht: Any, grid: SheetGrid) -> None:
        _font(sht.range((1, 1)), styles.TITLE_FONT)
        if grid.note_rows:
            notes = Area(grid.note_rows[0], 1, grid.note_rows[-1], 1)
            _font(sht.range(notes.address), styles.NOTE_FONT)
        for place in grid.blocks:
            _font(sht.range((place.title_row, 1)), styles.BLOCK_FONT)
            header = sht.range(Area(place.header_row, 1, place.header_row, place.width).address)
            _font(header, styles.HEADER_FONT)
            _fill(header, styles.HEADER_FILL)
            header.wrap_text = True
            if place.body is not None:
                _font(sht.range(place.body.address), styles.BODY_FONT)
            if place.total_row:
                total = Area(place.total_row, 1, place.total_row, place.width)
                sht.range(total.address).font.bold = True
        for area in grid.inputs:
            _fill(sht.range(area.address), styles.INPUT_FILL)

    def _outline(self, sht: Any, grid: SheetGrid) -> None:
        """Wrapped text, heading rows, collapsed row and column groups, page breaks (Excel only)."""
        for area in grid.wraps:
            sht.range(area.address).wrap_text = True
        for area in grid.headings:
            rng = sht.range(area.address)
            _font(rng, styles.BOLD_FONT)
            _fill(rng, styles.HEADING_FILL)
        for area, rgb in grid.fills:
            _fill(sht.range(area.address), styles.solid(rgb))
        api = sht.api
        if not hasattr(api, "Rows"):  # a remote engine: no Excel object model for outlines
            log.info("sheet %s: outline groups and page breaks need desktop Excel", sht.name)
            return
        for row in grid.collapsed_rows:
            optional("row group", lambda r=row: api.Rows(r).Group())
        for col in grid.grouped_columns:
            optional("column group", lambda c=col: api.Columns(c).Group())
        if grid.collapsed_rows or grid.grouped_columns:

            def collapse() -> None:
                api.Outline.SummaryRow, api.Outline.SummaryColumn = 0, -4131  # above, left
                api.Outline.ShowLevels(1, 1)

            optional("collapse groups", collapse)
        for row in grid.page_breaks:
            optional("page break", lambda r=row: api.HPageBreaks.Add(api.Rows(r)))

    def _links(self, sht: Any, grid: SheetGrid) -> None:
        total = len(grid.links)
        for i, link in enumerate(grid.links, start=1):
            sht.range((link.row, link.col)).add_hyperlink(link.target, link.text)
            if i % LINK_PROGRESS_EVERY == 0 and i < total:
                self.progress(f"linking files {i}/{total}")


def _font(rng: Any, font: Font) -> None:
    rng.font.bold = bool(font.b)
    if font.i:
        rng.font.italic = True
    if font.sz:
        rng.font.size = float(font.sz)
    if font.color is not None and font.color.rgb:
        rng.font.color = _hex(font.color)


def _fill(rng: Any, fill: PatternFill) -> None:
    rng.color = _hex(fill.fgColor)


def _protect(sht: Any, password: str, unlocked: Sequence[Area]) -> None:
    """Protect the sheet, input cells left editable, where the engine exposes Excel's Protect."""
    protect = getattr(sht.api, "Protect", None)
    if protect is None:
        log.info("sheet %s not protected: this xlwings engine cannot protect sheets", sht.name)
        return
    for area in unlocked:
        sht.range(area.address).api.Locked = False
    protect(Password=password, AllowSorting=True, AllowFiltering=True)

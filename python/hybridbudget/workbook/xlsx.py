"""The file backend: render Sheet specs into an .xlsx with openpyxl (write-only: fast, streamed).

Blocks' data rows go through `deferred.DeferredRows` (rendered straight to XML, the same bytes
openpyxl writes) unless a value needs openpyxl itself; then the whole workbook is written cell by
cell, as `_workbook(sheets, None)` does (the reference the tests compare with).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import Outline
from openpyxl.worksheet.worksheet import Worksheet

from . import styles, zipio
from .deferred import DeferredRows, Unrenderable, hyperlink
from .fileio import atomic_save
from .grid import column_widths, header_rows, total_values
from .parts import _Package
from .spec import (
    HEADING,
    NUMBER_FORMATS,
    Block,
    Sheet,
    header_height,
    look_fill,
    outline_levels,
    row_heights,
    row_kinds,
    split_kind,
)

PAPER_SIZES = {"letter": 1, "tabloid": 3, "legal": 5, "a4": 9, "a3": 8}


class _Cursor:
    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.row = 0

    def append(self, cells: list[object]) -> None:
        self.ws.append(cells)
        self.row += 1

    def placeholder(self, n: int) -> None:
        """n rows that DeferredRows renders later: the first written empty (where they go), the
        others only counted."""
        if not n:
            return
        self.append([])
        # write-only openpyxl numbers rows inside its writer's generator, so each row must pass
        # through it; unwritten, not as an empty row (that costs more than rendering the row)
        writer = self.ws._writer
        writer.write_row = _unwritten
        try:
            for _ in range(n - 1):
                self.ws.append(())
        finally:
            del writer.write_row
        self.row += n - 1


def _unwritten(xf: object, row: object, row_idx: int) -> None:
    """WorksheetWriter.write_row for a row DeferredRows writes."""


def _cell(ws: Worksheet, value: object, **style: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def _styled(ws: Worksheet, proto: WriteOnlyCell, value: object) -> WriteOnlyCell:
    """A cell sharing a prototype's style (one style lookup per column, not per cell)."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    cell._style = proto._style
    return cell


def _block_rows(ws: Worksheet, cur: _Cursor, block: Block, deferred: DeferredRows | None) -> int:
    """Write one block; returns the header row number. `deferred` takes over the data rows."""
    cur.append([_cell(ws, block.title, font=styles.BLOCK_FONT)])
    tall = header_height(block.columns)
    if tall:  # wrapped headers get their height (write-only: set before the row is written)
        ws.row_dimensions[cur.row + 1].height = tall
    cur.append(
        [
            _cell(
                ws,
                c.header,
                font=styles.HEADER_FONT,
                fill=styles.HEADER_FILL,
                alignment=styles.HEADER_ALIGN,
                border=styles.GRID,
            )
            for c in block.columns
        ]
    )
    header_row = cur.row
    top = any(c.wrap for c in block.columns)  # rows grow with wrapped text: read from the top
    protos: dict[tuple[int, str, str], WriteOnlyCell] = {}

    def proto(i: int, kind: str, look: str = "") -> WriteOnlyCell:
        if (i, kind, look) not in protos:
            col = block.columns[i]
            base, row_style = split_kind(kind)
            extra: dict[str, object] = (
                {"fill": styles.INPUT_FILL, "protection": styles.UNLOCKED} if col.editable else {}
            )
            if col.wrap:
                extra["alignment"] = styles.WRAP
            elif top:
                extra["alignment"] = styles.TOP
            # a link column looks like links throughout (one style per column, no mutation)
            font = styles.LINK_FONT if col.link_from else styles.BODY_FONT
            if row_style:  # a P&L subtotal or heading row: bold
                font = styles.BOLD_FONT
            if look == HEADING:  # a heading row: bold on a band, never an input cell
                font, extra = styles.BOLD_FONT, {"fill": styles.HEADING_FILL}
            elif (rgb := look_fill(look)) and not col.editable:  # inputs keep the input fill
                extra["fill"] = styles.solid(rgb)
            protos[(i, kind, look)] = _cell(
                ws,
                None,
                font=font,
                number_format=NUMBER_FORMATS[base],
                border=styles.TOTAL_GRID if row_style == "total" else styles.GRID,
                **extra,
            )
        return protos[(i, kind, look)]

    per_row = row_kinds(block)
    links = {
        i: block.rows[c.link_from].tolist()
        for i, c in enumerate(block.columns)
        if c.link_from and c.link_from in block.rows.columns
    }
    kinds = [c.kind for c in block.columns]
    looks = block.row_values(block.look_from, "") if block.look_from else None
    levels = [int(v or 0) for v in block.row_values(block.outline_from, 0)]
    heights = row_heights(block)
    for r, brk in enumerate(block.row_values(block.break_from, False)):
        if brk and r:  # a manual page break above this row
            ws.row_breaks.append(Break(id=cur.row + r))
    # the same cells, rendered to XML by deferred.py; a block holding values only openpyxl
    # writes exactly (objects) is written by openpyxl, the sheet's other blocks still deferred
    if deferred is None or not deferred.block(ws, cur.placeholder, cur.row + 1, block, proto, kinds,
                                              per_row, links, looks, levels, heights):  # fmt: skip
        for r, values in enumerate(block.values()):
            look = looks[r] if looks else ""
            cells = [
                _styled(ws, proto(i, per_row[i][r] if i in per_row else kinds[i], look), v)
                for i, v in enumerate(values)
            ]
            if levels[r] or heights[r]:
                dim = ws.row_dimensions[cur.row + 1]
                if levels[r]:
                    dim.outlineLevel, dim.hidden = levels[r], not block.outline_open
                if heights[r]:
                    dim.height = heights[r]
            for i, targets in links.items():
                if targets[r]:
                    cells[i].hyperlink = hyperlink(cells[i].coordinate, targets[r])
            cur.append(cells)
    if block.total_label:
        cur.append(_total_cells(ws, block))
    for i, col in enumerate(block.columns):
        if col.choices and len(block.rows):
            letter = get_column_letter(i + 1)
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(col.choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle=col.header,
                error=f"Choose one of: {', '.join(col.choices)}.",
                showInputMessage=True,
                promptTitle=col.header[:32],
                prompt=f"Choose: {', '.join(col.choices)}"[:255],
            )
            dv.add(f"{letter}{header_row + 1}:{letter}{header_row + len(block.rows)}")
            ws.data_validations.append(dv)
    return header_row


def _total_cells(ws: Worksheet, block: Block) -> list[WriteOnlyCell]:
    return [
        _cell(ws, value, font=styles.BOLD_FONT, number_format=col.number_format,
              border=styles.TOP_RULE)
        for col, value in zip(block.columns, total_values(block), strict=True)
    ]  # fmt: skip


def write_sheet(wb: Workbook, sheet: Sheet, deferred: DeferredRows | None = None) -> Worksheet:
    """Append one sheet rendered from its spec to a write-only workbook.

    With `deferred`, blocks' data rows are left as placeholders for it to render (deferred.py).
    """
    ws = wb.create_sheet(sheet.name)
    if sheet.tab_color:
        ws.sheet_properties.tabColor = sheet.tab_color
    for i, w in column_widths(sheet).items():
        ws.column_dimensions[get_column_letter(i)].width = w
    _outlines(ws, sheet)
    headers = header_rows(sheet)
    block = sheet.freeze_block
    frozen = headers[block] if block is not None and block < len(headers) else None
    if frozen is not None:
        ws.freeze_panes = f"{get_column_letter(sheet.freeze_columns + 1)}{frozen + 1}"
        ws.print_title_rows = f"{frozen}:{frozen}"
        if sheet.freeze_columns:
            ws.print_title_cols = f"A:{get_column_letter(sheet.freeze_columns)}"
    ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
    if sheet.paper:
        ws.page_setup.paperSize = PAPER_SIZES[sheet.paper]
    ws.page_setup.fitToWidth = sheet.pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.oddFooter.center.text = f"{sheet.title} - page &P of &N"
    if sheet.protect_password:
        ws.protection.sheet = True
        ws.protection.password = sheet.protect_password
        ws.protection.autoFilter = False
        ws.protection.sort = False

    cur = _Cursor(ws)
    cur.append([_cell(ws, sheet.title, font=styles.TITLE_FONT)])
    for note in sheet.notes:
        cur.append([_cell(ws, note, font=styles.NOTE_FONT)])
    for block in sheet.blocks:
        cur.append([])
        written = _block_rows(ws, cur, block, deferred)
        if written == frozen and len(block.rows):
            last_col = get_column_letter(len(block.columns))
            ws.auto_filter.ref = f"A{written}:{last_col}{written + len(block.rows)}"
    if sheet.print_columns:
        ws.print_area = f"A1:{get_column_letter(sheet.print_columns)}{cur.row}"
    return ws


def _outlines(ws: Worksheet, sheet: Sheet) -> None:
    """Collapsed column groups and the outline settings of a sheet with grouped rows or columns:
    the + sits on the row above a row group (its heading) and left of a column group."""
    grouped = {i for b in sheet.blocks for i, c in enumerate(b.columns, 1) if c.grouped}
    # totals and headings sit on top of what they sum (Data > Outline)
    rows = max((lv for b in sheet.blocks for lv in (outline_levels(b) or [])), default=0)
    if not (grouped or rows):
        return
    for i in sorted(grouped):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.outlineLevel, dim.hidden = 1, True
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=False)
    ws.sheet_format.outlineLevelRow = rows or None
    ws.sheet_format.outlineLevelCol = 1 if grouped else None


def write_workbook(path: Path, sheets: Iterable[Sheet]) -> Path:
    """A new workbook holding exactly these sheets, saved atomically (temp file, then rename)."""
    sheets = list(sheets)
    deferred = DeferredRows()
    try:
        wb = _workbook(sheets, deferred)
        buffer = io.BytesIO()
        wb.save(buffer)
        parts = _spliced(buffer, deferred)
    except Unrenderable:  # values only openpyxl writes exactly: every cell through openpyxl
        wb = _workbook(sheets, None)
        atomic_save(path, wb.save)
        return path

    def save(tmp: str) -> None:
        with zipio.Writer(tmp) as z:
            for name, data in parts.items():
                z.add(name, data)

    atomic_save(path, save)
    return path


def scratch_workbook(path: Path, sheets: Iterable[Sheet], deferred: DeferredRows | None) -> None:
    """The sheets in a new workbook, data rows left to `deferred` (package.replace_sheets)."""
    _workbook(list(sheets), deferred).save(path)


def _workbook(sheets: list[Sheet], deferred: DeferredRows | None) -> Workbook:
    wb = Workbook(write_only=True)
    for sheet in sheets:
        write_sheet(wb, sheet, deferred)
    return wb


def _spliced(buffer: io.BytesIO, deferred: DeferredRows) -> dict[str, bytes]:
    """The saved workbook's parts with the deferred rows rendered into their sheets."""
    with zipfile.ZipFile(buffer) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    where = _sheet_parts(parts)
    for sheet, part in where.items():
        if sheet in deferred.runs:
            parts[part] = deferred.splice(sheet, parts[part], int, raw=True)
    return parts


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> worksheet part of a workbook openpyxl wrote."""
    return _Package(parts).sheets()

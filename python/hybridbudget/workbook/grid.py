"""Where a Sheet spec's cells land and how they look, decided once for every backend.

Rows and columns are 1-based. A sheet is its title (row 1), its notes, then per block: a blank
row, the block title, the header row, one row per DataFrame row and the optional total row.
The openpyxl writer (`xlsx.py`) and the live xlwings backend (`xlwings_book.py`) both render
from these decisions, so a sheet holds the same values and number formats in a file and in Excel.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from .spec import (
    HEADING,
    MONEY_KINDS,
    NUMBER_FORMATS,
    Block,
    Sheet,
    look_fill,
    row_kinds,
    split_kind,
)

SUMMED_KINDS = MONEY_KINDS | {"int", "fte", "hours"}
GENERAL = NUMBER_FORMATS["text"]


@dataclass(frozen=True)
class Area:
    """A rectangle of cells (inclusive)."""

    row: int
    col: int
    last_row: int
    last_col: int

    @property
    def address(self) -> str:
        first = f"{get_column_letter(self.col)}{self.row}"
        return f"{first}:{get_column_letter(self.last_col)}{self.last_row}"


@dataclass(frozen=True)
class Link:
    row: int
    col: int
    target: str
    text: str


@dataclass(frozen=True)
class BlockPlace:
    """Where one block landed: its title, header, data and total rows, and its width."""

    title_row: int
    header_row: int
    rows: int
    total_row: int | None
    width: int

    @property
    def body(self) -> Area | None:
        """The data rows and the total row (None for an empty block without a total)."""
        last = self.total_row or self.header_row + self.rows
        return Area(self.header_row + 1, 1, last, self.width) if last > self.header_row else None


@dataclass
class SheetGrid:
    """A sheet laid out: every value from A1, and the areas each look applies to."""

    values: list[list[object]]
    note_rows: list[int]
    blocks: list[BlockPlace]
    formats: list[tuple[Area, str]] = field(default_factory=list)  # all but General
    inputs: list[Area] = field(default_factory=list)  # editable data cells: shaded, unlocked
    choices: list[tuple[Area, tuple[str, ...]]] = field(default_factory=list)  # drop-down lists
    links: list[Link] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    freeze_row: int | None = None  # rows up to this one stay in view
    freeze_columns: int = 0  # columns from A that stay in view
    wraps: list[Area] = field(default_factory=list)  # data cells whose text wraps
    headings: list[Area] = field(default_factory=list)  # heading rows: bold on a band
    fills: list[tuple[Area, str]] = field(default_factory=list)  # fill looks: area, colour
    collapsed_rows: list[int] = field(default_factory=list)  # rows in a collapsed outline group
    grouped_columns: list[int] = field(default_factory=list)  # columns in a collapsed group
    page_breaks: list[int] = field(default_factory=list)  # a printed page starts at these rows


def header_rows(sheet: Sheet) -> list[int]:
    """The header row of each block."""
    rows, row = [], 1 + len(sheet.notes)
    for block in sheet.blocks:
        row += 3
        rows.append(row)
        row += len(block.rows) + (1 if block.total_label else 0)
    return rows


def column_widths(sheet: Sheet) -> dict[int, float]:
    """Each column's width: the widest any block asks for."""
    width: dict[int, float] = {}
    for block in sheet.blocks:
        for i, col in enumerate(block.columns, start=1):
            width[i] = max(width.get(i, 0), col.col_width)
    return width


def total_values(block: Block) -> list[object]:
    """The total row: the label, then sums of the money (to the cent), int, FTE and hours columns."""
    from ..engine.money import sum_cents

    out: list[object] = []
    for i, col in enumerate(block.columns):
        if i == 0:
            out.append(block.total_label)
        elif col.kind in SUMMED_KINDS and col.key in block.rows.columns:
            numeric = [
                v
                for v in block.rows[col.key].tolist()
                if isinstance(v, numbers.Number) and v == v  # v == v drops NaN
            ]
            out.append(sum_cents(numeric) if col.kind in MONEY_KINDS else round(sum(numeric), 2))
        else:
            out.append(None)
    return out


def cell_formats(block: Block) -> list[list[str]]:
    """Per column, the number format of each data row (per-row kinds where `kind_from` says)."""
    n = len(block.rows)
    per_row = row_kinds(block)
    out = []
    for i, col in enumerate(block.columns):
        if i in per_row:
            out.append([NUMBER_FORMATS[split_kind(k)[0]] for k in per_row[i]])
        else:
            out.append([col.number_format] * n)
    return out


def block_links(block: Block) -> dict[int, list[str]]:
    """Column index -> each row's hyperlink target ("" for none)."""
    return {
        i: ["" if t is None or t != t else str(t) for t in block.rows[c.link_from].tolist()]
        for i, c in enumerate(block.columns)
        if c.link_from and c.link_from in block.rows.columns
    }


def _runs(col: int, first_row: int, formats: list[str]) -> list[tuple[Area, str]]:
    """Consecutive rows of one column sharing a format, as areas (General left out)."""
    out: list[tuple[Area, str]] = []
    start = 0
    for i in range(1, len(formats) + 1):
        if i == len(formats) or formats[i] != formats[start]:
            if formats[start] != GENERAL:
                area = Area(first_row + start, col, first_row + i - 1, col)
                out.append((area, formats[start]))
            start = i
    return out


def _merge_columns(runs: list[tuple[Area, str]]) -> list[tuple[Area, str]]:
    """Side-by-side runs over the same rows with the same format become one area."""
    out: list[tuple[Area, str]] = []
    for area, fmt in sorted(runs, key=lambda r: (r[0].row, r[0].last_row, r[1], r[0].col)):
        if out:
            prev, prev_fmt = out[-1]
            same_rows = (prev.row, prev.last_row) == (area.row, area.last_row)
            if same_rows and prev_fmt == fmt and prev.last_col + 1 == area.col:
                out[-1] = (Area(prev.row, prev.col, prev.last_row, area.col), fmt)
                continue
        out.append((area, fmt))
    return out


def _links(block: Block, rows: list[list[object]], first_row: int) -> list[Link]:
    """The block's hyperlinks; each shows its cell's value."""
    out = []
    for i, targets in block_links(block).items():
        for r, target in enumerate(targets):
            text = rows[r][i]
            if target:
                out.append(Link(first_row + r, i + 1, target, "" if text is None else str(text)))
    return out


def _plain_spans(block: Block) -> list[tuple[int, int]]:
    """Runs of adjacent non-input columns (1-based, inclusive): where a fill look goes."""
    spans: list[tuple[int, int]] = []
    for i, col in enumerate(block.columns, start=1):
        if col.editable:
            continue
        if spans and spans[-1][1] == i - 1:
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((i, i))
    return spans


def layout(sheet: Sheet) -> SheetGrid:
    """Every value of the sheet from A1 (rectangular, None for empty) and where each look goes."""
    width = max([len(b.columns) for b in sheet.blocks] + [1])
    values: list[list[object]] = [[sheet.title], *([note] for note in sheet.notes)]
    grid = SheetGrid(values, list(range(2, 2 + len(sheet.notes))), [])
    runs: list[tuple[Area, str]] = []
    for block in sheet.blocks:
        values += [[], [block.title], [c.header for c in block.columns]]
        header, n = len(values), len(block.rows)
        rows = block.values()
        values += rows
        total = None
        if block.total_label:
            values.append(total_values(block))
            total = len(values)
        grid.blocks.append(BlockPlace(header - 1, header, n, total, len(block.columns)))
        for i, (col, formats) in enumerate(zip(block.columns, cell_formats(block), strict=True)):
            runs += _runs(i + 1, header + 1, formats + ([col.number_format] if total else []))
            if n and col.editable:
                grid.inputs.append(Area(header + 1, i + 1, header + n, i + 1))
            if n and col.choices:
                grid.choices.append((Area(header + 1, i + 1, header + n, i + 1), col.choices))
            if n and col.wrap:
                grid.wraps.append(Area(header + 1, i + 1, header + n, i + 1))
        width_b = len(block.columns)
        plain = _plain_spans(block)
        for r, look in enumerate(block.row_values(block.look_from, "")):
            row = header + 1 + r
            if look == HEADING:
                grid.headings.append(Area(row, 1, row, width_b))
            elif rgb := look_fill(look):
                grid.fills += [(Area(row, first, row, last), rgb) for first, last in plain]
        for r, level in enumerate(block.row_values(block.outline_from, 0)):
            if level and not block.outline_open:
                grid.collapsed_rows.append(header + 1 + r)
        for r, brk in enumerate(block.row_values(block.break_from, False)):
            if brk and r:
                grid.page_breaks.append(header + 1 + r)
        grid.links += _links(block, rows, header + 1)
    grid.values = [row + [None] * (width - len(row)) for row in values]
    grid.formats = _merge_columns(runs)
    grid.widths = column_widths(sheet)
    grid.grouped_columns = sorted(
        {i for b in sheet.blocks for i, c in enumerate(b.columns, 1) if c.grouped}
    )
    grid.freeze_columns = sheet.freeze_columns
    if sheet.freeze_block is not None and sheet.freeze_block < len(grid.blocks):
        grid.freeze_row = grid.blocks[sheet.freeze_block].header_row
    return grid

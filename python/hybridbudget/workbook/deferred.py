"""Data rows rendered straight to XML, for sheets of tens of thousands of rows.

openpyxl's write-only writer spends about 20 microseconds per cell (a cell object, then its XML
through lxml). `xlsx.write_sheet` hands a block's data rows to a `DeferredRows` instead: openpyxl
writes one empty placeholder row for them (and counts the rest), and everything else as before
(titles, headers, totals, widths, filters, validations, hyperlinks, styles). This module does for
the data rows exactly what openpyxl would have done, cell by cell, a column at a time:

- styles: the same prototype StyleArray objects made and registered in the workbook in the order
  openpyxl meets their first cells (a link column's prototype carries the link font), so
  styles.xml and every style id match;
- values: openpyxl's typing (numbers, booleans, text, error codes, "=" text kept as text),
  `check_string` (32,767 characters, illegal characters refused) and `safe_string`; dates and
  times as openpyxl's `to_excel` serials, their number formats registered by openpyxl itself
  at their first cell;
- hyperlinks: registered with the sheet in the order openpyxl writes them.

The rows are then rendered as XML text and spliced over the placeholders, in the form the sheet
has in the end: openpyxl's own (`raw`) for a new workbook, or as `package.transplant` re-serialises
it with lxml for an update. A block holding other objects is written by openpyxl; values the
renderer cannot match once it has started (a date with a time zone, a link that is not text)
raise `Unrenderable`: the caller writes that workbook the slow way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, TIME_TYPES
from openpyxl.compat import safe_string
from openpyxl.compat.numbers import NUMERIC_TYPES
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from .spec import Block, plain_values

MAX_TEXT = 32767  # openpyxl's check_string truncates text to this length
RENDER_ROWS = 4096
PLAIN = (bool, str, *NUMERIC_TYPES)  # what _body writes as openpyxl does
RENDERABLE = (*PLAIN, *TIME_TYPES)  # dates and times: as numbers (_dates)
NONE = type(None)
NUMBER = ' t="n"><v>%.16g</v></c>'  # a finite number, as openpyxl's safe_string formats it
# empty elements by `raw`: as openpyxl writes them (True), as lxml re-serialises them (False)
NO_VALUE = {True: ' t="n"></c>', False: ' t="n"/>'}
EMPTY_NUMBER = {True: ' t="n"><v></v></c>', False: ' t="n"><v/></c>'}
EMPTY_TEXT = {True: ' t="inlineStr"></c>', False: ' t="inlineStr"/>'}


def hyperlink(ref: str, target: str) -> Hyperlink:
    """A link from cell `ref`: "#'Sheet'!A1" goes to a place in this workbook (a location, no
    relationship), anything else to a file or address."""
    if target.startswith("#"):
        return Hyperlink(ref=ref, location=target[1:])
    return Hyperlink(ref=ref, target=target)


class Unrenderable(Exception):
    """A value the fast renderer cannot match once it has started: write the workbook the slow way."""


def escape(text: str, ascii_only: bool = False) -> str:
    """Element text escaped as lxml serialises it; `ascii_only`: as openpyxl's own writer does,
    which writes ASCII with character references for everything else."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if ascii_only and not text.isascii():
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    return text


def _text(value: str) -> str:
    """openpyxl's check_string for a str value."""
    value = value[:MAX_TEXT]
    if ILLEGAL_CHARACTERS_RE.search(value):
        raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
    return value


def _renderable(values: list[Any]) -> bool:
    """Every one of these values is written here as openpyxl would (objects: openpyxl writes)."""
    return all(kind is NONE or issubclass(kind, RENDERABLE) for kind in set(map(type, values)))


def _dates(ws: Worksheet, columns: list[list[Any]]) -> list[tuple[int, Any]]:
    """Dates and times turned into the serials openpyxl writes (numbers); returns the first cell
    of each of their types in each column (row-major position, value), where openpyxl registers
    the type's number format."""
    first = []
    for i, values in enumerate(columns):
        if not any(issubclass(kind, TIME_TYPES) for kind in set(map(type, values))):
            continue
        seen = set()
        for r, value in enumerate(values):
            if not isinstance(value, TIME_TYPES):
                continue
            if getattr(value, "tzinfo", None) is not None or ws.parent.iso_dates:
                raise Unrenderable("a date with a time zone, or dates written as text")
            if type(value) not in seen:
                seen.add(type(value))
                first.append((r * len(columns) + i, value))
            values[r] = to_excel(value, ws.parent.epoch)
    return first


def _body(value: Any, raw: bool) -> str:
    """One cell as openpyxl's lxml_write_cell writes it, after its reference and style: the cell
    is '<c r="B7" s="3"' (or no s) followed by this."""
    kind = type(value)
    # numbers exactly as openpyxl's safe_string formats them ("%.16g", "" for NaN and infinity)
    if kind is float or kind is int:
        if value - value == 0:
            return NUMBER % value
        number = ""
    elif value is None:
        return NO_VALUE[raw]
    elif kind is str:
        return _text_body(value, raw)
    elif isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    elif isinstance(value, NUMERIC_TYPES):
        number = safe_string(value)
    elif isinstance(value, str):
        return _text_body(str(value), raw)
    else:
        raise Unrenderable(f"{kind.__name__} value")
    return f' t="n"><v>{number}</v></c>' if number else EMPTY_NUMBER[raw]


def _text_body(value: str, raw: bool) -> str:
    """A text cell: inline string, or an error code (openpyxl types "#N/A" as an error)."""
    value = _text(value)
    if value in ERROR_CODES:
        return f' t="e"><v>{value}</v></c>'
    if value == "":
        return EMPTY_TEXT[raw]
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f' t="inlineStr"><is><t{space}>{escape(value, raw)}</t></is></c>'


class _TextBodies(dict[str | None, str]):
    """_body by value, each rendered once (a text column repeats its codes and names). Text and
    None only: 1, 1.0 and True are one key but three bodies."""

    def __init__(self, raw: bool) -> None:
        super().__init__()
        self.raw = raw

    def __missing__(self, value: str | None) -> str:
        body = self[value] = _body(value, self.raw)
        return body


def _bodies(values: list[Any], raw: bool) -> list[str]:
    """_body of each value: a column of numbers or of text in one pass, others cell by cell."""
    kinds = set(map(type, values))
    if kinds <= {float, int, NONE}:
        none, empty = NO_VALUE[raw], EMPTY_NUMBER[raw]
        return [none if v is None else NUMBER % v if v - v == 0 else empty for v in values]
    if kinds <= {str, NONE}:
        return list(map(_TextBodies(raw).__getitem__, values))
    return [_body(v, raw) for v in values]


def _column_xml(
    letter: str, values: list[Any], styles: list[str], numbers: list[str], raw: bool
) -> list[str]:
    """Some rows of one column, one cell text per row (`styles`: ' s="n"' or '' per row)."""
    bodies = _bodies(values, raw)
    cells = [f'<c r="{letter}{n}"{s}{b}' for n, s, b in zip(numbers, styles, bodies, strict=True)]
    if "" in styles:  # openpyxl writes no cell that has neither a value nor a style
        cells = [
            "" if v is None and not s else c for c, v, s in zip(cells, values, styles, strict=True)
        ]
    return cells


def block_columns(block: Block) -> list[list[Any]]:
    """Block.values(), column by column."""
    frame, n = block.rows, len(block.rows)
    return [plain_values(frame[c.key]) if c.key in frame.columns else [None] * n
            for c in block.columns]  # fmt: skip


def _factorize(values: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Each value's code and the distinct values, numbered in order of first appearance."""
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(array, use_na_sentinel=False)
    return codes, list(uniques)


@dataclass(frozen=True)
class _Styles:
    """One column's scratch style ids: row r has ids[codes[r]] (0: written without a style)."""

    ids: list[int]
    codes: np.ndarray

    def attrs(self, rows: range, xf_map: Callable[[int], int]) -> list[str]:
        """Each row's style attribute (' s="n"' with the final id, or '')."""
        texts = [f' s="{xf_map(sid)}"' if sid else "" for sid in self.ids]
        if len(texts) == 1:
            return texts * len(rows)
        return [texts[c] for c in self.codes[rows.start : rows.stop].tolist()]


def _column_styles(
    ws: Worksheet,
    n: int,
    width: int,
    proto: Callable[[int, str, str], WriteOnlyCell],
    kinds: Sequence[str],
    per_row: dict[int, list[str]],
    looks: Sequence[str] | None,
    dates: list[tuple[int, Any]],
) -> list[_Styles]:
    """Each column's style ids over n rows. A cell's style is its prototype's, one per (column,
    kind, look); the prototypes are made, and their styles registered with the workbook, in the
    order openpyxl meets their first cells (row by row, left to right), each date's number format
    (`dates`: _dates) just after its cell's prototype, so every font, format and style id is the
    one openpyxl gives."""
    registry = ws.parent._cell_styles
    look_at, look_names = _factorize(looks or [""] * n)
    # columns sharing a kind, or one list of row_kinds, share their keys
    shared: dict[object, tuple[np.ndarray, list[int], list[tuple[str, str]]]] = {}
    found: list[tuple[int, int, Any]] = [(at, 1, value) for at, value in dates]
    out: list[_Styles] = []
    for i in range(width):
        row_kinds = per_row.get(i)
        by = kinds[i] if row_kinds is None else id(row_kinds)
        if by not in shared:
            kind_at, kind_names = _factorize(row_kinds or [kinds[i]] * n)
            codes, pairs = _factorize(kind_at * len(look_names) + look_at)
            first = np.unique(codes, return_index=True)[1].tolist()
            keys = [divmod(pair, len(look_names)) for pair in pairs]
            shared[by] = codes, first, [(kind_names[k], look_names[lk]) for k, lk in keys]
        codes, first, keys = shared[by]
        found += [(row * width + i, 0, (i, code, kind, look))  # first cell row-major
                  for code, (row, (kind, look)) in enumerate(zip(first, keys, strict=True))]  # fmt: skip
        out.append(_Styles([0] * len(keys), codes))
    for _, is_date, what in sorted(found, key=lambda f: f[:2]):
        if is_date:  # openpyxl gives the cell a date format as it takes the value
            WriteOnlyCell(ws, value=what)
            continue
        i, code, kind, look = what
        array = proto(i, kind, look)._style
        out[i].ids[code] = registry.add(array) if any(array) else 0
    return out


@dataclass
class _Run:
    """One block's data rows: where they start, their values and each cell's style."""

    first_row: int
    columns: list[list[Any]]  # each column's values, top to bottom
    styles: list[_Styles]  # each column's style ids
    levels: list[int] = field(default_factory=list)  # outline level per row (>0: collapsed)
    heights: list[float] = field(default_factory=list)  # row height in points (0: automatic)
    outline_open: bool = False  # rows with a level stay shown (P&L groups) rather than collapsed

    def row_attrs(self, rows: range) -> list[str]:
        """Each row's attributes beyond its number, in the order openpyxl writes them."""
        levels = self.levels[rows.start : rows.stop] or [0] * len(rows)
        heights = self.heights[rows.start : rows.stop] or [0.0] * len(rows)
        hidden = "" if self.outline_open else ' hidden="1"'
        return [
            (f'{hidden} outlineLevel="{level}"' if level else "")
            + (f' ht="{height:g}" customHeight="1"' if height else "")
            for level, height in zip(levels, heights, strict=True)
        ]


@dataclass
class DeferredRows:
    """Data rows held back from openpyxl, by sheet, to be rendered and spliced in later."""

    runs: dict[str, list[_Run]] = field(default_factory=dict)

    def block(
        self,
        ws: Worksheet,
        placeholder: Callable[[int], None],
        first_row: int,
        block: Block,
        proto: Callable[[int, str, str], WriteOnlyCell],
        kinds: Sequence[str],
        per_row: dict[int, list[str]],
        links: dict[int, list[object]],
        looks: Sequence[str] | None = None,
        levels: Sequence[int] = (),
        heights: Sequence[float] = (),
    ) -> bool:
        """Register the block's data rows as openpyxl would write them; `placeholder(n)` stands in
        for them in the sheet (its first row, empty). False (and nothing registered or written)
        when a value is one only openpyxl writes.

        `per_row`: the kinds of columns whose kind changes from row to row; `looks`: each row's
        look; `levels`: each row's outline level, written on the row (collapsed) as openpyxl
        writes it; `heights`: each row's height in points (0: automatic).
        """
        columns = block_columns(block)
        if not all(map(_renderable, columns)):
            return False
        n = len(columns[0]) if columns else 0
        for r in range(n if links else 0):  # row by row, as openpyxl collects them from cells
            for i, targets in links.items():
                target = targets[r]
                if not target:
                    continue
                if type(target) is not str:
                    raise Unrenderable("a hyperlink that is not text")
                if columns[i][r] is None:
                    columns[i][r] = target
                ref = f"{get_column_letter(i + 1)}{first_row + r}"
                ws._hyperlinks.append(hyperlink(ref, target))
        dates = _dates(ws, columns)
        styles = (
            _column_styles(ws, n, len(columns), proto, kinds, per_row, looks, dates) if n else []
        )
        self.runs.setdefault(ws.title, []).append(
            _Run(first_row, columns, styles, list(levels), list(heights), block.outline_open)
        )
        placeholder(n)
        return True

    def render(
        self, sheet: str, xf_map: Callable[[int], int], raw: bool
    ) -> list[tuple[int, int, str]]:
        """Each block's rows as XML: (first row, last row, text), with final style ids."""
        out = []
        for run in self.runs.get(sheet, []):
            n = len(run.columns[0]) if run.columns else 0
            letters = [get_column_letter(i + 1) for i in range(len(run.columns))]
            text: list[str] = []
            for start in range(0, n, RENDER_ROWS):  # a few thousand rows at a time
                rows = range(start, min(start + RENDER_ROWS, n))
                numbers = [str(run.first_row + r) for r in rows]
                columns = [
                    _column_xml(letter, values[rows.start : rows.stop],
                                styles.attrs(rows, xf_map), numbers, raw)
                    for letter, values, styles in zip(letters, run.columns, run.styles,
                                                      strict=True)
                ]  # fmt: skip
                cells = map("".join, zip(*columns, strict=True))
                # a row with neither cells nor attributes is written empty, '<row r="7"/>'
                text += [
                    f'<row r="{r}"{attrs}>{row}</row>' if row or raw else f'<row r="{r}"{attrs}/>'
                    for r, attrs, row in zip(numbers, run.row_attrs(rows), cells, strict=True)
                ]
            out.append((run.first_row, run.first_row + n - 1, "".join(text)))
        return out

    def splice(self, sheet: str, xml: bytes, xf_map: Callable[[int], int], raw: bool) -> bytes:
        """The sheet's XML with each placeholder (a run's first row, empty) replaced by its rows."""
        empty = '<row r="{}"></row>' if raw else '<row r="{}"/>'
        pieces: list[bytes] = []
        at = 0
        for first, last, text in self.render(sheet, xf_map, raw):
            if last < first:
                continue
            placeholder = empty.format(first).encode()
            start = xml.find(placeholder, at)
            if start < 0:
                raise Unrenderable(f"{sheet}: placeholder row {first} not found")
            pieces += [xml[at:start], text.encode("utf-8")]
            at = start + len(placeholder)
        pieces.append(xml[at:])
        return b"".join(pieces)

"""Data rows rendered straight to XML, for sheets of tens of thousands of rows.

openpyxl's write-only writer spends about 20 microseconds per cell (a cell object, then its XML
through lxml). `xlsx.write_sheet` hands a block's data rows to a `DeferredRows` instead: openpyxl
writes an empty placeholder row for each, and everything else as before (titles, headers,
totals, widths, filters, validations, hyperlinks, styles). This module does for the data rows
exactly what openpyxl would have done, cell by cell:

- styles: the same prototype StyleArray objects registered in the workbook in the same order
  (a link column's prototype carries the link font), so styles.xml and every style id match;
- values: openpyxl's typing (numbers, booleans, text, error codes, "=" text kept as text),
  `check_string` (32,767 characters, illegal characters refused) and `safe_string`;
- hyperlinks: registered with the sheet in the order openpyxl writes them.

The rows are then rendered as XML text and spliced over the placeholders, in the form the sheet
has in the end: openpyxl's own (`raw`) for a new workbook, or as `package.transplant` re-serialises
it with lxml for an update. Values openpyxl would turn into dates (or refuse) raise `Unrenderable`:
the caller writes that workbook the slow way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.compat.numbers import NUMERIC_TYPES
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from .spec import Block, _missing, _plain

MAX_TEXT = 32767  # openpyxl's check_string truncates text to this length
RENDER_ROWS = 4096



def hyperlink(ref: str, target: str) -> Hyperlink:
    """A link from cell `ref`: "#'Sheet'!A1" goes to a place in this workbook (a location, no
    relationship), anything else to a file or address."""
    if target.startswith("#"):
        return Hyperlink(ref=ref, location=target[1:])
    return Hyperlink(ref=ref, target=target)

class Unrenderable(Exception):
    """A value the fast renderer does not reproduce exactly (dates, objects): write the slow way."""


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


def cell_xml(ref: str, style: str, value: Any, raw: bool) -> str:
    """One cell as openpyxl's lxml_write_cell writes it (`style`: ' s="n"' or '')."""
    kind = type(value)
    # numbers exactly as openpyxl's safe_string formats them ("%.16g", "" for NaN and infinity)
    if kind is float:
        number = "" if value != value or value in (math.inf, -math.inf) else "%.16g" % value  # noqa: UP031
    elif kind is int:
        number = "%.16g" % value  # noqa: UP031
    elif value is None:
        return f'<c r="{ref}"{style} t="n"></c>' if raw else f'<c r="{ref}"{style} t="n"/>'
    elif kind is str:
        return _text_cell(ref, style, value, raw)
    elif isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    elif isinstance(value, NUMERIC_TYPES):
        number = safe_string(value)
    elif isinstance(value, str):
        return _text_cell(ref, style, str(value), raw)
    else:
        raise Unrenderable(f"{kind.__name__} value")
    if not number:
        return (
            f'<c r="{ref}"{style} t="n"><v></v></c>'
            if raw
            else f'<c r="{ref}"{style} t="n"><v/></c>'
        )
    return f'<c r="{ref}"{style} t="n"><v>{number}</v></c>'


def _text_cell(ref: str, style: str, value: str, raw: bool) -> str:
    """A text cell: inline string, or an error code (openpyxl types "#N/A" as an error)."""
    value = _text(value)
    if value in ERROR_CODES:
        return f'<c r="{ref}"{style} t="e"><v>{value}</v></c>'
    if value == "":
        empty = f'<c r="{ref}"{style} t="inlineStr"'
        return empty + ("></c>" if raw else "/>")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(value, raw)}</t></is></c>'


def _column_xml(
    run: _Run, i: int, rows: range, xf_map: Callable[[int], int], raw: bool
) -> list[str]:
    """Column i of some rows of a run, one cell text per row ("" where openpyxl writes none)."""
    letter = get_column_letter(i + 1)
    values = [run.values[r][i] for r in rows]
    numbers = [str(run.first_row + r) for r in rows]
    ids = run.varying.get(i)
    if ids is None:  # one style down the column: whole columns of numbers go in one pass
        sid = run.styles[i]
        style = "" if sid is None else f' s="{xf_map(sid)}"'
        kinds = {type(v) for v in values}
        if sid is not None and kinds <= {float, int} and all(v - v == 0 for v in values):
            head, tail = f'<c r="{letter}', f'"{style} t="n"><v>'
            texts = ["%.16g" % v for v in values]  # noqa: UP031 (openpyxl's safe_string)
            return [f"{head}{n}{tail}{t}</v></c>" for n, t in zip(numbers, texts, strict=True)]
        ids = [sid] * len(rows)
    else:
        ids = ids[rows.start : rows.stop]
    styles: dict[int | None, str] = {None: ""}
    out = []
    for n, value, sid in zip(numbers, values, ids, strict=True):
        if sid is None and value is None:
            out.append("")  # empty and unstyled: openpyxl does not write it
            continue
        style = styles.get(sid)
        if style is None:
            style = styles[sid] = f' s="{xf_map(sid)}"'
        out.append(cell_xml(letter + n, style, value, raw))
    return out


def block_values(block: Block) -> list[list[Any]]:
    """Block.values(), column by column: whole numeric columns converted at once."""
    frame, n = block.rows, len(block.rows)
    cols: list[list[Any]] = []
    for c in block.columns:
        if c.key not in frame.columns:
            cols.append([None] * n)
            continue
        series = frame[c.key]
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
        if kind in "iub" and kind:
            cols.append(series.to_numpy().tolist())
        elif kind == "f":
            array = series.to_numpy()
            values = array.tolist()
            for i in np.flatnonzero(np.isnan(array)).tolist():
                values[i] = None
            cols.append(values)
        elif series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            missing = series.isna().to_numpy().tolist()
            cols.append([None if m else v if type(v) is str else _plain(v)
                         for v, m in zip(series.tolist(), missing, strict=True)])  # fmt: skip
        else:
            cols.append([None if _missing(v) else _plain(v) for v in series.tolist()])
    return [list(r) for r in zip(*cols, strict=True)] if cols else []


@dataclass
class _Run:
    """One block's data rows: where they start, their values and each cell's style id."""

    first_row: int
    values: list[list[Any]]
    styles: list[int | None]  # scratch style id per column (None: written without a style)
    varying: dict[int, list[int | None]]  # per-row style ids of columns whose style varies
    levels: list[int] = field(default_factory=list)  # outline level per row (>0: collapsed)
    heights: list[float] = field(default_factory=list)  # row height in points (0: automatic)
    outline_open: bool = False  # rows with a level stay shown (P&L groups) rather than collapsed

    def row_attrs(self, r: int) -> str:
        """Row r's attributes beyond its number, in the order openpyxl writes them."""
        level = self.levels[r] if self.levels else 0
        height = self.heights[r] if self.heights else 0
        hidden = "" if self.outline_open else ' hidden="1"'
        out = f'{hidden} outlineLevel="{level}"' if level else ""
        if height:
            out += f' ht="{height:g}" customHeight="1"'
        return out


@dataclass
class DeferredRows:
    """Data rows held back from openpyxl, by sheet, to be rendered and spliced in later."""

    runs: dict[str, list[_Run]] = field(default_factory=dict)

    def block(
        self,
        ws: Worksheet,
        append: Callable[[list[object]], None],
        first_row: int,
        block: Block,
        proto: Callable[[int, str, str], WriteOnlyCell],
        kinds: Sequence[str],
        per_row: dict[int, list[str]],
        links: dict[int, list[object]],
        looks: Sequence[str] | None = None,
        levels: Sequence[int] = (),
        heights: Sequence[float] = (),
    ) -> None:
        """Register the block's data rows as openpyxl would write them; write placeholders.

        Only columns with per-row kinds or links (every column, with per-row looks) can change
        style after the first row, so only they are looked at again on later rows. `levels`:
        each row's outline level, written on the row (collapsed) as openpyxl writes it; `heights`:
        each row's height in points (0: automatic).
        """
        registry = ws.parent._cell_styles
        seen: dict[int, tuple[int, int]] = {}  # id(style array) -> (its font when added, id)

        def style_id(array: StyleArray) -> int | None:
            if not any(array):
                return None
            known = seen.get(id(array))
            if known is None or known[0] != array.fontId:
                known = (array.fontId, registry.add(array))
                seen[id(array)] = known
            return known[1]

        values = block_values(block)
        varying = sorted(set(per_row) | set(links))
        if looks:
            varying = list(range(len(block.columns)))
        run = _Run(first_row, values, [], {i: [] for i in varying}, list(levels),
                   list(heights), block.outline_open)  # fmt: skip
        arrays: list[StyleArray] = []
        for r, row in enumerate(values):
            columns = range(len(row)) if r == 0 else varying
            for i in columns:
                look = looks[r] if looks else ""
                array = proto(i, per_row[i][r] if i in per_row else kinds[i], look)._style
                if r == 0:
                    arrays.append(array)
                else:
                    arrays[i] = array
            for i, targets in links.items():
                target = targets[r]
                if not target:
                    continue
                if type(target) is not str:
                    raise Unrenderable("a hyperlink that is not text")
                if row[i] is None:
                    row[i] = target
                ref = f"{get_column_letter(i + 1)}{first_row + r}"
                ws._hyperlinks.append(hyperlink(ref, target))
            ids = [style_id(arrays[i]) for i in columns]
            if r == 0:
                run.styles = ids
            for i, sid in zip(columns, ids, strict=True):
                if i in run.varying:
                    run.varying[i].append(sid)
            append([])
        self.runs.setdefault(ws.title, []).append(run)

    def render(
        self, sheet: str, xf_map: Callable[[int], int], raw: bool
    ) -> list[tuple[int, int, str]]:
        """Each block's rows as XML: (first row, last row, text), with final style ids."""
        out = []
        empty_row = '<row r="{}"></row>' if raw else '<row r="{}"/>'
        for run in self.runs.get(sheet, []):
            width = max(map(len, run.values), default=0)
            text: list[str] = []
            for start in range(0, len(run.values), RENDER_ROWS):  # a few thousand rows at a time
                rows = range(start, min(start + RENDER_ROWS, len(run.values)))
                columns = [_column_xml(run, i, rows, xf_map, raw) for i in range(width)]
                for r, cells in zip(rows, zip(*columns, strict=True), strict=True):
                    n = run.first_row + r
                    row = "".join(cells)
                    attrs = run.row_attrs(r)
                    if attrs:  # a collapsed or sized row, as openpyxl writes it
                        text.append(f'<row r="{n}"{attrs}>{row}</row>' if row or raw
                                    else f'<row r="{n}"{attrs}/>')  # fmt: skip
                    else:
                        text.append(f'<row r="{n}">{row}</row>' if row else empty_row.format(n))
            out.append((run.first_row, run.first_row + len(run.values) - 1, "".join(text)))
        return out

    def splice(self, sheet: str, xml: bytes, xf_map: Callable[[int], int], raw: bool) -> bytes:
        """The sheet's XML with each placeholder run replaced by its rendered rows."""
        empty = '<row r="{}"></row>' if raw else '<row r="{}"/>'
        pieces: list[bytes] = []
        at = 0
        for first, last, text in self.render(sheet, xf_map, raw):
            if last < first:
                continue
            placeholder = "".join(empty.format(n) for n in range(first, last + 1)).encode()
            start = xml.find(placeholder, at)
            if start < 0:
                raise Unrenderable(f"{sheet}: placeholder rows {first}-{last} not found")
            pieces += [xml[at:start], text.encode("utf-8")]
            at = start + len(placeholder)
        pieces.append(xml[at:])
        return b"".join(pieces)

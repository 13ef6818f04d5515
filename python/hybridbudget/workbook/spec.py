"""A sheet as data: titled blocks of typed columns. Backends render it; readers read it back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.favourability import number_formats

LINE_POINTS = 13.0  # one line of 10-point body text, in points
HEADING = "heading"  # a row look: bold on a pale band, not an input (a group's heading row)
FILL_LOOK = "fill:"  # a row look "fill:RRGGBB": the row's non-input cells on that colour (a status)


def fill_look(rgb: str) -> str:
    """The row look that puts a row's non-input cells on colour `rgb` (hex, no #)."""
    return FILL_LOOK + rgb


def look_fill(look: object) -> str:
    """The colour of a fill look ("" for any other look)."""
    return look[len(FILL_LOOK) :] if isinstance(look, str) and look.startswith(FILL_LOOK) else ""


_CENTS, _DOLLARS, _PCT = (number_formats(p) for p in ("#,##0.00", "#,##0", "0.0%"))
# Number formats by column kind, shared by every backend and every sheet. Money is in accounting
# format (negatives in parentheses, never red); a difference column takes a _up/_down kind
# (engine/favourability.variance_kind) so that red marks only the unfavourable side.
NUMBER_FORMATS: dict[str, str] = {
    "text": "General",
    "int": "#,##0",
    "year": "0",  # a fiscal year, never 2,027
    "money": _CENTS["neutral"],
    "money_up": _CENTS["up"],
    "money_down": _CENTS["down"],
    "dollars": _DOLLARS["neutral"],  # summary sheets: whole dollars, the value keeps its cents
    "dollars_up": _DOLLARS["up"],
    "dollars_down": _DOLLARS["down"],
    "pct_up": _PCT["up"],
    "pct_down": _PCT["down"],
    "rate": "#,##0.00",
    "pct": "0.0%",
    "pct2": "0.00%",
    "ratio": "0.0000",
    "fte": "#,##0.00",
    "hours": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
DEFAULT_WIDTHS: dict[str, float] = {
    "text": 18,
    "int": 11,
    "year": 8,
    "money": 15,
    "money_up": 15,
    "money_down": 15,
    "dollars": 13,
    "dollars_up": 13,
    "dollars_down": 13,
    "pct_up": 9,
    "pct_down": 9,
    "rate": 11,
    "pct": 9,
    "pct2": 9,
    "ratio": 9,
    "fte": 9,
    "hours": 11,
    "date": 12,
    "datetime": 17,
}


MONEY_KINDS = frozenset(k for k in NUMBER_FORMATS if k.startswith(("money", "dollars")))


@dataclass(frozen=True)
class Column:
    """One column: its header, the DataFrame column it shows, how it is formatted."""

    header: str
    key: str
    kind: str = "text"
    width: float | None = None
    editable: bool = False  # shaded as an input cell
    kind_from: str = ""  # a DataFrame column naming each row's kind (mixed-format columns)
    link_from: str = ""  # a DataFrame column holding each row's hyperlink target ("" = none)
    choices: tuple[str, ...] = ()  # editable column restricted to these values (a list in Excel)
    wrap: bool = False  # long text wraps in its cell (the row grows), nothing is cut off
    grouped: bool = False  # in a collapsed column outline group (the + above the columns opens it)

    @property
    def number_format(self) -> str:
        return NUMBER_FORMATS[self.kind]

    @property
    def col_width(self) -> float:
        return self.width if self.width is not None else DEFAULT_WIDTHS[self.kind]


@dataclass(frozen=True)
class Block:
    """A titled table: a title row, a header row, then one row per DataFrame row."""

    title: str
    columns: tuple[Column, ...]
    rows: pd.DataFrame
    total_label: str = ""  # if set, a bold total row sums the numeric money/int/fte columns
    look_from: str = ""  # a DataFrame column naming each row's look: "", HEADING or fill_look()
    style_from: str = ""  # a DataFrame column: "total" (bold, rule above) or "head" (bold) rows
    outline_from: str = ""  # a DataFrame column with each row's outline level (Excel groups)
    outline_open: bool = False  # False: rows with a level are collapsed; True: groups shown open
    break_from: str = ""  # a DataFrame column: True where a printed page starts at that row
    height_from: str = ""  # a DataFrame column: each row's height in points (0: automatic)

    def row_values(self, key: str, default: object) -> list[object]:
        """A per-row setting (`look_from`, `outline_from`, `break_from`) for every row."""
        if key and key in self.rows.columns:
            return plain_values(self.rows[key], default)
        return [default] * len(self.rows)

    def values(self) -> list[list[object]]:
        """The block's cells, row by row, in column order (None for missing)."""
        frame = self.rows
        cols = []
        for c in self.columns:
            series = frame[c.key] if c.key in frame.columns else pd.Series([None] * len(frame))
            cols.append([None if _missing(v) else _plain(v) for v in series.tolist()])
        return [list(r) for r in zip(*cols, strict=True)] if cols else []


@dataclass(frozen=True)
class Sheet:
    """A whole sheet: a title, notes under it, blocks stacked with one blank row between."""

    name: str
    title: str
    blocks: tuple[Block, ...]
    notes: tuple[str, ...] = ()
    freeze_block: int | None = 0  # freeze panes under this block's header (None: no freeze)
    freeze_columns: int = 1  # with freeze_block: the key columns kept in view, printed each page
    paper: str = ""  # letter, tabloid, legal, a4, a3 ("": the printer's default)
    print_columns: int = 0  # print only the first N columns (0: every column; notes cut there)
    pages_wide: int = 1  # printed this many pages wide (a very wide sheet stays legible)
    landscape: bool = True
    tab_color: str = ""
    protect_password: str = ""  # protect the sheet (editable columns stay unlocked)


def split_kind(kind: str) -> tuple[str, str]:
    """'dollars|total' -> ('dollars', 'total'): a row style rides on the kind (spec.Block)."""
    base, _, style = kind.partition("|")
    return base, style


def row_kinds(block: Block) -> dict[int, list[str]]:
    """Column index -> each row's kind, for columns whose rows differ (kind_from, row styles).
    Columns of one kind and kind_from share one list (read only)."""
    frame = block.rows
    styles = (
        [str(s) for s in plain_values(frame[block.style_from], "")]
        if block.style_from and block.style_from in frame.columns
        else None
    )
    made: dict[tuple[str, str], list[str]] = {}
    out = {}
    for i, c in enumerate(block.columns):
        kind_from = c.kind_from if c.kind_from and c.kind_from in frame.columns else ""
        if not (kind_from or styles):
            continue
        if (c.kind, kind_from) not in made:
            made[(c.kind, kind_from)] = _row_kinds(frame, c.kind, kind_from, styles)
        out[i] = made[(c.kind, kind_from)]
    return out


def _row_kinds(
    frame: pd.DataFrame, kind: str, kind_from: str, styles: list[str] | None
) -> list[str]:
    """Each row's kind: its own (`kind_from`, else `kind`: a heading row takes the column's),
    with the row's style ("dollars|total")."""
    if kind_from:
        kinds = [str(k) if k else kind for k in plain_values(frame[kind_from], "")]
        if styles is None:
            return kinds
        return [f"{k}|{s}" if s else k for k, s in zip(kinds, styles, strict=True)]
    styled = {s: f"{kind}|{s}" if s else kind for s in set(styles or ())}  # each made once
    return [styled[s] for s in styles or ()]


def outline_levels(block: Block) -> list[int] | None:
    """Each data row's outline level, or None when the block has no outline."""
    if not block.outline_from or block.outline_from not in block.rows.columns:
        return None
    return [int(v or 0) for v in block.row_values(block.outline_from, 0)]


def wrapped_lines(text: str, width: float) -> int:
    """How many lines a text wraps to in a column `width` characters wide (greedy, by word)."""
    per_line = max(1, int(width * 1.15))  # 10-point body text in columns sized for 11-point
    lines, used = 1, 0
    for word in str(text).split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= per_line:
            used = need
        else:
            lines += 1 + (len(word) - 1) // per_line
            used = len(word) % per_line or per_line
    return lines


def wrapped_height(row: Mapping[str, object], columns: Sequence[Column],
                   line_points: float = 13.0) -> float:  # fmt: skip
    """A data row's height in points so that its wrapped text shows in full (0: one line)."""
    lines = max(
        [wrapped_lines(row[c.key], c.col_width) for c in columns
         if c.wrap and isinstance(row.get(c.key), str) and row[c.key]] or [1]
    )  # fmt: skip
    return lines * line_points + 2 if lines > 1 else 0.0


def row_heights(block: Block) -> list[float]:
    """Each data row's height in points (0: automatic): the block's own (`height_from`), else tall
    enough for its wrapped columns, since a printed row does not grow by itself."""
    if block.height_from:
        return [float(v or 0) for v in block.row_values(block.height_from, 0)]
    if not any(c.wrap for c in block.columns):
        return [0.0] * len(block.rows)
    wrapped = list(dict.fromkeys(c.key for c in block.columns if c.wrap and c.key in block.rows))
    rows = block.rows[wrapped].to_dict("records")  # only what wrapped_height reads
    return [wrapped_height(r, block.columns, LINE_POINTS) for r in rows]


def header_height(columns: tuple[Column, ...]) -> float | None:
    """The header row's height so that every wrapped header shows in full (None: one line)."""
    lines = max((wrapped_lines(c.header, c.col_width / 1.1) for c in columns), default=1)
    return LINE_POINTS * lines + 2 if lines > 1 else None


def plain_values(series: pd.Series, default: object = None) -> list[object]:
    """The series' values as plain Python values, `default` where missing (whole numeric columns
    converted at once)."""
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind and kind in "iub":
        return series.to_numpy().tolist()
    if kind == "f":
        array = series.to_numpy()
        values = array.tolist()
        for i in np.flatnonzero(np.isnan(array)).tolist():
            values[i] = default
        return values
    missing = series.isna().to_numpy().tolist()
    return [default if m else v if type(v) is str else _plain(v)
            for v, m in zip(series.tolist(), missing, strict=True)]  # fmt: skip


def _missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> object:
    """numpy scalars to Python scalars (backends want plain values)."""
    item = getattr(v, "item", None)
    return item() if callable(item) else v

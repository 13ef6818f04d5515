"""The P&L block that Targets, Consolidated, Plan and every Locked Plan open with.

Presentation only: later steps read the detail block below it (by title), never this one. Its
columns line up with the detail block's (same widths, the line label above "Line item name",
Annual and the months above theirs), so both read on one even grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..engine.pnl import AMOUNT_KEYS, pnl_frame
from ..engine.rollup import hierarchy
from ..model.reference import Reference
from ..workbook.spec import Block, Column

PNL_TITLE = "P&L by level: system, entity, service line, cost center (outline: Data > Group)"
PNL_NOTE = (
    "The P&L opens the sheet: each level in finance's order, totals on top of what they sum; use "
    "the outline buttons 1-4 at the left to collapse to system, entity, service line or cost "
    "center. Margin % is of net revenue. Whole dollars shown (cells keep the cents); subtotals "
    "are engine sums in cents. The detail block below is what later steps read."
)
_SHEET_KINDS = {"money": "dollars", "int": "int", "pct": "pct", "fte": "fte", "text": "text"}
# detail column key -> (P&L header, P&L frame key); other detail columns stay blank in the P&L
_MIRROR = {
    "level": ("Level", "level"),
    "cost_center": ("Code", "code"),
    "code": ("Code", "code"),
    "cost_center_name": ("Name", "name"),
    "name": ("Name", "name"),
    "service_line_code": ("Service line", "service_line_code"),
    "entity_code": ("Entity", "entity_code"),
    "line_item": ("Line item", "key"),
    "line_item_name": ("Line", "label"),
}


def pnl_columns(detail: Sequence[Column]) -> tuple[Column, ...]:
    """The P&L's columns, one above each of the detail block's (Annual and months alike)."""
    out = []
    for c in detail:
        if c.key in AMOUNT_KEYS:
            out.append(Column(c.header, c.key, "dollars", c.width, kind_from="sheet_kind"))
        else:
            header, key = _MIRROR.get(c.key, ("", f"_blank_{c.key}"))
            out.append(Column(header, key, width=c.col_width))
    return tuple(out)


def key_columns(detail: Sequence[Column]) -> int:
    """How many columns to keep in view: up to the line label."""
    keys = [c.key for c in detail]
    return keys.index("line_item_name") + 1 if "line_item_name" in keys else 2


def pnl_block(
    ref: Reference,
    lines: pd.DataFrame,
    detail: Sequence[Column],
    volume: dict[str, tuple[float, ...]] | None = None,
    fte: dict[str, float] | None = None,
) -> Block:
    """The P&L of `lines` (cost_center, line_item, annual, m01..m12 in dollars) at every level,
    laid out over the columns of the `detail` block beneath it."""
    frame = pnl_frame(lines, hierarchy(ref), volume, fte, ref.config.system_name)
    frame["sheet_kind"] = frame.kind.map(_SHEET_KINDS)
    # who the block is about shows once, on its heading row; the lines read as a P&L
    lines_only = frame["style"].ne("head")
    frame.loc[lines_only, ["level", "code", "name", "entity_code", "service_line_code"]] = None
    frame["key"] = None
    return Block(
        PNL_TITLE,
        pnl_columns(detail),
        frame,
        outline_from="outline",
        style_from="style",
        outline_open=True,
    )

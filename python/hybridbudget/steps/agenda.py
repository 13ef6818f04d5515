"""The workshop agenda: the Divergence sheet's rows, in the order a room works through them.

One group per cost center with an item beyond tolerance, the cost center with the most material
gap first: a heading row, the items beyond tolerance (largest $ first), then the cost center's
other non-zero lines in a collapsed outline group. Lines without a gap are left out (unless they
carry a decision). Cost centers with every line within tolerance close the sheet, collapsed.

A decision is recorded against the bottom-up value it was taken on ("Bottom-up when decided"):
when a resubmission changes that value, the decision is kept and checked "submission changed
since decided", and the lock counts it undecided until someone picks "confirmed".
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..engine.escalation import MANAGER, EscalationRule
from ..engine.gaps import DECISIONS, EFFECTS, REVENUE_RATE
from ..engine.money import cents, sum_cents
from ..workbook.spec import HEADING, Column, header_height, wrapped_height

DECISION_KEYS = ("decision", "agreed_value", "owner", "note")
KEPT_KEYS = (*DECISION_KEYS, "confirm", "decided_bottom_up")
CONFIRMED = "confirmed"
CHANGED = "submission changed since decided"
WITHIN = "Others"  # column A of the heading over the cost centers with nothing to decide
BRIDGE = (("volume", "Volume"), (REVENUE_RATE, "Rate (revenue)"),
          *((k, label.removesuffix(" effect")) for k, label in EFFECTS[1:]))  # fmt: skip
BRIDGE_KEYS = tuple(k for k, _ in BRIDGE)
KEY_COLUMNS = 3  # cost center, line item, line item name: frozen in view
AGENDA_COLUMNS = (
    Column("Cost center", "cost_center", width=10),
    Column("Line item", "line_item", width=8),
    Column("Line item name", "line_item_name", width=18),
    Column("Top-down", "top_down", "money", width=12),
    Column("Bottom-up", "bottom_up", "money", width=12),
    Column("Gap $ (bottom-up - top-down)", "gap", "money", width=12, kind_from="fav_kind"),
    Column("Gap %", "gap_pct", "pct", width=7, kind_from="fav_pct_kind"),
    Column("Fav/Unfav", "fav", width=6),
    Column("Beyond tolerance", "flag", width=9),
    Column("UOS gap", "uos_gap", "int", width=9),
    Column("Paid FTE gap", "fte_gap", "fte", width=8),
    *(Column(label, key, "money", width=11, grouped=True) for key, label in BRIDGE),
    Column("Manager's rationale", "rationale", width=38, wrap=True),
    Column("Level", "level", "int", width=5),
    Column("Escalate to", "escalate_to", width=15),
    Column("Decision", "decision", width=16, editable=True, choices=DECISIONS),
    Column("Agreed value", "agreed_value", "money", width=13, editable=True),
    Column("Owner", "owner", width=14, editable=True),
    Column("Note", "note", width=26, editable=True, wrap=True),
    Column("Decision check", "check", width=18, wrap=True),
    Column("Confirm", "confirm", width=10, editable=True, choices=(CONFIRMED,)),
    Column("Bottom-up when decided", "decided_bottom_up", "money", width=13),
)
ROW_KEYS = [c.key for c in AGENDA_COLUMNS]
KIND_KEYS = ["fav_kind", "fav_pct_kind"]  # each line's gap formats: red only when unfavourable
PRINT_COLUMNS = ROW_KEYS.index("note") + 1  # the pack prints through the Note column
WRAPPED = [c for c in AGENDA_COLUMNS if c.wrap]
ROW_POINTS, LINE_POINTS = 15.0, 13.0
# The pack prints on tabloid (11x17 in) landscape, openpyxl's default margins (0.75 in sides,
# 1 in top and bottom), scaled to one page wide. Excel prints a column of width w as 7w + 5
# pixels (0.75 point each); LibreOffice prints narrower scales, so pages only gain room there.
PAPER = "tabloid"
PRINT_WIDTH, PRINT_HEIGHT = 15.5 * 72, 9.0 * 72


def page_points() -> float:
    """The sheet height (in points at 100%) one printed page holds, below the repeated header."""
    printed = [c for c in AGENDA_COLUMNS[:PRINT_COLUMNS] if not c.grouped]
    width = sum(0.75 * (7 * c.col_width + 5) for c in printed)
    scale = min(1.0, PRINT_WIDTH / width)
    return PRINT_HEIGHT / scale - (header_height(AGENDA_COLUMNS) or ROW_POINTS)


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != v:
        return None
    return float(v)


def decided_basis(d: Mapping[str, Any]) -> float | None:
    """The bottom-up value a decision was taken on: as recorded, else the value the row showed
    when the decision was typed (not yet recorded by a Divergence run)."""
    recorded = _number(d.get("decided_bottom_up"))
    return recorded if recorded is not None else _number(d.get("bottom_up"))


def is_decided(d: Mapping[str, Any]) -> bool:
    return bool(str(d.get("decision") or "").strip())


def is_confirmed(d: Mapping[str, Any]) -> bool:
    return str(d.get("confirm") or "").strip().lower() == CONFIRMED


def changed_since_decided(d: Mapping[str, Any], bottom_up: float) -> bool:
    """A decision taken on another bottom-up value than today's, not confirmed since."""
    if not is_decided(d) or is_confirmed(d):
        return False
    basis = decided_basis(d)
    return basis is not None and cents(basis) != cents(bottom_up)


def carried(d: Mapping[str, Any], bottom_up: float) -> dict[str, Any]:
    """The decision cells a re-run writes back: a confirmation moves the basis to today's value
    (and is cleared); a changed submission is checked, the decision kept."""
    out = {k: d.get(k) for k in DECISION_KEYS}
    if not is_decided(d):
        return out | {"confirm": None, "decided_bottom_up": None, "check": ""}
    basis = decided_basis(d)
    if is_confirmed(d) or basis is None:
        basis = bottom_up
    changed = cents(basis) != cents(bottom_up)
    return out | {"confirm": None, "decided_bottom_up": basis, "check": CHANGED if changed else ""}


def order_agenda(lines: pd.DataFrame) -> pd.DataFrame:
    """Agenda order: cost centers by their material gap, items beyond tolerance by $ first, then
    the other lines by $; zero-gap lines without a decision left out. Adds `group`
    (0: a cost center with items to decide, 1: every line within tolerance) and `stake`."""
    if lines.empty:
        return lines.assign(group=[], stake=[])
    frame = lines.assign(_size=lines.gap.abs(), _flag=lines.flag == "Yes")
    decided = frame.decision.fillna("").astype(str).str.strip() != ""
    frame = frame[(frame.gap != 0) | decided]
    stake = frame[frame._flag].groupby("cost_center")._size.sum()
    total = frame.groupby("cost_center")._size.sum()
    frame = frame.assign(
        stake=frame.cost_center.map(stake).fillna(0.0),
        _total=frame.cost_center.map(total).fillna(0.0),
    )
    frame = frame.assign(group=(frame.stake == 0).astype(int))
    frame = frame.sort_values(
        ["group", "stake", "_total", "cost_center", "_flag", "_size", "line_item"],
        ascending=[True, False, False, True, False, False, True],
    )
    return frame.drop(columns=["_size", "_flag", "_total"]).reset_index(drop=True)


def row_height(row: Mapping[str, Any]) -> float:
    """A row tall enough for its wrapped rationale, note and check (0: one line, automatic)."""
    return wrapped_height(row, WRAPPED, LINE_POINTS)


def sheet_rows(agenda: pd.DataFrame, names: Mapping[str, str], lines_of: Mapping[str, str],
               above: float = 0.0) -> pd.DataFrame:  # fmt: skip
    """The agenda as sheet rows: a heading row per cost center, its items, a label row over its
    collapsed other lines; per row `_look`, `_outline`, `_height` and `_break` (a printed page
    starts there: a cost center that fits on a page is never split). `above`: the height of
    what the first page prints above the agenda's rows (title, notes, block title)."""
    rows: list[dict[str, Any]] = []
    page, used = page_points(), above

    def add(row: dict[str, Any], look: str = "", outline: int = 0) -> None:
        rows.append(row | {"_look": look, "_outline": outline, "_break": False,
                           "_height": row_height(row) if not outline else 0.0})  # fmt: skip

    records = agenda[[*ROW_KEYS, *KIND_KEYS, "group"]].to_dict(
        "records"
    )  # once: groups are consecutive
    deciding: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if r["group"] == 0:
            deciding.setdefault(r["cost_center"], []).append(r)
    closing = [r for r in records if r["group"] == 1]
    for cc, part in deciding.items():
        items = [r for r in part if r["flag"] == "Yes"]
        others = [r for r in part if r["flag"] != "Yes"]
        stake = sum_cents([abs(r["gap"]) for r in items])
        heading = {"cost_center": cc, "line_item_name": (
            f"{names.get(cc, '')} ({lines_of.get(cc, '')}): {len(items)} to decide, "
            f"{stake:,.0f} at stake")}  # fmt: skip
        start = len(rows)
        add(heading, HEADING)
        for r in items:
            add(r)
        if others:
            add({"cost_center": cc, "line_item_name": f"{len(others)} other lines within "
                 "tolerance (+ at the left opens them)"})  # fmt: skip
            for r in others:
                add(r, outline=1)
        height = sum(r["_height"] or ROW_POINTS for r in rows[start:] if not r["_outline"])
        if used > above and used + height > page and height <= page:
            rows[start]["_break"], used = True, 0.0  # start the cost center on a new page
        used += height
    if closing:
        n = len({r["cost_center"] for r in closing})
        text = f"{n} cost centers with every line within tolerance: {len(closing)} lines (+ opens)"
        add({"cost_center": WITHIN, "line_item_name": text}, HEADING)
        for r in closing:
            add(r, outline=1)
    return pd.DataFrame(
        rows, columns=[*ROW_KEYS, *KIND_KEYS, "_look", "_outline", "_height", "_break"]
    )


def header_strip(agenda: pd.DataFrame, rule: EscalationRule) -> tuple[str, str]:
    """Items to decide, decided, total gap at stake; then the same by escalation level."""
    items = agenda[agenda.flag == "Yes"] if len(agenda) else agenda
    if not len(items):
        return "Nothing to decide: every line is within tolerance.", ""
    decided = items.decision.fillna("").astype(str).str.strip() != ""
    changed = items.check == CHANGED
    done = decided & ~changed
    stake = sum_cents(items.gap.abs())
    first = (
        f"To decide: {len(items)} items beyond tolerance in {items.cost_center.nunique()} cost "
        f"centers, {stake:,.0f} at stake. Decided: {int(done.sum())}"
        + (f" (and {int(changed.sum())} {CHANGED}: confirm or change)" if changed.any() else "")
        + f"; still to decide: {len(items) - int(done.sum())}."
    )
    parts = []
    levels = [*((i, lv.role) for i, lv in reversed(list(enumerate(rule.levels, 1)))), (0, MANAGER)]
    for n, role in levels:
        mine = items.level.fillna(0).astype(int) == n
        if mine.any():
            parts.append(f"{role} {int(mine.sum())} items, {sum_cents(items[mine].gap.abs()):,.0f}"
                         f" ({int((mine & done).sum())} decided)")  # fmt: skip
    return first, "By escalation level: " + "; ".join(parts) + "."


def row_fields(
    bridge: Mapping[str, float], uos_gap: float, fte_gap: float, rule: EscalationRule,
    gap: float, target: float, flag: bool,
) -> dict[str, Any]:  # fmt: skip
    """A line's gap context: UOS and FTE gap, its driver bridge, its escalation."""
    level = rule.level(gap, target) if flag else 0
    return {"uos_gap": uos_gap, "fte_gap": fte_gap,
            "level": level or None,
            "escalate_to": (rule.levels[level - 1].role if level else MANAGER) if flag else ""
            } | {k: bridge.get(k) for k in BRIDGE_KEYS}  # fmt: skip


def bridge_rows(
    groups: Sequence[tuple[str, str, str, list[str]]],
    per_cc: Mapping[str, tuple[dict[str, float], dict[str, float], float, float, float, float]],
) -> pd.DataFrame:
    """Bridge per level and measure: (level, code, name, cost centers) -> revenue and expense
    rows, each effect summed in cents over the cost centers (so they add up to the gap)."""
    rows = []
    for level, code, name, ccs in groups:
        for measure, i, td_i in (("Revenue", 0, 2), ("Expense", 1, 4)):
            keys = ("volume", REVENUE_RATE) if measure == "Revenue" else [k for k, _ in EFFECTS]
            td = sum_cents([per_cc[c][td_i] for c in ccs])
            bu = sum_cents([per_cc[c][td_i + 1] for c in ccs])
            rows.append(
                {"level": level, "code": code, "name": name, "measure": measure,
                 "top_down": td, "bottom_up": bu, "gap": sum_cents([bu, -td])}
                | {k: sum_cents([per_cc[c][i][k] for c in ccs]) for k in keys}
            )  # fmt: skip
    return pd.DataFrame(rows)


def workshop_counts(agenda: pd.DataFrame) -> dict[str, int]:
    """Items beyond tolerance and how many of them have no decision yet (for Start here)."""
    if not len(agenda):
        return {"workshop.beyond": 0, "workshop.undecided": 0}
    beyond = agenda.flag == "Yes"
    blank = agenda.decision.fillna("").astype(str).str.strip() == ""
    return {"workshop.beyond": int(beyond.sum()), "workshop.undecided": int((beyond & blank).sum())}

"""Step 3c: the Divergence sheet, the agenda of the reconciliation workshop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..control.audit import audit_sheet, entry
from ..control.book import ControlBook, open_control
from ..control.load import CONTROL_SHEETS, load_control, read_ahead
from ..control.schema import driver_columns
from ..engine.gaps import DECISIONS, EFFECTS, escalation, explain_gap, line_gaps, rationale_for
from ..engine.money import sum_cents
from ..engine.rollup import BottomUp, hierarchy, row_drivers
from ..engine.targets import Targets, build_targets
from ..errors import HybridBudgetError
from ..model.line_items import LINE_ITEM_NAMES
from ..model.reference import Reference
from ..progress import Progress, silent
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .batch import batch_step
from .consolidate import DRIVERS_BLOCK, DRIVERS_SHEET

DIVERGENCE_SHEET = "Divergence"
SUMMARY_SHEET = "Divergence Summary"
AGENDA_BLOCK = "Divergence by cost center and line item (largest gap first)"
DECISION_KEYS = ("decision", "agreed_value", "owner", "note")
AGENDA_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=26),
    Column("Service line", "service_line_code", width=11),
    Column("Line item", "line_item", width=9),
    Column("Line item name", "line_item_name", width=22),
    Column("Top-down", "top_down", "money", width=14),
    Column("Bottom-up", "bottom_up", "money", width=14),
    Column("Gap $", "gap", "money", width=13),
    Column("Gap %", "gap_pct", "pct", width=8),
    Column("Beyond tolerance", "flag", width=10),
    Column("Escalate to", "escalate_to", width=18),
    Column("Manager's rationale", "rationale", width=40),
    Column("Decision", "decision", width=16, editable=True, choices=DECISIONS),
    Column("Agreed value", "agreed_value", "money", width=14, editable=True),
    Column("Owner", "owner", width=14, editable=True),
    Column("Note", "note", width=30, editable=True),
)
SUMMARY_BLOCK = "Summary by service line and system (cost centers with a valid submission)"
SUMMARY_COLUMNS = (
    Column("Level", "level", width=12),
    Column("Code", "code", width=12),
    Column("Name", "name", width=28),
    Column("Cost centers", "included", "int", width=9),
    Column("Top-down revenue", "td_revenue", "money"),
    Column("Bottom-up revenue", "bu_revenue", "money"),
    Column("Top-down expense", "td_expense", "money"),
    Column("Bottom-up expense", "bu_expense", "money"),
    Column("Expense gap", "expense_gap", "money"),
    Column("Top-down margin", "td_margin", "money"),
    Column("Bottom-up margin", "bu_margin", "money"),
    Column("Margin gap", "margin_gap", "money"),
)
EFFECT_BLOCK = "Expense gap explained by driver, per cost center"
EFFECT_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=26),
    Column("Top-down expense", "td_expense", "money"),
    Column("Bottom-up expense", "bu_expense", "money"),
    Column("Expense gap", "expense_gap", "money"),
    *(Column(label, key, "money") for key, label in EFFECTS),
)


def read_bottom_up(book: ControlBook) -> dict[str, BottomUp]:
    """The accepted submissions' drivers as Consolidate wrote them, recomputed by the engine."""
    if DRIVERS_SHEET not in book.sheet_names:
        raise HybridBudgetError(f"{book.file}: no {DRIVERS_SHEET} sheet: run Consolidate first")
    table = read_block(
        book.rows(DRIVERS_SHEET), DRIVERS_SHEET, book.file, DRIVERS_BLOCK, driver_columns()
    )
    out = {}
    for row in table.rows:
        words = {k: str(row.get(k) or "") for k in ("rationale_volume", "rationale_staffing",
                                                    "rationale_nonlabor")}  # fmt: skip
        cc = str(row["cost_center"])
        out[cc] = BottomUp.of(cc, row_drivers(row), words, str(row["file"] or ""),
                              str(row["sha256"] or ""))  # fmt: skip
    return out


def read_decisions(book: ControlBook) -> tuple[dict[tuple[str, str], dict[str, Any]], Any]:
    """(cost center, line item) -> decision cells, and the table (for cell addresses)."""
    if DIVERGENCE_SHEET not in book.sheet_names:
        return {}, None
    table = read_block(book.rows(DIVERGENCE_SHEET), DIVERGENCE_SHEET, book.file, AGENDA_BLOCK,
                       AGENDA_COLUMNS)  # fmt: skip
    out = {}
    for i, row in enumerate(table.rows):
        out[(str(row["cost_center"]), str(row["line_item"]))] = {
            k: row[k] for k in DECISION_KEYS
        } | {"_i": i}
    return out, table


@dataclass
class DivergenceResult:
    agenda: pd.DataFrame
    summary: pd.DataFrame
    effects: pd.DataFrame
    bottom_up: dict[str, BottomUp]


def divergence_frames(
    ref: Reference,
    targets: Targets,
    bus: Mapping[str, BottomUp],
    decisions: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> DivergenceResult:
    g = ref.config.guardrails
    h = hierarchy(ref).set_index("cost_center")
    names = dict(zip(h.index, h.cost_center_name, strict=True))
    service_lines = dict(zip(h.index, h.service_line_code, strict=True))
    levels = ref.config.escalation
    decisions = decisions or {}
    agenda, effects = [], []
    for cc, bu in bus.items():
        td = targets.by_cost_center[cc]
        for line, target, value, gap, share, flag in line_gaps(
            td.figures, bu.figures, g.divergence_tolerance_pct, g.divergence_tolerance_amount
        ):
            kept = decisions.get((cc, line), {})
            agenda.append(
                {
                    "cost_center": cc,
                    "cost_center_name": names[cc],
                    "service_line_code": service_lines[cc],
                    "line_item": line,
                    "line_item_name": LINE_ITEM_NAMES[line],
                    "top_down": target,
                    "bottom_up": value,
                    "gap": gap,
                    "gap_pct": share,
                    "flag": "Yes" if flag else "",
                    "escalate_to": escalation(gap, target, levels) if flag else "",
                    "rationale": rationale_for(line, bu.rationale),
                }
                | {k: kept.get(k) for k in DECISION_KEYS}
            )
        fx = explain_gap(td.drivers, bu.drivers, (td.figures.expense, bu.figures.expense))
        effects.append(
            {
                "cost_center": cc,
                "cost_center_name": names[cc],
                "td_expense": td.figures.expense,
                "bu_expense": bu.figures.expense,
                "expense_gap": sum_cents([bu.figures.expense, -td.figures.expense]),
            }
            | fx
        )
    frame = pd.DataFrame(agenda, columns=[c.key for c in AGENDA_COLUMNS])
    frame = (
        frame.assign(_size=frame.gap.abs())
        .sort_values(["_size", "cost_center", "line_item"], ascending=[False, True, True])
        .drop(columns="_size")
        .reset_index(drop=True)
    )
    return DivergenceResult(frame, _summary(ref, targets, bus, h), pd.DataFrame(effects), dict(bus))


def _summary(ref: Reference, targets: Targets, bus: Mapping[str, BottomUp], h: pd.DataFrame):
    rows = []

    def add(level: str, code: str, name: str, ccs: list[str]) -> None:
        td = [targets.by_cost_center[c].figures for c in ccs]
        bu = [bus[c].figures for c in ccs]
        tr, br = sum_cents([f.revenue for f in td]), sum_cents([f.revenue for f in bu])
        te, be = sum_cents([f.expense for f in td]), sum_cents([f.expense for f in bu])
        rows.append(
            {"level": level, "code": code, "name": name, "included": len(ccs),
             "td_revenue": tr, "bu_revenue": br, "td_expense": te, "bu_expense": be,
             "expense_gap": sum_cents([be, -te]), "td_margin": sum_cents([tr, -te]),
             "bu_margin": sum_cents([br, -be]),
             "margin_gap": sum_cents([br, -be, -tr, te])}
        )  # fmt: skip

    inc = h.loc[[c for c in h.index if c in bus]]
    add("System", "", ref.config.system_name, list(inc.index))
    for sl, part in inc.groupby("service_line_code", sort=False):
        add("Service line", sl, part.service_line_name.iloc[0], list(part.index))
    return pd.DataFrame(rows)


def divergence_sheets(result: DivergenceResult, ref: Reference) -> list[Sheet]:
    g = ref.config.guardrails
    system = result.summary.iloc[0] if len(result.summary) else None
    flagged = int((result.agenda.flag == "Yes").sum()) if len(result.agenda) else 0
    headline = (
        f"Bottom-up expense {system.bu_expense:,.2f} vs top-down {system.td_expense:,.2f} "
        f"(gap {system.expense_gap:,.2f}); margin gap {system.margin_gap:,.2f}."
        if system is not None
        else "No accepted submissions yet."
    )
    return [
        Sheet(
            DIVERGENCE_SHEET,
            "Divergence: top-down vs bottom-up, the workshop agenda",
            (Block(AGENDA_BLOCK, AGENDA_COLUMNS, result.agenda),),
            notes=(
                headline,
                f"{flagged} items are beyond tolerance ({g.divergence_tolerance_pct:.0%} and "
                f"{g.divergence_tolerance_amount:,.0f}). Record a Decision for each: accept "
                "bottom-up, keep top-down, or agreed value (then type the Agreed value); then "
                "Apply decisions.",
            ),
        ),
        Sheet(
            SUMMARY_SHEET,
            "Divergence summary and the gap explained by driver",
            (
                Block(SUMMARY_BLOCK, SUMMARY_COLUMNS, result.summary),
                Block(EFFECT_BLOCK, EFFECT_COLUMNS, result.effects, total_label="Total"),
            ),
            notes=(
                "Bottom-up totals tie to the Consolidated sheet. Effects substitute bottom-up "
                "drivers in order (volume, staffing intensity, wage rate, supplies per unit, "
                "other) and add up to the expense gap exactly.",
            ),
            freeze_block=None,
        ),
    ]


@batch_step
def divergence(
    control: Path | ControlBook,
    progress: Progress = silent,
    decisions: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> DivergenceResult:
    """Build and write the Divergence sheets; decisions already typed are carried over.

    `decisions` (cost center, line item) -> {decision, agreed_value, owner, note} overrides what
    the sheet holds (used to record a workshop's outcome without Excel).
    """
    book = open_control(control)
    progress(f"reading {book.file}")
    read_ahead(book, (*CONTROL_SHEETS, DRIVERS_SHEET, DIVERGENCE_SHEET))
    ref, history = load_control(book)
    targets = build_targets(ref, history)
    bus = read_bottom_up(book)
    kept, _ = read_decisions(book)
    merged = {k: {d: v.get(d) for d in DECISION_KEYS} for k, v in kept.items()}
    for key, value in (decisions or {}).items():
        merged[key] = {d: value.get(d) for d in DECISION_KEYS}
    result = divergence_frames(ref, targets, bus, merged)
    sheets = divergence_sheets(result, ref)
    flagged = int((result.agenda.flag == "Yes").sum()) if len(result.agenda) else 0
    sheets.append(audit_sheet(book, entry("divergence", f"{len(bus)} cost centers, "
                                          f"{flagged} items beyond tolerance")))  # fmt: skip
    progress(f"writing {DIVERGENCE_SHEET} and {SUMMARY_SHEET}")
    book.write_sheets(sheets, "divergence")
    return result

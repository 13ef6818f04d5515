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
from ..control.start_here import with_start_here
from ..engine.escalation import EscalationRule
from ..engine.favourability import COLUMN_NOTE, label, variance_kind
from ..engine.gaps import EFFECTS, expense_effects, line_bridge, line_gaps, rationale_for
from ..engine.money import sum_cents
from ..engine.rollup import BottomUp, hierarchy, row_drivers
from ..engine.targets import Targets, build_targets
from ..errors import HybridBudgetError
from ..model.line_items import JOB_CLASSES, LINE_ITEM_NAMES, salary_line
from ..model.reference import Reference
from ..progress import Progress, silent
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .agenda import (
    AGENDA_COLUMNS,
    BRIDGE,
    CHANGED,
    CONFIRMED,
    DECISION_KEYS,
    KEPT_KEYS,
    KEY_COLUMNS,
    KIND_KEYS,
    PAPER,
    PRINT_COLUMNS,
    ROW_KEYS,
    ROW_POINTS,
    bridge_rows,
    carried,
    changed_since_decided,
    header_strip,
    order_agenda,
    row_fields,
    sheet_rows,
    workshop_counts,
)
from .batch import batch_step
from .consolidate import DRIVERS_BLOCK, DRIVERS_SHEET

DIVERGENCE_SHEET = "Divergence"
SUMMARY_SHEET = "Divergence Summary"
AGENDA_BLOCK = "Workshop agenda: cost centers by material gap, items beyond tolerance first"
LEGACY_AGENDA_BLOCK = "Divergence by cost center and line item (largest gap first)"
LEGACY_KEYS = ("cost_center", "line_item", "bottom_up", *DECISION_KEYS)
LINE_KEYS = [*ROW_KEYS, *KIND_KEYS, "cost_center_name", "service_line_code"]
__all__ = ["AGENDA_COLUMNS", "DECISION_KEYS", "changed_since_decided"]  # for readers
SUMMARY_BLOCK = "Summary by service line and system (cost centers with a valid submission)"
SUMMARY_COLUMNS = (
    Column("Level", "level", width=12),
    Column("Code", "code", width=12),
    Column("Name", "name", width=34),
    Column("Cost centers", "included", "int", width=9),
    Column("Top-down revenue", "td_revenue", "dollars"),
    Column("Bottom-up revenue", "bu_revenue", "dollars"),
    Column("Top-down expense", "td_expense", "dollars"),
    Column("Bottom-up expense", "bu_expense", "dollars"),
    Column("Expense gap", "expense_gap", "dollars_down"),
    Column("Top-down margin", "td_margin", "dollars"),
    Column("Bottom-up margin", "bu_margin", "dollars"),
    Column("Margin gap", "margin_gap", "dollars_up"),
)
BRIDGE_BLOCK = "Gap explained by driver: system, entities, service lines (revenue and expense)"
BRIDGE_COLUMNS = (
    Column("Level", "level", width=12),
    Column("Code", "code", width=12),
    Column("Name", "name", width=28),
    Column("Measure", "measure", width=9),
    Column("Top-down", "top_down", "money"),
    Column("Bottom-up", "bottom_up", "money"),
    Column("Gap", "gap", "money"),
    *(Column(label, key, "money") for key, label in BRIDGE),
)
EFFECT_BLOCK = "Expense gap explained by driver, per cost center"
EFFECT_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=34),
    Column("Top-down expense", "td_expense", "dollars"),
    Column("Bottom-up expense", "bu_expense", "dollars"),
    Column("Expense gap", "expense_gap", "dollars_down"),
    *(Column(label, key, "dollars_down") for key, label in EFFECTS),
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
    """(cost center, line item) -> decision cells (and the bottom-up the row showed), and the
    table (for cell addresses). Heading and label rows (no line item) are skipped."""
    if DIVERGENCE_SHEET not in book.sheet_names:
        return {}, None
    rows = book.rows(DIVERGENCE_SHEET)
    title, columns = AGENDA_BLOCK, AGENDA_COLUMNS
    if not any(r and r[0] == AGENDA_BLOCK for r in rows) and any(
        r and r[0] == LEGACY_AGENDA_BLOCK for r in rows
    ):  # a sheet written before the workshop agenda: its decisions are still read
        title = LEGACY_AGENDA_BLOCK
        columns = tuple(c for c in AGENDA_COLUMNS if c.key in LEGACY_KEYS)
    table = read_block(rows, DIVERGENCE_SHEET, book.file, title, columns)
    out = {}
    for i, row in enumerate(table.rows):
        if not row["line_item"]:
            continue
        out[(str(row["cost_center"]), str(row["line_item"]))] = {
            k: row.get(k) for k in (*KEPT_KEYS, "bottom_up")
        } | {"_i": i}
    return out, table


@dataclass
class DivergenceResult:
    agenda: pd.DataFrame  # the lines on the agenda, in agenda order (no heading rows)
    summary: pd.DataFrame
    effects: pd.DataFrame
    bottom_up: dict[str, BottomUp]
    bridge: pd.DataFrame  # the gap by driver per system, entity, service line and measure
    rule: EscalationRule


def divergence_frames(
    ref: Reference,
    targets: Targets,
    bus: Mapping[str, BottomUp],
    decisions: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> DivergenceResult:
    g = ref.config.guardrails
    rule = EscalationRule.of(ref.config)
    h = hierarchy(ref).set_index("cost_center")
    names = dict(zip(h.index, h.cost_center_name, strict=True))
    service_lines = dict(zip(h.index, h.service_line_code, strict=True))
    decisions = decisions or {}
    agenda, effects = [], []
    per_cc = {}
    for cc, bu in bus.items():
        td = targets.by_cost_center[cc]
        bridge = line_bridge(td.drivers, bu.drivers, (td.figures, bu.figures))
        uos_gap = round(bu.figures.volume - td.figures.volume, 2)
        fte_gaps = _fte_gaps(td, bu)
        for line, target, value, gap, share, flag in line_gaps(
            td.figures, bu.figures, g.divergence_tolerance_pct, g.divergence_tolerance_amount
        ):
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
                    "fav": label(line, gap),
                    "fav_kind": variance_kind(line),
                    "fav_pct_kind": variance_kind(line, "pct"),
                    "flag": "Yes" if flag else "",
                    "rationale": rationale_for(line, bu.rationale),
                }
                | row_fields(bridge[line], uos_gap, fte_gaps.get(line, fte_gaps[""]), rule,
                             gap, target, flag)
                | carried(decisions.get((cc, line), {}), value)
            )  # fmt: skip
        fx = expense_effects(bridge)
        per_cc[cc] = (bridge["REV"], fx, td.figures.revenue, bu.figures.revenue,
                      td.figures.expense, bu.figures.expense)  # fmt: skip
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
    frame = order_agenda(pd.DataFrame(agenda, columns=LINE_KEYS))
    return DivergenceResult(
        frame, _summary(ref, targets, bus, h), pd.DataFrame(effects), dict(bus),
        bridge_rows(_groups(ref, h, bus), per_cc), rule,
    )  # fmt: skip


def _fte_gaps(td: Any, bu: Any) -> dict[str, float]:
    """Paid FTEs bottom-up minus top-down by line: the job class's on its salary line, agency
    FTEs on the agency line, the cost center's (employed and agency) under "" for the others."""
    out = {salary_line(j): round(bu.drivers.staff(j).fte - td.drivers.staff(j).fte, 2)
           for j in JOB_CLASSES}  # fmt: skip
    out["AGY"] = round(sum(bu.drivers.staff(j).agency_fte - td.drivers.staff(j).agency_fte
                           for j in JOB_CLASSES), 2)  # fmt: skip
    out[""] = round(bu.figures.fte - td.figures.fte, 2)
    return out


def _groups(ref: Reference, h: pd.DataFrame, bus: Mapping[str, BottomUp]
            ) -> list[tuple[str, str, str, list[str]]]:  # fmt: skip
    """System, each entity, each service line: the cost centers with a submission in each."""
    inc = h.loc[[c for c in h.index if c in bus]]
    out = [("System", "", ref.config.system_name, list(inc.index))]
    for code, part in inc.groupby("entity_code", sort=False):
        out.append(("Entity", str(code), str(part.entity_name.iloc[0]), list(part.index)))
    for code, part in inc.groupby("service_line_code", sort=False):
        out.append(("Service line", str(code), str(part.service_line_name.iloc[0]),
                    list(part.index)))  # fmt: skip
    return out


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
    headline = (
        f"Bottom-up expense {system.bu_expense:,.2f} vs top-down {system.td_expense:,.2f} "
        f"(gap {system.expense_gap:,.2f}); margin gap {system.margin_gap:,.2f}."
        if system is not None
        else "No accepted submissions yet."
    )
    h = hierarchy(ref).set_index("cost_center")
    notes = (
        headline,
        *(s for s in header_strip(result.agenda, result.rule) if s),
        f"Beyond tolerance: gap over {g.divergence_tolerance_pct:.0%} of the target and over "
        f"{g.divergence_tolerance_amount:,.0f}. Escalation: Decision Guide sheet "
        f"({result.rule.short()}).",
        "Decide each item (accept bottom-up, keep top-down, agreed value + Agreed value), then "
        f"Apply decisions. '{CHANGED}': pick '{CONFIRMED}' to keep the decision. + opens "
        "grouped lines and the driver bridge.",
        COLUMN_NOTE,
    )
    rows = sheet_rows(
        result.agenda,
        dict(zip(h.index, h.cost_center_name, strict=True)),
        dict(zip(h.index, h.service_line_code, strict=True)),
        above=ROW_POINTS * (len(notes) + 4),  # title, notes, blank row, block title, header
    )
    return [
        Sheet(
            DIVERGENCE_SHEET,
            "Divergence: the reconciliation workshop agenda",
            (
                Block(
                    AGENDA_BLOCK,
                    AGENDA_COLUMNS,
                    rows,
                    look_from="_look",
                    outline_from="_outline",
                    break_from="_break",
                    height_from="_height",
                ),
            ),
            notes=notes,
            freeze_columns=KEY_COLUMNS,
            print_columns=PRINT_COLUMNS,
            paper=PAPER,
        ),
        Sheet(
            SUMMARY_SHEET,
            "Divergence summary and the gap explained by driver",
            (
                Block(SUMMARY_BLOCK, SUMMARY_COLUMNS, result.summary),
                Block(BRIDGE_BLOCK, BRIDGE_COLUMNS, result.bridge),
                Block(EFFECT_BLOCK, EFFECT_COLUMNS, result.effects, total_label="Total"),
            ),
            notes=(
                "Bottom-up totals tie to the Consolidated sheet. Effects substitute bottom-up "
                "drivers in order (volume, staffing intensity, wage rate, supplies per unit, "
                "other) and add up to the expense gap exactly; revenue's gap is volume and rate "
                "(net revenue per unit of service). Whole dollars shown; the cells keep the cents.",
                COLUMN_NOTE,
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
    merged, _ = read_decisions(book)
    for key, value in (decisions or {}).items():  # decided now: on today's bottom-up
        merged[key] = {d: value.get(d) for d in DECISION_KEYS}
    result = divergence_frames(ref, targets, bus, merged)
    sheets = divergence_sheets(result, ref)
    flagged = int((result.agenda.flag == "Yes").sum()) if len(result.agenda) else 0
    sheets.append(audit_sheet(book, entry("divergence", f"{len(bus)} cost centers, "
                                          f"{flagged} items beyond tolerance")))  # fmt: skip
    progress(f"writing {DIVERGENCE_SHEET} and {SUMMARY_SHEET}")
    book.write_sheets(
        with_start_here(book, sheets, "divergence", workshop_counts(result.agenda)), "divergence"
    )
    return result

"""The Capital Requests sheet: requests ranked against the envelope, the workshop's decisions.

Consolidate writes the sheet (engine/capital.py ranks) and keeps the Decision and Note typed on
it across runs, by cost center, item and amount; Apply decisions reads it back to carry approved
capital and its depreciation into the plan; the lock and the Start here sheet read its summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..control.book import ControlBook
from ..control.load import read_config
from ..engine.capital import (
    APPROVE,
    CAPITAL_DECISIONS,
    DEFAULT_IN_SERVICE_MONTH,
    SCORE_TEXT,
    CapitalRequest,
    CapitalSummary,
    RankedRequest,
    budget_year_depreciation,
    rank_requests,
    summarise,
)
from ..engine.money import cents
from ..engine.targets import volume_growth
from ..findings import Finding, Severity
from ..intake.checks import capital_rows
from ..model.line_items import MONTHS
from ..model.reference import Reference
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet

CAPITAL_SHEET = "Capital Requests"
RANKED_BLOCK = "Capital requests ranked against the envelope"
WORKSHOP_BLOCK = "For the workshop"
CUT_ROW = "total"  # the cut line's row style (bold, rule above)
RANKED_COLUMNS = (
    Column("Rank", "rank", "int", width=6),
    Column("Cost center", "cost_center", width=12),
    Column("Row", "row", "int", width=5),
    Column("Item", "item", width=32, wrap=True),
    Column("Category", "category", width=16),
    Column("Weight", "weight", "rate", width=8),
    Column("Priority", "priority", width=9),
    Column("Driver growth", "growth", "pct", width=9),
    Column("Score", "score", "ratio", width=9),
    Column("Amount", "amount", "money"),
    Column("Cumulative", "cumulative", "money"),
    Column("Within envelope", "within", width=9),
    Column("Workshop: why", "workshop", width=46),
    Column("Useful life (months)", "life", "int", width=9),
    Column("In service", "in_service", width=9),
    Column("Justification", "justification", width=44, wrap=True),
    Column("Decision", "decision", width=11, editable=True, choices=CAPITAL_DECISIONS),
    Column("Note", "note", width=34, editable=True, wrap=True),
)
WORKSHOP_COLUMNS = tuple(c for c in RANKED_COLUMNS if not c.editable)  # aligned with the ranking
KEPT = ("decision", "note")


def requests_from(accepted: Mapping[str, Any], ref: Reference) -> list[CapitalRequest]:
    """The capital requests of the accepted submissions (rows with an item and an amount)."""
    org = ref.organization
    out = []
    for cc, sub in sorted(accepted.items()):
        growth = volume_growth(org.cost_center_by_code[cc], ref.config)
        for i, c in capital_rows(sub.values):
            if not c["item"] or not isinstance(c["amount"], int | float):
                continue
            month = str(c["in_service"] or "").strip()
            out.append(CapitalRequest(
                cost_center=cc, row=i + 1, item=str(c["item"]).strip(),
                amount_cents=round(cents(float(c["amount"])) * 100),
                category=str(c["category"] or "").strip(), priority=str(c["priority"] or ""),
                life_months=int(c["life"]) if isinstance(c["life"], int | float) else 0,
                in_service_month=MONTHS.index(month) + 1 if month in MONTHS else None,
                justification=str(c["justification"] or ""), driver_growth=growth,
            ))  # fmt: skip
    return out


def _ranked_frame(ranked: list[RankedRequest], kept: Mapping[tuple, dict[str, Any]],
                  envelope_cents: int) -> pd.DataFrame:  # fmt: skip
    rows: list[dict[str, Any]] = []
    for x in ranked:
        r = x.request
        if not x.within and (x.rank == 1 or ranked[x.rank - 2].within):
            rows.append(_cut_row(ranked, envelope_cents))
        rows.append({
            "rank": x.rank, "cost_center": r.cost_center, "row": r.row, "item": r.item,
            "category": r.category, "weight": x.weight, "priority": r.priority,
            "growth": r.driver_growth, "score": x.score, "amount": r.amount_cents / 100,
            "cumulative": x.cumulative_cents / 100, "within": "Yes" if x.within else "No",
            "workshop": x.workshop, "life": r.life_months,
            "in_service": MONTHS[r.month - 1] + ("" if r.in_service_month else " (default)"),
            "justification": r.justification, "style": "",
        } | kept.get(r.key, {}))  # fmt: skip
    if ranked and ranked[-1].within:
        rows.append(_cut_row(ranked, envelope_cents))
    columns = [c.key for c in RANKED_COLUMNS] + ["style"]
    return pd.DataFrame(rows, columns=columns)


def _cut_row(ranked: list[RankedRequest], envelope_cents: int) -> dict[str, Any]:
    within = sum(x.within for x in ranked)
    return {"rank": "Cut", "item": f"Envelope {envelope_cents / 100:,.2f}",
            "workshop": f"cut line: {within} within, {len(ranked) - within} beyond",
            "style": CUT_ROW}  # fmt: skip


def read_decisions(book: ControlBook) -> tuple[list[dict[str, Any]], Any]:
    """Every request row of the Capital Requests sheet (cut line left out) with its cell
    addresses, and the table; no sheet: nothing."""
    if CAPITAL_SHEET not in book.sheet_names:
        return [], None
    rows = book.rows(CAPITAL_SHEET)
    if not any(r and r[0] == RANKED_BLOCK for r in rows):  # a sheet written before the ranking
        return [], None
    table = read_block(rows, CAPITAL_SHEET, book.file, RANKED_BLOCK, RANKED_COLUMNS,
                       (RANKED_BLOCK, WORKSHOP_BLOCK))  # fmt: skip
    out = [row | {"_i": i} for i, row in enumerate(table.rows) if row.get("cost_center")]
    return out, table


def _number(value: Any) -> float:
    """A number read back from the sheet (0 where someone typed text over it)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _request(row: Mapping[str, Any]) -> CapitalRequest:
    month = str(row.get("in_service") or "")[:3]
    return CapitalRequest(
        cost_center=str(row["cost_center"]), row=int(_number(row.get("row"))),
        item=str(row.get("item") or "").strip(),
        amount_cents=round(_number(row.get("amount")) * 100),
        category=str(row.get("category") or ""), priority=str(row.get("priority") or ""),
        life_months=int(_number(row.get("life"))),
        in_service_month=MONTHS.index(month) + 1 if month in MONTHS else DEFAULT_IN_SERVICE_MONTH,
    )  # fmt: skip


def capital_frame(book: ControlBook) -> pd.DataFrame:
    """The Capital Requests sheet's requests as a table (the Power BI export's fact_capital):
    its columns, the decision in its canonical spelling, the budget year's depreciation."""
    rows, _ = read_decisions(book)
    keys = [c.key for c in RANKED_COLUMNS]
    frame = pd.DataFrame([{k: r.get(k) for k in keys} for r in rows], columns=keys)
    frame["decision"] = [_decision(v) for v in frame.decision]
    frame["depreciation_budget_year"] = [
        sum(budget_year_depreciation(_request(r))) / 100 if _decision(r.get("decision")) == APPROVE
        else 0.0 for r in rows
    ]  # fmt: skip
    return frame


def _decision(value: Any) -> str:
    """A typed decision in its canonical spelling ('' when blank, the text when unknown)."""
    text = str(value or "").strip()
    return next((d for d in CAPITAL_DECISIONS if d.lower() == text.lower()), text)


@dataclass(frozen=True)
class CapitalDecisions:
    """The requests on the Capital Requests sheet with the workshop's decisions."""

    decided: list[tuple[CapitalRequest, str]]
    bad: list[Finding]
    summary: CapitalSummary

    @property
    def approved(self) -> list[CapitalRequest]:
        return [r for r, d in self.decided if d == APPROVE]


def capital_decisions(book: ControlBook, envelope: float) -> CapitalDecisions:
    """The decisions typed on the Capital Requests sheet; an unknown one is a finding."""
    rows, table = read_decisions(book)
    decided, bad = [], []
    for row in rows:
        choice = _decision(row.get("decision"))
        if choice and choice not in CAPITAL_DECISIONS:
            bad.append(Finding(code="BAD_DECISION", severity=Severity.ERROR, file=table.file,
                               sheet=CAPITAL_SHEET, cell=table.cell(row["_i"], "decision"),
                               value=choice, message=f"{row['cost_center']} {row['item']!r}: "
                               f"unknown capital decision {choice!r}; choose "
                               f"{', '.join(CAPITAL_DECISIONS)}"))  # fmt: skip
            choice = ""
        decided.append((_request(row), choice))
    return CapitalDecisions(decided, bad, summarise(round(envelope * 100), decided))


def capital_summary(book: ControlBook, envelope: float | None = None) -> CapitalSummary:
    """Envelope, requested, approved, remaining and requests by decision, from the Capital
    Requests sheet (for the Start here sheet; no sheet yet: nothing requested). The envelope
    is the Guardrails' unless given."""
    if envelope is None:
        config, _ = read_config(book)
        envelope = config.guardrails.capital_envelope if config else 0.0
    return capital_decisions(book, envelope).summary


def summary_text(s: CapitalSummary) -> str:
    """The summary in one line: envelope, requested, approved, remaining, requests by decision."""
    counts = ", ".join(f"{k} {v}" for k, v in s.count_by_decision.items())
    left = (f"{-s.remaining_cents / 100:,.2f} over" if s.over
            else f"{s.remaining_cents / 100:,.2f} remaining")  # fmt: skip
    return (
        f"Envelope {s.envelope_cents / 100:,.2f}; requested {s.requested_cents / 100:,.2f}; "
        f"approved {s.approved_cents / 100:,.2f} ({left}); requests by decision: {counts}."
    )


def capital_sheet(
    requests: Iterable[CapitalRequest], ref: Reference, book: ControlBook
) -> tuple[Sheet, list[RankedRequest]]:
    """The Capital Requests sheet: ranked, cut line, workshop list, the decisions kept."""
    g = ref.config.guardrails
    envelope = round(g.capital_envelope * 100)
    weights = {p.category: p.weight for p in ref.config.capital_priorities}
    ranked = rank_requests(requests, weights, envelope, round(g.capital_escalation_amount * 100))
    previous, _ = read_decisions(book)
    kept = {_request(r).key: {k: r.get(k) for k in KEPT} for r in previous}
    frame = _ranked_frame(ranked, kept, envelope)
    data = frame[frame.cost_center.notna()]
    decided = [(x.request, _decision(kept.get(x.request.key, {}).get("decision")))
               for x in ranked]  # fmt: skip
    summary = summarise(envelope, decided)
    notes = (
        summary_text(summary) + " (Decisions as of this Consolidate; the Plan sheet shows them "
        "as of Apply decisions.)",
        SCORE_TEXT,
        "The workshop sees every request beyond the cut line and every request of "
        f"{g.capital_escalation_amount:,.2f} or more (Guardrails: capital escalation threshold).",
        "Type Approve, Defer or Reject and a note in the yellow cells. Decisions are kept when "
        "Consolidate runs again, for the same cost center, item and amount; a changed request "
        "needs a new decision.",
        "Apply decisions carries approved capital into the plan as depreciation (line DEP), "
        "straight line over the useful life from the in-service month (blank: "
        f"{MONTHS[DEFAULT_IN_SERVICE_MONTH - 1]}, the mid-year convention). Lock refuses approved "
        "capital over the envelope unless a reason is given.",
    )
    workshop = data[data.workshop.astype(str) != ""]
    return Sheet(
        CAPITAL_SHEET,
        "Capital requests: ranked by strategic priority against the envelope",
        (
            Block(RANKED_BLOCK, RANKED_COLUMNS, frame, style_from="style"),
            Block(WORKSHOP_BLOCK, WORKSHOP_COLUMNS, workshop),
        ),
        notes=notes,
        freeze_block=None,
    ), ranked

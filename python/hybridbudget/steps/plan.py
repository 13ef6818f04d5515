"""Steps 3d and 4a: apply the workshop's decisions to build the Plan, then lock it."""

from __future__ import annotations

import datetime as dt
import hashlib
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..control.audit import audit_sheet, entry, read_audit
from ..control.book import ControlBook, open_control
from ..control.load import CONTROL_SHEETS, load_control, read_ahead
from ..control.pnl_sheet import PNL_NOTE, key_columns, pnl_block
from ..control.start_here import with_start_here
from ..engine.capital import CapitalRequest, CapitalSummary, budget_year_depreciation
from ..engine.escalation import EscalationRule
from ..engine.gaps import ACCEPT, AGREED, DECISIONS, KEEP, line_gaps
from ..engine.money import cents, sum_cents
from ..engine.rollup import MONEY_KEYS, hierarchy, phase_lines
from ..engine.targets import build_targets
from ..errors import HybridBudgetError
from ..findings import Finding, Severity
from ..model.line_items import DEPRECIATION, LINE_ITEM_CODES, LINE_ITEM_NAMES, MONTHS
from ..model.reference import Reference
from ..progress import Progress, silent
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .batch import batch_step
from .capital_requests import CAPITAL_SHEET, capital_decisions, summary_text
from .consolidate import DRIVERS_SHEET
from .divergence import (
    CHANGED,
    DIVERGENCE_SHEET,
    changed_since_decided,
    read_bottom_up,
    read_decisions,
)

PLAN_SHEET = "Plan"
PLAN_BLOCK = "Integrated plan by cost center, line item and month"
LOCKED_PREFIX = "Locked Plan v"
UNDECIDED = "undecided"
CAPITAL_SOURCE = "approved capital"
PLAN_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=34),
    Column("Service line", "service_line_code", width=11),
    Column("Entity", "entity_code", width=8),
    Column("Line item", "line_item", width=9),
    Column("Line item name", "line_item_name", width=22),
    Column("Source", "source", width=25),
    Column("Annual", "annual", "money", width=15),
    *(Column(m, f"m{i:02d}", "money", width=13) for i, m in enumerate(MONTHS, 1)),
)
UNDECIDED_BLOCK = "Material items still undecided"
UNDECIDED_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Line item", "line_item", width=9),
    Column("Top-down", "top_down", "money"),
    Column("Bottom-up", "bottom_up", "money"),
    Column("Gap $", "gap", "money"),
    Column("Escalate to", "escalate_to", width=20),
    Column("Why", "why", width=30),
    Column("Divergence cell", "cell", width=12),
)


@dataclass
class PlanResult:
    plan: pd.DataFrame
    undecided: pd.DataFrame
    totals: dict[str, float]
    reference: Reference  # the control workbook's reference data, as read for this plan
    volume: dict[str, tuple[float, ...]] = field(default_factory=dict)  # months phased by
    fte: dict[str, float] = field(default_factory=dict)  # paid FTEs of the drivers phased with
    capital: CapitalSummary | None = None  # the capital decisions the plan carries


def depreciation_rows(approved: list[CapitalRequest], where: dict[str, tuple[str, str, str]]
                      ) -> list[dict[str, Any]]:  # fmt: skip
    """One DEP plan line per cost center with approved capital: the budget year's months of
    straight-line depreciation of its approved requests, summed in cents."""
    by_cc: dict[str, list[int]] = {}
    for r in approved:
        months = budget_year_depreciation(r)
        total = by_cc.setdefault(r.cost_center, [0] * 12)
        by_cc[r.cost_center] = [a + b for a, b in zip(total, months, strict=True)]
    rows = []
    for cc, months in sorted(by_cc.items()):
        if cc not in where:
            continue  # a cost center no longer in Organization: the lock's check names it
        name, service_line, entity = where[cc]
        rows.append(
            {"cost_center": cc, "cost_center_name": name, "service_line_code": service_line,
             "entity_code": entity, "line_item": DEPRECIATION.code,
             "line_item_name": DEPRECIATION.name, "source": CAPITAL_SOURCE,
             "annual": sum(months) / 100}
            | {f"m{k:02d}": v / 100 for k, v in enumerate(months, 1)}
        )  # fmt: skip
    return rows


def _bad(table: Any, i: int, key: str, message: str, value: Any) -> Finding:
    return Finding(code="BAD_DECISION", severity=Severity.ERROR, message=message, file=table.file,
                   sheet=DIVERGENCE_SHEET, cell=table.cell(i, key), value=str(value))  # fmt: skip


def _undecided(item: tuple, rule: EscalationRule, why: str) -> dict[str, Any]:
    cc, line, target, value, gap, cell = item
    return {"cost_center": cc, "line_item": line, "top_down": target, "bottom_up": value,
            "gap": gap, "escalate_to": rule.role(gap, target), "why": why, "cell": cell}  # fmt: skip


@batch_step
def build_plan(book: ControlBook) -> PlanResult:
    """The plan the decisions on the Divergence sheet imply, recomputed from drivers (no writing)."""
    read_ahead(book, (*CONTROL_SHEETS, DRIVERS_SHEET, DIVERGENCE_SHEET))
    ref, history = load_control(book)
    targets = build_targets(ref, history)
    bus = read_bottom_up(book)
    decisions, table = read_decisions(book)
    if table is None:
        raise HybridBudgetError(f"{book.file}: no {DIVERGENCE_SHEET} sheet: run Divergence first")
    g = ref.config.guardrails
    rule = EscalationRule.of(ref.config)
    bad: list[Finding] = []
    h = hierarchy(ref).set_index("cost_center")
    where = {
        cc: (name, line, entity)
        for cc, name, line, entity in zip(
            h.index, h.cost_center_name, h.service_line_code, h.entity_code, strict=True
        )
    }
    rows, undecided = [], []
    volume: dict[str, tuple[float, ...]] = {}
    fte: dict[str, float] = {}
    for cc in h.index:
        td = targets.by_cost_center[cc]
        bu = bus.get(cc)
        basis = bu.figures if bu else td.figures
        weights = basis.monthly_volume or (1.0,) * 12
        volume[cc], fte[cc] = basis.monthly_volume, basis.fte
        if bu is None:
            chosen = {
                li: (td.figures.lines[li], "top-down (no submission)") for li in LINE_ITEM_CODES
            }
        else:
            chosen = {}
            for line, target, value, gap, _share, flag in line_gaps(
                td.figures, bu.figures, g.divergence_tolerance_pct, g.divergence_tolerance_amount
            ):
                d = decisions.get((cc, line), {})
                choice = str(d.get("decision") or "").strip().lower()
                agreed = d.get("agreed_value")
                i = d.get("_i", 0)
                item = (cc, line, target, value, gap, table.cell(i, "decision") if d else "")
                if changed_since_decided(d, value):  # kept, but undecided until confirmed
                    undecided.append(_undecided(item, rule, CHANGED))
                if choice and choice not in DECISIONS:
                    bad.append(_bad(table, i, "decision", f"unknown decision {d.get('decision')!r}; "
                                    f"choose {', '.join(DECISIONS)}", d.get("decision")))  # fmt: skip
                    continue
                if choice == AGREED:
                    if agreed is None or (isinstance(agreed, str) and not agreed.strip()):
                        bad.append(_bad(table, i, "agreed_value", f"{cc} {line}: the decision is "
                                        "'agreed value' but no agreed value is typed", agreed))  # fmt: skip
                        continue
                    if not isinstance(agreed, numbers.Real) or isinstance(agreed, bool):
                        bad.append(_bad(table, i, "agreed_value", f"{cc} {line}: agreed value "
                                        f"{agreed!r} is not a number", agreed))  # fmt: skip
                        continue
                    chosen[line] = (cents(float(agreed)), "agreed value")
                elif choice == KEEP:
                    chosen[line] = (target, "top-down (decided)")
                elif choice == ACCEPT:
                    chosen[line] = (value, "bottom-up (decided)")
                elif flag:
                    chosen[line] = (value, UNDECIDED)
                    undecided.append(_undecided(item, rule, UNDECIDED))
                else:
                    chosen[line] = (value, "bottom-up (within tolerance)")
        name, service_line, entity = where[cc]
        splits = phase_lines([amount for amount, _ in chosen.values()], weights)
        for (line, (amount, source)), months in zip(chosen.items(), splits, strict=True):
            rows.append(
                {"cost_center": cc, "cost_center_name": name, "service_line_code": service_line,
                 "entity_code": entity, "line_item": line,
                 "line_item_name": LINE_ITEM_NAMES[line], "source": source, "annual": amount}
                | {f"m{k:02d}": v for k, v in enumerate(months, 1)}
            )  # fmt: skip
    capital = capital_decisions(book, g.capital_envelope)
    bad += capital.bad
    rows += depreciation_rows(capital.approved, where)
    if bad:
        raise HybridBudgetError.from_findings(bad, "Some decisions cannot be applied")
    plan = pd.DataFrame(rows, columns=[c.key for c in PLAN_COLUMNS])
    revenue = sum_cents(plan.loc[plan.line_item == "REV", "annual"])
    expense = sum_cents(plan.loc[plan.line_item != "REV", "annual"])
    totals = {"revenue": revenue, "expense": expense, "margin": sum_cents([revenue, -expense])}
    totals["margin_pct"] = totals["margin"] / revenue if revenue else 0.0
    totals["target_margin_pct"] = g.operating_margin_target
    return PlanResult(
        plan,
        pd.DataFrame(undecided, columns=[c.key for c in UNDECIDED_COLUMNS]),
        totals,
        ref,
        volume,
        fte,
        capital.summary,
    )


def capital_note(s: CapitalSummary | None) -> str:
    """The plan's capital line: approved against the envelope, and where its depreciation is."""
    if s is None or not s.requested_cents:
        return "No capital requests on the Capital Requests sheet."
    return f"Capital: {summary_text(s)} Depreciation of approved capital: line {DEPRECIATION.code}."


def _plan_sheet(result: PlanResult, name: str, title: str, notes: tuple[str, ...],
                password: str = "") -> Sheet:  # fmt: skip
    t = result.totals
    head = (
        f"Plan net revenue {t['revenue']:,.2f}, expense {t['expense']:,.2f}, margin "
        f"{t['margin']:,.2f} ({t['margin_pct']:.2%}; target {t['target_margin_pct']:.2%})."
    )
    blocks = [
        pnl_block(result.reference, result.plan, PLAN_COLUMNS, result.volume, result.fte),
        Block(PLAN_BLOCK, PLAN_COLUMNS, result.plan),
    ]
    if len(result.undecided):
        blocks.append(Block(UNDECIDED_BLOCK, UNDECIDED_COLUMNS, result.undecided))
    return Sheet(name, title, tuple(blocks), notes=(head, capital_note(result.capital), *notes,
                                                   PNL_NOTE),
                 protect_password=password, freeze_columns=key_columns(PLAN_COLUMNS))  # fmt: skip


def apply_decisions(control: Path | ControlBook, progress: Progress = silent) -> PlanResult:
    """Read the decisions, write the Plan sheet (never a locked plan), list undecided items."""
    book = open_control(control)
    progress(f"reading the decisions on {DIVERGENCE_SHEET}")
    result = build_plan(book)
    n = len(result.undecided)
    sheets = [
        _plan_sheet(result, PLAN_SHEET, "Plan: the integrated budget", (
            f"{n} material items are still undecided (listed below the plan)." if n
            else "Every material item is decided; the plan can be locked.",
            "Months follow each cost center's volume seasonality.")),
        audit_sheet(book, entry("apply decisions", f"plan built; {n} material items undecided; "
                                f"margin {result.totals['margin']:,.2f}")),
    ]  # fmt: skip
    progress(f"writing {PLAN_SHEET}")
    figures: dict[str, object] = {"workshop.undecided": n, "margin": result.totals["margin"],
                                  "margin_pct": result.totals["margin_pct"]}  # fmt: skip
    if result.capital is not None:  # capital approved against the envelope, in cents
        c = result.capital
        figures.update({"capital.envelope": c.envelope_cents, "capital.approved": c.approved_cents,
                        "capital.requested": c.requested_cents,
                        "capital.undecided": c.count_by_decision.get("Undecided", 0)})  # fmt: skip
    book.write_sheets(with_start_here(book, sheets, "apply-decisions", figures), "apply-decisions")
    return result


def plan_hash(plan: pd.DataFrame) -> str:
    """SHA-256 of the plan content: one line per cost center and line item, amounts in cents."""
    lines = []
    for row in plan.sort_values(["cost_center", "line_item"]).itertuples(index=False):
        amounts = ",".join(str(round(getattr(row, k) * 100)) for k in MONEY_KEYS)
        lines.append(f"{row.cost_center},{row.line_item},{amounts}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def read_plan_sheet(book: ControlBook, sheet: str) -> pd.DataFrame:
    table = read_block(book.rows(sheet), sheet, book.file, PLAN_BLOCK, PLAN_COLUMNS,
                       (PLAN_BLOCK, UNDECIDED_BLOCK))  # fmt: skip
    return pd.DataFrame(table.rows, columns=[c.key for c in PLAN_COLUMNS])


@dataclass
class LockResult:
    version: int
    sheet: str
    sha256: str
    user: str
    when: str
    forced: str
    already: bool = False  # the plan was already locked as this version: nothing written


def locked_versions(book: ControlBook) -> list[int]:
    return sorted(int(n[len(LOCKED_PREFIX):]) for n in book.sheet_names
                  if n.startswith(LOCKED_PREFIX) and n[len(LOCKED_PREFIX):].isdigit())  # fmt: skip


def _locked_as(book: ControlBook, digest: str) -> LockResult | None:
    """The newest locked version when it holds exactly this plan (same SHA-256), else None."""
    versions = locked_versions(book)
    if not versions:
        return None
    name = f"{LOCKED_PREFIX}{versions[-1]}"
    if plan_hash(read_plan_sheet(book, name)) != digest:
        return None
    audit = read_audit(book)
    made = audit.detail.astype(str).str.startswith(f"plan version {versions[-1]} locked")
    locks = audit[(audit.step == "lock") & made]
    last = locks.iloc[-1] if len(locks) else None
    return LockResult(
        versions[-1], name, digest,
        str(last.user) if last is not None else "", str(last.time) if last is not None else "",
        "", already=True,
    )  # fmt: skip


def _locked_title(version: int) -> str:
    return f"Plan (locked as version {version})"


def _mark_locked(
    book: ControlBook, result: PlanResult, same: LockResult, progress: Progress
) -> None:
    """An unchanged plan makes no new version; a Plan sheet that Apply decisions rewrote since is
    marked as that version again (its notes copied from the locked sheet)."""
    if book.rows(PLAN_SHEET)[0][0] == _locked_title(same.version):
        progress(f"the plan is already locked as {same.sheet} (same SHA-256): nothing to write")
        return
    rows = book.rows(same.sheet)
    end = next((i for i, r in enumerate(rows) if i and not r[0]), len(rows))
    # after the title and the totals line; the P&L note is the sheet's own, added again below
    own = (PNL_NOTE, capital_note(result.capital))  # the sheet's own notes, added again below
    notes = tuple(str(r[0]) for r in rows[2:end] if str(r[0]) not in own)
    ref, _ = load_control(book)
    detail = f"plan unchanged since version {same.version} (same SHA-256): no new version"
    sheets = [
        _plan_sheet(result, PLAN_SHEET, _locked_title(same.version), notes,
                    ref.config.templates.password),
        audit_sheet(book, entry("lock", detail, same.sha256)),
    ]  # fmt: skip
    progress(f"the plan is already locked as {same.sheet}: marking {PLAN_SHEET} as locked again")
    figures = {"version": same.version, "sheet": same.sheet}
    book.write_sheets(with_start_here(book, sheets, "lock", figures), "lock")


def lock(
    control: Path | ControlBook,
    progress: Progress = silent,
    force_reason: str | None = None,
    user: str | None = None,
) -> LockResult:
    """Freeze the plan as a new version: refuse while material items are undecided (unless forced)."""
    book = open_control(control)
    if PLAN_SHEET not in book.sheet_names:
        raise HybridBudgetError(f"{book.file}: no {PLAN_SHEET} sheet: run Apply decisions first")
    progress("recomputing the plan from the decisions")
    read_ahead(book, (*CONTROL_SHEETS, DRIVERS_SHEET, DIVERGENCE_SHEET, PLAN_SHEET))
    result = build_plan(book)
    on_sheet = read_plan_sheet(book, PLAN_SHEET)
    if plan_hash(on_sheet) != plan_hash(result.plan):
        raise HybridBudgetError(
            f"{book.file}: sheet {PLAN_SHEET} does not match the decisions on {DIVERGENCE_SHEET} "
            "(it was edited, or decisions changed since): run Apply decisions, then Lock"
        )
    digest = plan_hash(result.plan)
    same = _locked_as(book, digest)
    if same is not None:
        _mark_locked(book, result, same, progress)
        return same
    n = len(result.undecided)
    reason = bool(force_reason and force_reason.strip())
    if n and not reason:
        first = result.undecided.iloc[0]
        raise HybridBudgetError(
            f"{book.file}: {n} material items are undecided (first: {first.cost_center} "
            f"{first.line_item}, "
            f"{DIVERGENCE_SHEET} cell {first.cell}); decide them or lock with a stated reason "
            "(--force REASON)"
        )
    cap = result.capital
    over = cap is not None and cap.over
    if over and not reason:
        raise HybridBudgetError(
            f"{book.file}: the approved capital ({cap.approved_cents / 100:,.2f}) is over the "
            f"capital envelope ({cap.envelope_cents / 100:,.2f}) by "
            f"{-cap.remaining_cents / 100:,.2f}: defer or reject requests on {CAPITAL_SHEET}, "
            "then Apply decisions, or lock with a stated reason (--force REASON)"
        )
    version = (locked_versions(book) or [0])[-1] + 1
    who = user or entry("", "")["user"]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    forced = force_reason.strip() if (n or over) and force_reason else ""
    why = " and ".join(
        ([f"{n} material items undecided"] if n else [])
        + ([f"approved capital {-cap.remaining_cents / 100:,.2f} over the envelope"]
           if over and cap else [])
    )  # fmt: skip
    password = result.reference.config.templates.password
    name = f"{LOCKED_PREFIX}{version}"
    notes = (
        f"Version {version} locked by {who} at {when}. SHA-256 of the plan: {digest}.",
        f"Locked with {why}; reason: {forced}" if forced
        else "Every material item was decided.",
        "A locked plan is never changed; a new version is a new lock.",
    )  # fmt: skip
    sheets = [
        _plan_sheet(result, name, f"Locked plan, version {version}", notes, password),
        _plan_sheet(result, PLAN_SHEET, _locked_title(version), notes, password),
        audit_sheet(book, entry("lock", f"plan version {version} locked"
                                + (f" with {why}; reason: {forced}" if forced else ""),
                                digest, user=who)),
    ]  # fmt: skip
    progress(f"writing {name}")
    figures = {"version": version, "sheet": name}
    book.write_sheets(with_start_here(book, sheets, "lock", figures), "lock")
    return LockResult(version, name, digest, who, when, forced)

"""A simulated reconciliation workshop: decisions on the Divergence sheet, as finance and
operations would take them (for the demo and tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..control.book import ControlBook, open_control
from ..engine.gaps import ACCEPT, AGREED, KEEP
from ..engine.money import cents
from ..progress import Progress, silent
from ..steps.divergence import DivergenceResult, divergence, read_decisions


def workshop_decisions(agenda: Any, agreed_top: int = 3) -> dict[tuple[str, str], dict[str, Any]]:
    """Decide every item beyond tolerance: the largest few meet in the middle, items with a
    rationale accept bottom-up, the rest keep top-down."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    flagged = agenda[agenda.flag == "Yes"]
    flagged = flagged.iloc[flagged.gap.abs().argsort(kind="stable")[::-1]]  # largest $ first
    for n, row in enumerate(flagged.itertuples(index=False)):
        owner = row.escalate_to or "Cost center manager"
        if n < agreed_top:
            value = cents((row.top_down + row.bottom_up) / 2)
            decision = {"decision": AGREED, "agreed_value": value,
                        "note": "Met halfway in the workshop"}  # fmt: skip
        elif row.rationale:
            decision = {"decision": ACCEPT, "note": "Rationale accepted"}
        else:
            decision = {"decision": KEEP, "note": "No rationale given"}
        out[(row.cost_center, row.line_item)] = {"owner": owner} | decision
    return out


def run_workshop(control: Path | ControlBook, progress: Progress = silent) -> DivergenceResult:
    """Record the workshop's decisions on the Divergence sheet (decisions already typed win)."""
    book = open_control(control)
    current = divergence(book, progress)
    typed, _ = read_decisions(book)
    decided = {
        key: value
        for key, value in workshop_decisions(current.agenda).items()
        if not (typed.get(key) or {}).get("decision")
    }
    return divergence(book, progress, decisions=decided)

"""Capital requests against the envelope: score, rank, cut line, decisions and depreciation.

Score of a request = category weight (Guardrails) x priority points (High 3, Medium 2, Low 1)
x (1 + the volume growth of the cost center's strategic driver), rounded to 4 decimals. Requests
are ranked by score, highest first; ties go to the smaller amount, then the cost center code,
then the template row. Amounts are summed down the ranking in integer cents; a request is within
the envelope while the cumulative amount is at or below it. The cut line sits under the last
request within: from the first request that takes the cumulative amount past the envelope, every
request below is beyond it, even a smaller one that would still fit (the ranking is the order of
funding). The workshop sees every request beyond the cut line and every request at or above the
capital escalation threshold.

Depreciation of an approved request is straight line over its useful life in months, from its
in-service month (the manager's, or July: the mid-year convention): the amount in cents divided
by the life, the remainder cents one each to the first months, so the months add up exactly to
the amount and each fiscal year's portion is the sum of its months.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

PRIORITY_POINTS: dict[str, int] = {"High": 3, "Medium": 2, "Low": 1}
DEFAULT_IN_SERVICE_MONTH = 7  # July: the mid-year convention when the manager gives no month
MAX_LIFE_MONTHS = 600  # 50 years
APPROVE, DEFER, REJECT = "Approve", "Defer", "Reject"
CAPITAL_DECISIONS: tuple[str, ...] = (APPROVE, DEFER, REJECT)
UNDECIDED = "Undecided"
BEYOND_CUT = "beyond the cut line"
ESCALATED = "at or over the escalation threshold"
SCORE_TEXT = (
    "Score = category weight x priority points (High 3, Medium 2, Low 1) x (1 + the growth of the "
    "cost center's strategic driver); highest first, ties to the smaller amount, then cost center "
    "and row. Cumulative amounts at or below the envelope are within it; the cut line sits under "
    "the last request within."
)


@dataclass(frozen=True)
class CapitalRequest:
    """One capital request as the manager typed it (amount in integer cents)."""

    cost_center: str
    row: int  # 1-based row of the template's capital section
    item: str
    amount_cents: int
    category: str
    priority: str
    life_months: int
    in_service_month: int | None = None  # 1-12 of the budget year; None: the default
    justification: str = ""
    driver_growth: float = 0.0  # volume growth of the cost center's strategic driver

    @property
    def key(self) -> tuple[str, str, int]:
        """What a decision is kept by across runs: cost center, item and amount."""
        return (self.cost_center, self.item.strip().lower(), self.amount_cents)

    @property
    def month(self) -> int:
        return self.in_service_month or DEFAULT_IN_SERVICE_MONTH


@dataclass(frozen=True)
class RankedRequest:
    request: CapitalRequest
    weight: float
    score: float
    rank: int
    cumulative_cents: int
    within: bool  # above the cut line: the cumulative amount is within the envelope
    workshop: str  # why the workshop sees it ("" when it does not)


def score(weight: float, priority: str, growth: float) -> float:
    """The documented score (module docstring); an unknown priority counts as Low."""
    return round(weight * PRIORITY_POINTS.get(priority, 1) * (1 + growth), 4)


def rank_requests(
    requests: Iterable[CapitalRequest],
    weights: Mapping[str, float],
    envelope_cents: int,
    escalation_cents: int,
) -> list[RankedRequest]:
    """Every request scored, ranked, summed against the envelope and flagged for the workshop."""
    scored = [
        (score(weights.get(r.category, 0.0), r.priority, r.driver_growth), r) for r in requests
    ]
    scored.sort(key=lambda sr: (-sr[0], sr[1].amount_cents, sr[1].cost_center, sr[1].row))
    out, total, open_ = [], 0, True
    for rank, (s, r) in enumerate(scored, start=1):
        total += r.amount_cents
        open_ = open_ and total <= envelope_cents
        why = [BEYOND_CUT] if not open_ else []
        if r.amount_cents >= escalation_cents:
            why.append(ESCALATED)
        out.append(RankedRequest(r, weights.get(r.category, 0.0), s, rank, total, open_,
                                 "; ".join(why)))  # fmt: skip
    return out


def depreciation_schedule(amount_cents: int, life_months: int) -> list[int]:
    """Monthly straight-line depreciation in cents over the whole life, from the in-service
    month: equal cents, the remainder one cent each to the first months."""
    if life_months <= 0 or amount_cents == 0:
        return []
    base, extra = divmod(amount_cents, life_months)
    return [base + (1 if i < extra else 0) for i in range(life_months)]


def depreciation_by_year(
    amount_cents: int, life_months: int, in_service_month: int
) -> dict[int, list[int]]:
    """Year offset (0 = the budget year) -> twelve monthly cents (calendar months)."""
    out: dict[int, list[int]] = {}
    for i, value in enumerate(depreciation_schedule(amount_cents, life_months)):
        year, month = divmod(in_service_month - 1 + i, 12)
        out.setdefault(year, [0] * 12)[month] += value
    return out


def budget_year_depreciation(r: CapitalRequest) -> list[int]:
    """The twelve months of the budget year's depreciation of request `r`, in cents."""
    return depreciation_by_year(r.amount_cents, r.life_months, r.month).get(0, [0] * 12)


@dataclass(frozen=True)
class CapitalSummary:
    """Capital approved against the envelope (the Start here sheet, the dashboard, the export)."""

    envelope_cents: int
    requested_cents: int
    approved_cents: int
    count_by_decision: dict[str, int]  # Approve, Defer, Reject, Undecided -> requests

    @property
    def remaining_cents(self) -> int:
        """Envelope left after the approved requests (negative when over)."""
        return self.envelope_cents - self.approved_cents

    @property
    def over(self) -> bool:
        return self.approved_cents > self.envelope_cents


def summarise(envelope_cents: int, decided: Sequence[tuple[CapitalRequest, str]]) -> CapitalSummary:
    """The summary of requests and their decisions (a blank or unknown decision: Undecided)."""
    counts = Counter(d if d in CAPITAL_DECISIONS else UNDECIDED for _, d in decided)
    return CapitalSummary(
        envelope_cents,
        sum(r.amount_cents for r, _ in decided),
        sum(r.amount_cents for r, d in decided if d == APPROVE),
        {k: counts.get(k, 0) for k in (*CAPITAL_DECISIONS, UNDECIDED)},
    )

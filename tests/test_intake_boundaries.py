"""Issue 22: every intake threshold, just inside and just outside, on the hand-worked fixture.

The submission is Med/Surg's (HWH-03000) template as finance sends it (templates.writer.prefill),
with one value moved to the edge. Its targets are worked out in test_handworked_targets.py.
- RN: payroll wage 40.00 and target 11.11 FTEs.
- Wage tolerance 20%: 32.00 .. 48.00.
- RN staffing band 0.80 .. 1.25 x 11.11: 8.888 .. 13.8875 FTEs.
- Busiest target month 349 days: volume cap max(1,000, ceil(3,490 / 1,000) x 1,000) = 4,000.
- Cached results within half a cent of the engine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from handworked import MEDSURG, System, load_system
from hybridbudget.intake import checks
from hybridbudget.intake.files import Candidate
from hybridbudget.intake.submission import Submission, cell_of
from hybridbudget.templates.writer import prefill, volume_cap

RN, CLER, LPN = 0, 4, 1  # rows of the job-class tables


@pytest.fixture(scope="module")
def system() -> System:
    return load_system()


def review(system: System, cached: dict[str, list[Any]] | None = None,
           **changes: tuple[int, Any]) -> checks.Review:  # fmt: skip
    """Med/Surg's template as sent, with values[name][i] = v for each name=(i, v)."""
    g = system.reference.config.guardrails
    target = system.targets.by_cost_center[MEDSURG]
    values = {k: list(v) for k, v in prefill(target, g.divergence_tolerance_pct,
                                             g.divergence_tolerance_amount).items()}  # fmt: skip
    for name, (i, v) in changes.items():
        values[name][i] = v  # every changed name is pre-filled by the template
    sub = Submission(
        candidate=Candidate(Path("HWH-03000.xlsx"), "HWH-03000.xlsx"),
        sha256="",
        modified=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        meta={"cost_center": MEDSURG, "fiscal_year": "2027"},
        values=values,
        cached=cached or {},
        cells={},
        protected=True,
    )
    return checks.Review(sub, checks.Context(system.reference, system.targets))


def codes(check, r: checks.Review) -> list[tuple[str, str]]:
    return [(f.code, f.cell) for f in check(r)]


WAGES = [
    # RN wage typed, why                                           finding
    (48.00, "+8.00 = 20% of 40.00: at the tolerance", False),
    (48.01, "+20.03%", True),
    (47.99, "+19.98%", False),
    (32.00, "-20%: at", False),
    (31.99, "-20.03%", True),
    (52.00, "+30%: beyond 20%", True),
]


@pytest.mark.parametrize(("wage", "why", "flagged"), WAGES)
def test_wage_tolerance(system: System, wage: float, why: str, flagged: bool) -> None:
    found = codes(checks.check_wage_rates, review(system, hb_wage_rate=(RN, wage)))
    assert found == ([("WAGE_FAR_FROM_PAYROLL", cell_of("hb_wage_rate", RN))] if flagged else [])


def test_wage_is_not_checked_without_ftes(system: System) -> None:
    r = review(system, hb_wage_rate=(RN, 80.00), hb_fte=(RN, 0))
    assert codes(checks.check_wage_rates, r) == []


FTE_BAND = [
    # RN FTEs, why                                                 finding
    (8.89, "0.80 x 11.11 = 8.888: inside", False),
    (8.88, "below 8.888", True),
    (13.88, "1.25 x 11.11 = 13.8875: inside", False),
    (13.89, "above 13.8875", True),
    (11.11, "the target", False),
]


@pytest.mark.parametrize(("fte", "why", "flagged"), FTE_BAND)
def test_staffing_band(system: System, fte: float, why: str, flagged: bool) -> None:
    found = codes(checks.check_staffing_band, review(system, hb_fte=(RN, fte)))
    assert found == ([("FTE_OUTSIDE_BAND", cell_of("hb_fte", RN))] if flagged else [])


def test_staffing_band_where_the_target_has_none(system: System) -> None:
    assert codes(checks.check_staffing_band, review(system, hb_fte=(LPN, 0))) == []
    assert codes(checks.check_staffing_band, review(system, hb_fte=(LPN, 0.01))) == [
        ("FTE_OUTSIDE_BAND", cell_of("hb_fte", LPN))
    ]


def test_cached_value_off_by_one_cent(system: System) -> None:
    r = review(system)
    want = r.expected["hb_out_revenue"][0]
    assert want == 3890310.00  # 3,777 x 1,030.00, as worked in test_handworked_targets
    for shown, flagged in ((want, False), (want + 0.004, False), (want - 0.004, False),
                           (want + 0.01, True), (want - 0.01, True), (want + 1.00, True)):  # fmt: skip
        found = codes(checks.check_cached_results, review(system, {"hb_out_revenue": [shown]}))
        assert found == ([("CACHED_MISMATCH", cell_of("hb_out_revenue"))] if flagged else []), shown


VOLUME_CAP = [
    # January forecast, why                                        finding
    (4000, "at the cap of 4,000", None),
    (4001, "above the cap", "OUT_OF_RANGE"),
    (349.5, "not a whole number of days", "OUT_OF_RANGE"),
    (0, "zero is allowed", None),
    (-1, "negative", "NEGATIVE"),
    ("many", "text", "NOT_A_NUMBER"),
]


@pytest.mark.parametrize(("volume", "why", "code"), VOLUME_CAP)
def test_volume_bounds(system: System, volume: Any, why: str, code: str | None) -> None:
    assert volume_cap(system.targets.by_cost_center[MEDSURG]) == 4000
    found = codes(checks.check_numbers, review(system, hb_volume_forecast=(0, volume)))
    assert found == ([(code, cell_of("hb_volume_forecast", 0))] if code else [])


OVERTIME = [(0.50, None), (0.5001, "OUT_OF_RANGE"), (0.0, None)]  # the template allows 0 .. 50%


@pytest.mark.parametrize(("share", "code"), OVERTIME)
def test_overtime_share_bounds(system: System, share: float, code: str | None) -> None:
    found = codes(checks.check_numbers, review(system, hb_overtime_pct=(RN, share)))
    assert found == ([(code, cell_of("hb_overtime_pct", RN))] if code else [])


# The non-labor rationale is required beyond tolerance (5% and $1,000) of the target non-labor.
# Med/Surg target non-labor: SUP 216,044.40 + DRG 50,536.26 + PUR 24,720.00 + OTH 10,250.00 =
# 301,550.66; 5% of it is 15,077.533. As sent, every input is the target's (gap 0), so a
# purchased services amount p gives a gap of p - 24,720.00 and other expense x one of
# x - 10,250.00.
@pytest.mark.parametrize(
    ("name", "amount", "required"),
    [
        ("hb_other_expense", 10250.00, False),  # as sent: gap 0
        ("hb_purchased_services", 9642.47, False),  # gap -15,077.53: not beyond 15,077.533
        ("hb_purchased_services", 9642.46, True),  # gap -15,077.54: beyond 5% and $1,000
        ("hb_other_expense", 25327.53, False),  # gap +15,077.53
        ("hb_other_expense", 25327.54, True),  # gap +15,077.54
    ],
)
def test_rationale_required_beyond_tolerance(
    system: System, name: str, amount: float, required: bool
) -> None:
    r = review(system, **{name: (0, amount)})
    found = codes(checks.check_rationales, r)
    assert found == ([("RATIONALE_MISSING", cell_of("hb_rationale_nonlabor"))] if required else [])

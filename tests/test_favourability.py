"""Issue 15: one rule decides favourable and unfavourable, by line item, for every sheet."""

from __future__ import annotations

import pandas as pd
import pytest

from hybridbudget.engine import favourability as F
from hybridbudget.engine.triggers import find_breaches
from hybridbudget.engine.variance_split import in_dollars
from hybridbudget.model import EscalationLevel
from hybridbudget.model.line_items import EXPENSE_LINES
from hybridbudget.workbook.spec import NUMBER_FORMATS
from sheets import assert_difference_format


@pytest.mark.parametrize(
    ("code", "difference", "favourable", "label"),
    [
        # FINANCE-SHEETS.md's example: plan vs actual, one month
        ("REV", 30_000.00, True, "Fav"),  # net patient revenue above plan
        ("SAL_RN", 15_000.00, False, "Unfav"),  # salaries RN above plan
        ("SUP", -7_000.00, True, "Fav"),  # supplies under plan: negative, yet favourable
        ("MARGIN", 22_000.00, True, "Fav"),
        ("REV", -0.01, False, "Unfav"),
        ("AGY", -0.01, True, "Fav"),
        ("BEN", 0.01, False, "Unfav"),
        ("MARGIN", -1.00, False, "Unfav"),
        ("MARGIN_PCT", -0.001, False, "Unfav"),
        ("EXPENSE", -250.00, True, "Fav"),
        ("LABOR", 250.00, False, "Unfav"),
        ("NONLABOR", -1.00, True, "Fav"),
        ("SAL", 1.00, False, "Unfav"),
        ("FTE", 0.5, False, "Unfav"),
        ("OTH", 0.00, True, ""),  # on plan: nothing to flag
        ("UOS", 100.0, None, ""),  # volume alone neither helps nor hurts
    ],
)
def test_favourability_by_line_item_and_sign(code, difference, favourable, label):
    assert F.is_favourable(code, difference) is favourable
    assert F.label(code, difference) == label


def test_every_expense_line_is_favourable_down_and_revenue_up():
    assert F.direction("REV") == F.UP
    assert {F.direction(c) for c in EXPENSE_LINES} == {F.DOWN}
    codes = ["REV", "REV", *EXPENSE_LINES, *EXPENSE_LINES]
    diffs = [5.0, -5.0, *([5.0] * len(EXPENSE_LINES)), *([-5.0] * len(EXPENSE_LINES))]
    want = [True, False, *([False] * len(EXPENSE_LINES)), *([True] * len(EXPENSE_LINES))]
    assert F.favourable(codes, diffs).tolist() == want


def test_difference_formats_are_red_only_when_unfavourable():
    for base in ("money", "dollars", "pct"):
        assert_difference_format(NUMBER_FORMATS[F.variance_kind("REV", base)], "up")
        assert_difference_format(NUMBER_FORMATS[F.variance_kind("SUP", base)], "down")
        assert_difference_format(NUMBER_FORMATS[F.variance_kind("MARGIN", base)], "up")
    assert NUMBER_FORMATS["money"] == "#,##0.00;(#,##0.00)"
    assert NUMBER_FORMATS["dollars"] == "#,##0;(#,##0)"
    assert not any("[Red]-" in f for f in NUMBER_FORMATS.values())


def test_variance_flag_is_judged_against_the_flexible_budget():
    # supplies: over plan (volume rose) but under the flexible budget -> favourable
    # revenue: above plan but below the flexible budget -> unfavourable
    view = pd.DataFrame(
        {"cost_center": ["CC", "CC"], "line_item": ["SUP", "REV"], "plan": [100_000, 500_000],
         "flex": [130_000, 600_000], "actual": [120_000, 550_000], "volume": [0, 0],
         "efficiency": [0, 0], "rate": [0, 0], "spending": [0, 0], "annual": [0, 0],
         "planned_uos": [10, 10], "actual_uos": [13, 13], "hours": [0, 0]}
    )  # fmt: skip
    out = in_dollars(view)
    assert out.favourable.tolist() == ["Fav", "Unfav"]
    assert out.variance.tolist() == [200.00, 500.00]  # actual - plan keeps its sign
    assert out.fav_kind.tolist() == ["money_down", "money_up"]


def test_triggers_use_the_same_rule():
    level = EscalationLevel(level=1, role="Director", pct=0.05, amount=1_000.0)
    rows = pd.DataFrame(
        {"cost_center": ["CC"] * 4, "line_item": ["SUP", "SUP", "REV", "REV"],
         "flex": [100_000.0] * 4, "actual": [90_000.0, 110_000.0, 90_000.0, 110_000.0]}
    )  # fmt: skip
    found = find_breaches(rows, "2027-01", [level])
    assert [(b.line_item, b.actual) for b in found] == [("SUP", 110_000.0), ("REV", 90_000.0)]

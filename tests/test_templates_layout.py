"""The template layout honours the contract and its formulas mirror the model; tolerance rule."""

from __future__ import annotations

import re

import pytest

from hybridbudget.engine.tolerance import beyond_tolerance
from hybridbudget.model.line_items import HOURS_PER_FTE, JOB_CLASSES, OVERTIME_PREMIUM
from hybridbudget.templates.contract import CAPITAL_ROWS, NAMES, Role
from hybridbudget.templates.fingerprint import expected_formulas, normalise
from hybridbudget.templates.layout import LAST_COL, Area, layout

REF = re.compile(r"(?<![A-Z])([A-Z]{1,2})(\d+)(?::([A-Z]{1,2})(\d+))?")


def test_every_contract_name_is_placed_with_its_shape_and_role() -> None:
    lay = layout()
    assert set(lay.names) == {n.name for n in NAMES}
    for n in NAMES:
        area = lay.names[n.name]
        assert (area.rows, area.cols) == (n.rows, n.cols), n.name
        slots = [lay.cells[rc] for rc in area.cells()]
        is_formula = [isinstance(s.value, str) and s.value.startswith("=") for s in slots]
        assert all(is_formula) is (n.role is Role.OUTPUT), n.name
        assert all(s.style.locked is (n.role is not Role.INPUT) for s in slots), n.name
        assert (n.name in lay.rules) is (n.role is Role.INPUT), n.name
    assert lay.names["hb_fte"].rows == len(JOB_CLASSES)
    assert lay.names["hb_capital_item"].rows == CAPITAL_ROWS


def test_names_do_not_overlap_and_stay_inside_the_print_area() -> None:
    lay = layout()
    seen: dict[tuple[int, int], str] = {}
    for name, area in lay.names.items():
        for rc in area.cells():
            assert rc not in seen, f"{name} overlaps {seen.get(rc)}"
            seen[rc] = name
    assert all(r <= lay.last_row and c <= LAST_COL for r, c in lay.cells)


def test_formulas_point_only_at_cells_of_the_layout() -> None:
    lay = layout()
    placed = {Area(r, c).ref for r, c in lay.cells}
    for coord, formula in expected_formulas().items():
        for m in REF.finditer(formula.replace("$", "")):
            if m.group(3):
                assert f"{m.group(1)}{m.group(2)}" in placed, (coord, formula)
                assert f"{m.group(3)}{m.group(4)}" in placed, (coord, formula)
            elif m.group(1) not in {"IF", "AND", "ABS", "SUM", "ROUND", "LEN", "TRIM"}:
                assert m.group(0) in placed, (coord, formula)


def test_salary_formula_is_the_driver_model_with_its_constants() -> None:
    lay = layout()
    fte, wage, ot = (
        Area(*lay.names[n].cells()[0]).ref for n in ("hb_fte", "hb_wage_rate", "hb_overtime_pct")
    )
    pr = lay.names["hb_productive_ratio"].cells()[0]
    pr_ref = Area(*pr).ref
    salary = Area(*lay.names["hb_out_salaries"].cells()[0]).ref
    assert expected_formulas()[salary] == (
        f"=ROUND({fte}*{HOURS_PER_FTE}*{wage}+{fte}*{HOURS_PER_FTE}*{pr_ref}*{ot}*{wage}"
        f"*{OVERTIME_PREMIUM},2)"
    )


def test_rationale_flags_mirror_the_tolerance_rule() -> None:
    lay = layout()
    pct = Area(*lay.names["hb_tolerance_pct"].cells()[0]).ref
    amount = Area(*lay.names["hb_tolerance_amount"].cells()[0]).ref
    for flag in ("volume", "staffing", "nonlabor"):
        formula = expected_formulas()[Area(*lay.names[f"hb_need_rationale_{flag}"].cells()[0]).ref]
        assert re.fullmatch(
            rf"=IF\(AND\(ABS\((\w+)\)>{amount},ABS\(\1\)>{pct}\*ABS\((\w+)\)\),1,0\)", formula
        ), formula


@pytest.mark.parametrize(
    ("gap", "target", "expected"),
    [
        (60_000, 1_000_000, True),  # beyond both $50,000 and 5%
        (-60_000, 1_000_000, True),  # either direction
        (60_000, 2_000_000, False),  # beyond the amount only (3%)
        (40_000, 100_000, False),  # beyond the percent only (40%)
        (50_000, 100_000, False),  # at the amount: not beyond
        (60_000, 1_200_000, False),  # at the percent: not beyond
        (60_000, 0, True),  # no target: any gap beyond the amount
        (60_000, -1_000_000, True),  # a negative target counts by its size
    ],
)
def test_beyond_tolerance(gap: float, target: float, expected: bool) -> None:
    assert beyond_tolerance(gap, target, 0.05, 50_000) is expected


def test_fingerprint_normalisation() -> None:
    assert normalise(5) == normalise(5.0) == "5"
    assert normalise(0.1 + 0.2) == normalise(0.3)
    assert normalise("  RN  ") == "RN"
    assert normalise("=sum(B1:B2)") == "=SUM(B1:B2)"
    assert normalise(None) is None and normalise("   ") is None


def test_validation_messages_fit_excel_limits() -> None:
    for name, rule in layout().rules.items():
        assert 0 < len(rule.title) <= 32, name  # Excel refuses longer input/error titles
        assert 0 < len(rule.prompt) <= 255, name
        assert 0 < len(rule.error) <= 225, name
    assert "50%" in layout().rules["hb_overtime_pct"].error

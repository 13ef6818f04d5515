"""The template's live formulas equal the engine to the cent (LibreOffice recalculates them).

Templates of each cost center type are filled with varied inputs through their defined names, all
recalculated in one LibreOffice call, and every output name is compared with drivers.compute and
tolerance.beyond_tolerance over the same inputs (templates.values.expected_outputs).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

from conftest import needs_libreoffice
from hybridbudget.engine.drivers import compute
from hybridbudget.engine.targets import CostCenterTarget
from hybridbudget.engine.tolerance import beyond_tolerance
from hybridbudget.model import CostCenterType
from hybridbudget.model.line_items import JOB_CLASSES
from hybridbudget.templates.contract import CAPITAL_ROWS, OUTPUT_NAMES, PRIORITIES
from hybridbudget.templates.values import (
    LINE_OUTPUTS,
    drivers_from_values,
    expected_outputs,
    read_template_values,
)
from hybridbudget.workbook.libreoffice import convert

pytestmark = needs_libreoffice
HALF_CENT = 0.005


def write_name(wb: Workbook, name: str, values: list) -> None:
    """Write values (row-major) into the cells of a defined name, as a manager would type them."""
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    cells = [c for row in wb[sheet].iter_rows(min_row, max_row, min_col, max_col) for c in row]
    assert len(cells) == len(values), name
    for cell, value in zip(cells, values, strict=True):
        cell.value = value


def varied_inputs(t: CostCenterTarget, seed: int) -> dict[str, list]:
    """Plausible but non-default inputs (every class staffed, overtime and agency everywhere)."""
    rnd = random.Random(seed)
    n = len(JOB_CLASSES)
    return {
        "hb_volume_forecast": [int(v * rnd.uniform(0.6, 1.5)) + rnd.randint(0, 9)
                               for v in t.drivers.volume],
        "hb_fte": [round(rnd.uniform(0.5, 60), 2) for _ in range(n)],
        "hb_wage_rate": [round(rnd.uniform(16, 110), 2) for _ in range(n)],
        "hb_overtime_pct": [round(rnd.uniform(0.001, 0.15), 4) for _ in range(n)],
        "hb_agency_fte": [round(rnd.uniform(0, 6), 2) for _ in range(n)],
        "hb_supplies_per_uos": [round(t.prior.supplies_per_uos * rnd.uniform(0.5, 1.6) + 0.37, 2)],
        "hb_drugs_per_uos": [round(t.prior.drugs_per_uos * rnd.uniform(0.5, 1.6) + 0.11, 2)],
        "hb_purchased_services": [round(rnd.uniform(1_000, 3_000_000), 2)],
        "hb_other_expense": [round(rnd.uniform(0, 900_000), 2)],
        "hb_capital_item": ["Infusion pumps (10)", "Bed replacement", None, None, None],
        "hb_capital_amount": [84_500, 250_000.5, None, None, None],
        "hb_capital_priority": [PRIORITIES[0], PRIORITIES[1], None, None, None],
        "hb_capital_justification": ["Fleet past end of life", "Safety", None, None, None],
        "hb_rationale_volume": ["New surgeon joins in March"],
    }  # fmt: skip


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory, control_path: Path, control_targets):
    """(label, filled values, values recalculated by LibreOffice) for each case, one LO call."""
    from hybridbudget.steps.templates import generate_templates

    _, targets = control_targets
    by_type: dict[CostCenterType, list[str]] = {}
    for code, t in targets.by_cost_center.items():
        by_type.setdefault(t.cost_center.cost_center_type, []).append(code)
    assert set(by_type) == set(CostCenterType)
    cases: dict[str, tuple[str, dict[str, list]]] = {}  # label -> (cost center, inputs)
    for seed, (kind, codes) in enumerate(sorted(by_type.items())):
        cases[f"{kind}-varied"] = (codes[0], varied_inputs(targets.by_cost_center[codes[0]], seed))
    support = by_type[CostCenterType.SUPPORT][1]
    cases["support-no-volume-blanks"] = (
        support,
        {
            "hb_volume_forecast": [0] * 12,
            "hb_drugs_per_uos": [None],
            "hb_agency_fte": [None] * len(JOB_CLASSES),
            "hb_other_expense": [None],
        },
    )
    cases["inpatient-as-generated"] = (by_type[CostCenterType.INPATIENT][1], {})
    root = tmp_path_factory.mktemp("formulas")
    codes = sorted({code for code, _ in cases.values()})
    result = generate_templates(control_path, root / "t", cost_centers=codes)
    paths = {p.name.split("_FY")[0]: p for p in result.paths}
    filled_paths, filled_values = [], {}
    for label, (code, inputs) in cases.items():
        wb = load_workbook(paths[code])
        for name, values in inputs.items():
            write_name(wb, name, values)
        path = root / "filled" / f"{label}.xlsx"
        path.parent.mkdir(exist_ok=True)
        wb.save(path)
        filled_paths.append(path)
        filled_values[label] = read_template_values(load_workbook(path), data_only=False)
    outs = convert(filled_paths, "xlsx", root / "recalculated")
    return [
        (p.stem, filled_values[p.stem], read_template_values(out, data_only=True), cases[p.stem][0])
        for p, out in zip(filled_paths, outs, strict=True)
    ]


def test_every_output_equals_the_engine_to_the_cent(recalculated) -> None:
    assert len(recalculated) >= 6
    for label, filled, calc, _ in recalculated:
        expected = expected_outputs(filled)
        assert set(expected) == {n.name for n in OUTPUT_NAMES}
        for name, want in expected.items():
            got = calc[name]
            assert len(got) == len(want), (label, name)
            for g, w in zip(got, want, strict=True):
                assert isinstance(g, int | float), (label, name, g)
                assert abs(g - w) <= HALF_CENT, (label, name, g, w)


def test_every_line_item_and_total_matches_drivers_compute(recalculated) -> None:
    for label, filled, calc, _ in recalculated:
        fig = compute(drivers_from_values(filled))
        for code, (name, i) in LINE_OUTPUTS.items():
            assert abs(calc[name][i] - fig.lines[code]) <= HALF_CENT, (label, code)
        for name, value in (
            ("hb_out_revenue", fig.revenue),
            ("hb_out_labor", fig.labor_cost),
            ("hb_out_nonlabor", fig.nonlabor_cost),
            ("hb_out_expense", fig.expense),
            ("hb_out_margin", fig.margin),
            ("hb_out_fte", fig.fte),
            ("hb_out_worked_hours", fig.worked_hours),
            ("hb_out_volume", fig.volume),
        ):
            assert abs(calc[name][0] - value) <= HALF_CENT, (label, name, calc[name][0], value)
        assert calc["hb_out_whpuos"][0] == pytest.approx(fig.worked_hours_per_uos, abs=1e-9)


def test_rationale_flags_follow_the_tolerance_rule(recalculated) -> None:
    seen = set()
    for label, filled, calc, _ in recalculated:
        fig = compute(drivers_from_values(filled))
        pct, amount = filled["hb_tolerance_pct"][0], filled["hb_tolerance_amount"][0]
        for flag, budget, target in (
            ("volume", fig.revenue, filled["hb_target_revenue"][0]),
            ("staffing", fig.labor_cost, filled["hb_target_labor"][0]),
            ("nonlabor", fig.nonlabor_cost, filled["hb_target_nonlabor"][0]),
        ):
            want = beyond_tolerance(budget - target, target, pct, amount)
            assert calc[f"hb_need_rationale_{flag}"] == [1 if want else 0], (label, flag)
            seen.add(want)
    assert seen == {True, False}  # the cases exercise both outcomes


def test_edge_cases_zero_volume_and_blank_inputs(recalculated) -> None:
    calc = {label: c for label, _, c, _ in recalculated}
    no_volume = calc["support-no-volume-blanks"]
    assert no_volume["hb_out_volume"] == [0]
    assert no_volume["hb_out_whpuos"] == [0]
    assert no_volume["hb_out_supplies"] == [0] and no_volume["hb_out_drugs"] == [0]
    assert no_volume["hb_out_agency"] == [0] and no_volume["hb_out_other"] == [0]


def test_untouched_template_shows_the_top_down_figures(recalculated, control_targets) -> None:
    _, targets = control_targets
    _, _, calc, code = next(r for r in recalculated if r[0] == "inpatient-as-generated")
    fig = targets.by_cost_center[code].figures
    assert abs(calc["hb_out_revenue"][0] - fig.revenue) <= HALF_CENT
    assert abs(calc["hb_out_labor"][0] - fig.labor_cost) <= HALF_CENT
    assert abs(calc["hb_out_fte"][0] - fig.fte) <= HALF_CENT
    assert calc["hb_out_whpuos"][0] == pytest.approx(fig.worked_hours_per_uos)
    assert calc["hb_capital_item"] == [None] * CAPITAL_ROWS

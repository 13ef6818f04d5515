"""Reading a template by name and turning it into drivers never crashes on what managers send."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.defined_name import DefinedName

from hybridbudget.model.line_items import JOB_CLASSES
from hybridbudget.templates.contract import BUDGET_SHEET, META_SHEET, NAMES
from hybridbudget.templates.layout import Area, layout
from hybridbudget.templates.values import (
    drivers_from_values,
    expected_outputs,
    number,
    read_meta,
    read_template_values,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, control_path: Path) -> Path:
    from hybridbudget.steps.templates import generate_templates

    out = tmp_path_factory.mktemp("values")
    return generate_templates(control_path, out, cost_centers=["RMC-03000"]).paths[0]


def test_reads_every_name_from_a_path_or_a_workbook(template: Path) -> None:
    from_path = read_template_values(template, data_only=False)
    from_book = read_template_values(load_workbook(template), data_only=False)
    assert from_path == from_book
    assert set(from_path) == {n.name for n in NAMES}
    for n in NAMES:
        assert len(from_path[n.name]) == n.cells, n.name
    # the file carries computed values before any spreadsheet program opens it (cached values)
    computed = read_template_values(template)
    assert computed["hb_out_revenue"] == from_path["hb_target_revenue"]
    assert computed["hb_out_gap_margin"] == [0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 0.0),
        ("12", 0.0),
        ("abc", 0.0),
        (True, 0.0),
        (float("nan"), 0.0),
        (float("inf"), 0.0),
        (3, 3.0),
        (2.5, 2.5),
    ],
)
def test_number_treats_junk_as_zero(value: object, expected: float) -> None:
    assert number(value) == expected


def test_junk_in_inputs_counts_as_zero(template: Path) -> None:
    wb = load_workbook(template)
    ws = wb[BUDGET_SHEET]
    lay = layout()
    ws.cell(*lay.names["hb_volume_forecast"].cells()[0]).value = "lots"
    ws.cell(*lay.names["hb_fte"].cells()[0]).value = "twelve"
    ws.cell(*lay.names["hb_wage_rate"].cells()[1]).value = None
    ws.cell(*lay.names["hb_supplies_per_uos"].cells()[0]).value = "=1/0"
    values = read_template_values(wb, data_only=False)
    drivers = drivers_from_values(values)
    assert drivers.volume[0] == 0.0 and drivers.volume[1] > 0
    assert drivers.staff(JOB_CLASSES[0]).fte == 0.0
    assert drivers.staff(JOB_CLASSES[1]).wage_rate == 0.0
    assert drivers.supplies_per_uos == 0.0
    outputs = expected_outputs(values)
    assert all(math.isfinite(v) for vs in outputs.values() for v in vs)


def test_missing_broken_and_misshapen_names_do_not_raise(template: Path) -> None:
    wb = load_workbook(template)
    del wb.defined_names["hb_fte"]
    wb.defined_names["hb_wage_rate"] = DefinedName("hb_wage_rate", attr_text="#REF!")
    wb.defined_names["hb_volume_forecast"] = DefinedName(
        "hb_volume_forecast", attr_text="Nowhere!$B$2:$C$2"
    )
    short = Area(*layout().names["hb_overtime_pct"].cells()[0], rows=2)
    wb.defined_names["hb_overtime_pct"] = DefinedName(
        "hb_overtime_pct", attr_text=f"{BUDGET_SHEET}!{short.absolute}"
    )
    values = read_template_values(wb, data_only=False)
    for gone in ("hb_fte", "hb_wage_rate", "hb_volume_forecast"):
        assert gone not in values
    assert len(values["hb_overtime_pct"]) == 2
    drivers = drivers_from_values(values)
    assert drivers.volume == (0.0,) * 12
    assert all(drivers.staff(j).fte == 0.0 for j in JOB_CLASSES)
    assert drivers.staff(JOB_CLASSES[-1]).overtime_pct == 0.0  # padded
    assert drivers_from_values({}).annual_volume == 0.0


def test_read_meta_of_a_workbook_without_meta_is_empty() -> None:
    assert read_meta(Workbook()) == {}
    wb = Workbook()
    ws = wb.create_sheet(META_SHEET)
    ws.append(["key", "value"])
    ws.append(["cost_center", 6010])
    ws.append([None, "ignored"])
    ws.append(["lonely"])
    assert read_meta(wb) == {"cost_center": "6010", "lonely": ""}

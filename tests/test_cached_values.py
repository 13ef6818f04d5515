"""Issue 17: a blank template of every cost center type shows zero gap to target once recalculated,
and every formula cell carries the value LibreOffice recalculates for it (cached values)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import needs_libreoffice
from hybridbudget.model import CostCenterType
from hybridbudget.templates.contract import BUDGET_SHEET
from hybridbudget.templates.layout import Variant, layout, variant_of
from hybridbudget.workbook.formula_values import XLError, evaluate
from hybridbudget.workbook.libreoffice import convert

pytestmark = needs_libreoffice


def same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-9)
    return a == b


def formula_cells(path: Path, sheet: str) -> dict[str, object]:
    """Coordinate -> cached value of every formula cell of a sheet (as a reader sees it)."""
    formulas = load_workbook(path)[sheet]
    values = load_workbook(path, data_only=True)[sheet]
    return {
        c.coordinate: values[c.coordinate].value
        for row in formulas.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


@pytest.fixture(scope="module")
def templates(tmp_path_factory, control_path, control_targets):
    """One blank template per cost center type and layout variant (a hospital-wide volume, no
    revenue), as issued and as LibreOffice recalculates it; plus a copy whose cached revenue was
    falsified (the oracle must not echo cached values)."""
    from hybridbudget.steps.templates import generate_templates

    _, targets = control_targets
    by_type: dict[tuple[CostCenterType, Variant], str] = {}
    for code, t in targets.by_cost_center.items():
        by_type.setdefault((t.cost_center.cost_center_type, variant_of(t)), code)
    assert {kind for kind, _ in by_type} == set(CostCenterType)
    assert Variant(volume_locked=True, revenue=False) in {v for _, v in by_type}
    root = tmp_path_factory.mktemp("cached")
    paths = generate_templates(control_path, root / "t", cost_centers=list(by_type.values())).paths
    falsified = root / "falsified.xlsx"
    with zipfile.ZipFile(paths[0]) as src, zipfile.ZipFile(falsified, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<c r="C8"[^>]*><f>[^<]*</f><v>)[^<]*', rb"\g<1>123.25", data)
            dst.writestr(item, data)
    outs = convert([*paths, falsified], "xlsx", root / "lo")
    return list(zip(paths, outs[:-1], strict=True)), outs[-1]


def test_the_oracle_recalculates(templates) -> None:
    pairs, falsified = templates
    assert load_workbook(pairs[0][0], data_only=True)[BUDGET_SHEET]["C8"].value != 123.25
    assert load_workbook(falsified, data_only=True)[BUDGET_SHEET]["C8"].value != 123.25


def test_every_formula_cell_carries_the_recalculated_value(templates) -> None:
    pairs, _ = templates
    expected = set(layout().formulas())
    for issued, recalculated in pairs:
        ours, theirs = (
            formula_cells(issued, BUDGET_SHEET),
            formula_cells(recalculated, BUDGET_SHEET),
        )
        assert set(ours) == expected and set(theirs) == expected
        assert all(v is not None for v in ours.values()), issued.name
        wrong = {c: (ours[c], theirs[c]) for c in expected if not same(ours[c], theirs[c])}
        assert wrong == {}, issued.name


def test_a_blank_template_of_every_type_shows_zero_gap(templates) -> None:
    pairs, _ = templates
    lay = layout()
    gaps = [f"{c}10" for c in "BCDEFGHI"]  # the summary's gap row
    names = ("hb_out_gap_margin", "hb_need_rationale_volume", "hb_need_rationale_staffing",
             "hb_need_rationale_nonlabor")  # fmt: skip
    cells = [*gaps, *(lay.names[n].ref for n in names), "J8"]
    nonlabor = {r for (r, c), s in lay.cells.items() if c == 1 and s.value == "Total non-labor"}
    (total,) = nonlabor
    cells += [f"G{r}" for r in range(total - 4, total + 1)]  # non-labor gap column and total
    for _, recalculated in pairs:
        ws = load_workbook(recalculated, data_only=True)[BUDGET_SHEET]
        assert {c: ws[c].value for c in cells} == dict.fromkeys(cells, 0), recalculated.name
        assert ws["C9"].value == ws["C8"].value and ws["D9"].value == ws["D8"].value


def test_the_evaluator_follows_excel() -> None:
    s = "S"
    values = {(s, 1, 3): 10.0, (s, 2, 3): 20.0, (s, 3, 3): None,
              (s, 1, 4): "a", (s, 2, 4): "B", (s, 3, 4): "c"}  # fmt: skip
    texts = [
        "=ROUND(2.675,2)",
        '=IFERROR(INDEX(C1:C3,MATCH("b",D1:D3,0)),"none")',
        '=IFERROR(INDEX(C1:C3,MATCH("z",D1:D3,0)),"none")',
        "=1/0",
        '=IF(AND(ABS(-3)>2,LEN(TRIM("  a  b "))=3),"yes","no")&"!"',
        '=SUM(C1:C3)+"x"',
        "=-A5*2+(C3=0)",
    ]
    got = evaluate({(s, 5, i): f for i, f in enumerate(texts, start=1)}, values)
    results = [got[(s, 5, i)] for i in range(1, len(texts) + 1)]
    assert results[:3] == [2.68, 20.0, "none"]  # ROUND half away from zero; MATCH ignores case
    assert isinstance(results[3], XLError) and results[3].code == "#DIV/0!"
    assert results[4] == "yes!"
    assert isinstance(results[5], XLError) and results[5].code == "#VALUE!"
    assert results[6] == -4.36  # a blank cell equals 0

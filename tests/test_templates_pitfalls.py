"""Known openpyxl and LibreOffice pitfalls: a re-save or a round trip must keep the governance.

- openpyxl re-saving a protected sheet must not lock the inputs, drop validations (or their error
  alerts), names, the hidden metadata or structure protection.
- A LibreOffice round trip (what happens when a manager opens and saves the file there) keeps
  validations, sheet protection, unlocked inputs and the defined names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

from conftest import needs_libreoffice
from hybridbudget.templates.contract import BUDGET_SHEET, INPUT_NAMES, META_SHEET, NAMES, Role
from hybridbudget.templates.fingerprint import fingerprint
from hybridbudget.templates.layout import Variant, layout
from hybridbudget.templates.values import read_meta, read_template_values
from hybridbudget.workbook.libreoffice import convert

CODES = ["RMC-03000", "RMC-09100", "RMC-05000", "RMC-00500"]  # one of each cost center type
HOSPITAL_WIDE = {"RMC-00500"}  # adjusted patient days: its volume forecast is finance's, locked


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory, control_path: Path) -> list[Path]:
    from hybridbudget.steps.templates import generate_templates

    out = tmp_path_factory.mktemp("pitfalls")
    return generate_templates(control_path, out, cost_centers=CODES).paths


def validated_cells(wb: Workbook) -> dict[tuple[int, int], object]:
    """(row, column) -> the data validation covering it, on the Budget sheet."""
    covered = {}
    for dv in wb[BUDGET_SHEET].data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    covered[(r, c)] = dv
    return covered


def assert_governed(wb: Workbook, structure: bool = True) -> None:
    """Protection, unlocked and validated inputs, names: what intake and managers rely on."""
    ws = wb[BUDGET_SHEET]
    lay = layout(Variant(volume_locked=read_meta(wb).get("cost_center") in HOSPITAL_WIDE))
    assert ws.protection.sheet and ws.protection.password
    covered = validated_cells(wb)
    for n in INPUT_NAMES:
        for r, c in lay.names[n.name].cells():
            assert ws.cell(r, c).protection.locked is lay.cells[(r, c)].style.locked, n.name
            dv = covered.get((r, c))
            assert dv is not None, n.name
            assert dv.showErrorMessage and dv.errorStyle in (None, "stop"), n.name
            assert dv.showInputMessage and dv.prompt, n.name
    for (r, c), slot in lay.cells.items():
        if slot.style.locked:
            assert ws.cell(r, c).protection.locked is not False, (r, c)
    assert {n.name for n in NAMES} <= set(wb.defined_names)
    for n in NAMES:
        ((sheet, ref),) = list(wb.defined_names[n.name].destinations)
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        area = lay.names[n.name]
        assert sheet == BUDGET_SHEET
        assert (min_row, min_col, max_row - min_row + 1, max_col - min_col + 1) == (
            area.row,
            area.col,
            area.rows,
            area.cols,
        ), n.name
    assert wb[META_SHEET].sheet_state in ("veryHidden", "hidden")
    if structure:
        assert wb.security is not None and wb.security.lockStructure


def test_openpyxl_resave_keeps_inputs_unlocked_and_validations_strict(
    templates: list[Path], tmp_path: Path
) -> None:
    for path in templates:
        before = read_template_values(path, data_only=False)
        once = tmp_path / f"once-{path.name}"
        load_workbook(path).save(once)
        twice = tmp_path / f"twice-{path.name}"
        load_workbook(once).save(twice)
        wb = load_workbook(twice)
        assert_governed(wb)
        assert wb[META_SHEET].sheet_state == "veryHidden"
        assert len(wb[BUDGET_SHEET].data_validations.dataValidation) == len(INPUT_NAMES)
        assert read_template_values(wb, data_only=False) == before
        assert fingerprint(wb[BUDGET_SHEET]) == read_meta(wb)["fingerprint"]


@needs_libreoffice
def test_libreoffice_round_trip_keeps_validation_protection_and_names(
    templates: list[Path], tmp_path: Path
) -> None:
    outs = convert(templates, "xlsx", tmp_path / "lo")
    for path, out in zip(templates, outs, strict=True):
        wb = load_workbook(out)
        # LibreOffice drops workbook structure protection (TESTING-NOTES); the rest must survive
        assert_governed(wb, structure=False)
        assert len(wb[BUDGET_SHEET].data_validations.dataValidation) >= len(INPUT_NAMES)
        assert read_meta(wb) == read_meta(path)
        # LibreOffice 7.4 keeps our formula text, so a manager saving there is not taken for an
        # editor of locked cells
        assert fingerprint(wb[BUDGET_SHEET]) == read_meta(path)["fingerprint"]
        given = read_template_values(wb, data_only=True)
        original = read_template_values(path, data_only=False)
        for n in NAMES:  # LibreOffice keeps 15 significant digits
            if n.role is not Role.OUTPUT:
                for got, want in zip(given[n.name], original[n.name], strict=True):
                    if isinstance(want, int | float) and not isinstance(want, bool):
                        assert got == pytest.approx(want, rel=1e-14), n.name
                    else:
                        assert got == want, n.name

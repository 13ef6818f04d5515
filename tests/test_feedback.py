"""Issue 17: a rejected file's feedback copy says why on its first sheet, marks the cells at fault
in their own colour, and once a manager types correct values there it validates clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hybridbudget.findings import Severity
from hybridbudget.intake.submission import cell_of
from hybridbudget.steps.feedback import FEEDBACK_FILL, TO_DO
from hybridbudget.steps.validate import validate, validate_submissions
from hybridbudget.templates.contract import BUDGET_SHEET
from hybridbudget.templates.guide import FEEDBACK_SHEET
from hybridbudget.templates.issued import name_at
from hybridbudget.templates.writer import sheet_values
from hybridbudget.workbook.styles import WARN_FILL

CC = "RMC-03000"


@pytest.fixture(scope="module")
def fed_back(tmp_path_factory, templates_dir, control_path):
    """A template with four errors, validated with --feedback: (control, submitted, copy, result)."""
    root = tmp_path_factory.mktemp("feedback")
    control = root / "control.xlsx"
    shutil.copyfile(control_path, control)
    src = next(templates_dir.rglob(f"{CC}_FY*.xlsx"))
    submitted = root / "in" / src.name
    submitted.parent.mkdir()
    wb = load_workbook(src)
    ws = wb[BUDGET_SHEET]
    ws[cell_of("hb_fte", 0)] = "twelve"  # NOT_A_NUMBER
    ws[cell_of("hb_volume_forecast", 2)] = None  # REQUIRED_BLANK
    ws[cell_of("hb_revenue_per_uos", 0)] = 9999  # LOCKED_EDITED (a locked given)
    supplies = cell_of("hb_supplies_per_uos", 0)
    ws[supplies] = round(ws[supplies].value * 1.5, 2)  # non-labor beyond tolerance, no rationale
    wb.save(submitted)
    result = validate(control, submitted.parent, feedback=root / "out", write_sheet=False)
    return control, submitted, root / "out" / submitted.name, result


def test_the_copy_opens_on_why_with_every_error_linked_to_its_cell(fed_back) -> None:
    _, _, copy, result = fed_back
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    codes = {f.code for f in errors}
    assert {"NOT_A_NUMBER", "REQUIRED_BLANK", "LOCKED_EDITED", "RATIONALE_MISSING"} <= codes
    wb = load_workbook(copy)
    assert wb.sheetnames[0] == FEEDBACK_SHEET and wb.active.title == FEEDBACK_SHEET
    ws = wb[FEEDBACK_SHEET]
    rows = [r for r in ws.iter_rows(min_row=5) if r[0].value is not None]
    assert [r[2].value for r in rows] == [f.message for f in errors]  # every error, in order
    for row, f in zip(rows, errors, strict=True):
        link = row[1].hyperlink
        assert link is not None and link.location == f"'{f.sheet}'!{f.cell}", f.code
        sheet, cell = link.location.split("!")
        assert wb[sheet.strip("'")][cell].fill.fgColor.rgb == FEEDBACK_FILL.fgColor.rgb
        assert row[3].value == TO_DO[f.code]
    assert FEEDBACK_FILL.fgColor.rgb != WARN_FILL.fgColor.rgb  # not the "explain" colour


def test_the_fixed_copy_validates_clean(fed_back, control_targets, tmp_path: Path) -> None:
    control, _, copy, _ = fed_back
    ref, targets = control_targets
    issued = sheet_values(targets.by_cost_center[CC], ref).cells
    wb = load_workbook(copy)
    ws = wb[BUDGET_SHEET]
    revenue = ws[cell_of("hb_revenue_per_uos", 0)]
    assert revenue.value == issued[(revenue.row, revenue.column)] != 9999  # finance's value back
    marked = [c for row in ws.iter_rows() for c in row
              if c.fill.fgColor.rgb == FEEDBACK_FILL.fgColor.rgb]  # fmt: skip
    typed = 0
    for cell in marked:  # the manager types in the marked cells they can type in
        if cell.protection.locked:
            continue
        name, _ = name_at()[cell.coordinate]
        if name.startswith("hb_rationale"):
            cell.value = "New supply contract from March: pricier implants, agreed with the SL."
        else:
            cell.value = issued[(cell.row, cell.column)]
        typed += 1
    assert typed == 5  # FTE, March volume and three rationales (blank and text count as 0)
    fixed = tmp_path / "again" / copy.name
    fixed.parent.mkdir()
    wb.save(fixed)
    again = validate_submissions(control, fixed.parent)
    assert [f.model_dump() for f in again.findings if f.severity is not Severity.INFO] == []
    assert CC in again.accepted


def test_an_untouched_copy_is_rejected_again(fed_back) -> None:
    control, _, copy, _ = fed_back
    again = validate_submissions(control, copy.parent)
    assert {"NOT_A_NUMBER", "REQUIRED_BLANK", "RATIONALE_MISSING"} <= {
        f.code for f in again.findings if f.severity is Severity.ERROR
    }
    assert "LOCKED_EDITED" not in {f.code for f in again.findings}  # finance's value is back

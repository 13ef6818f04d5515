"""Issue 15: conventions finance reads by: no secret on a sheet, gap formats on the template."""

from __future__ import annotations

import shutil
import zipfile

import openpyxl
import pandas as pd

from hybridbudget.control.load import load_control
from hybridbudget.control.schema import TEMPLATE_PASSWORD_PROPERTY
from hybridbudget.engine.favourability import direction
from hybridbudget.paths import BUNDLED_SAMPLE
from hybridbudget.sources.readers import load_sources
from hybridbudget.steps.consolidate import DRIVERS_PAGES_WIDE, DRIVERS_SHEET, consolidate
from hybridbudget.workbook.docprops import read_property, write_property
from hybridbudget.workbook.spec import Block, Column, row_heights
from hybridbudget.workbook.xlsx import PAPER_SIZES
from sheets import assert_difference_format, cut_text


def _cells_holding(path, text: str) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    found = [
        f"{ws.title}!{c.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None and text in str(c.value)
    ]
    wb.close()
    return found


def test_no_cell_of_the_control_workbook_holds_the_template_password(control_copy, templates_dir):
    password = load_sources(BUNDLED_SAMPLE).reference.config.templates.password
    assert password == "hb-2027"
    assert _cells_holding(control_copy, password) == []
    with zipfile.ZipFile(control_copy) as z:  # nor any shared string or sheet part
        for name in z.namelist():
            if name.startswith("xl/"):
                assert password.encode() not in z.read(name), name
    # it is the workbook's custom document property, and every step reads it from there
    assert read_property(control_copy, TEMPLATE_PASSWORD_PROPERTY) == password
    assert load_control(control_copy)[0].config.templates.password == password
    # a template generated from this workbook is protected with it
    template = next((templates_dir / "RMC").glob("*.xlsx"))
    assert openpyxl.load_workbook(template)["Budget"].protection.sheet


def test_finance_changes_the_password_without_it_showing(control_copy, tmp_path, templates_dir):
    write_property(control_copy, TEMPLATE_PASSWORD_PROPERTY, "new secret 2028")
    assert load_control(control_copy)[0].config.templates.password == "new secret 2028"
    # a step rewrites its sheets; the property survives the transplant, still in no cell
    subs = tmp_path / "subs"
    shutil.copytree(templates_dir / "LCH", subs)
    consolidate(control_copy, subs)
    assert read_property(control_copy, TEMPLATE_PASSWORD_PROPERTY) == "new secret 2028"
    assert _cells_holding(control_copy, "new secret 2028") == []


def test_template_gap_row_is_red_only_when_unfavourable(templates_dir):
    template = next((templates_dir / "RMC").glob("*.xlsx"))
    ws = openpyxl.load_workbook(template)["Budget"]
    assert ws["A10"].value == "Gap (yours - target)"
    codes = ("UOS", "REVENUE", "LABOR", "NONLABOR", "EXPENSE", "MARGIN", "FTE", "WHPUOS")
    for col, code in zip("BCDEFGHI", codes, strict=True):
        assert_difference_format(ws[f"{col}10"].number_format, direction(code))
    assert direction("UOS") == "neutral" and direction("LABOR") == "down"


# the sheets init writes that hold prose or names finance types (rendered and read, issue 15)
READ_SHEETS = ("Guardrails", "Organization", "Job Classes", "Account Map", "Target Drivers",
               "Assumptions", "Glossary", "Decision Guide")  # fmt: skip


def test_no_text_is_cut_off_in_print_on_the_reference_sheets(control_path):
    assert cut_text(control_path, READ_SHEETS) == []
    ws = openpyxl.load_workbook(control_path)["Guardrails"]
    header = next(c for row in ws.iter_rows() for c in row if c.value == "Meaning")
    meaning = header.column
    long = max(range(header.row + 1, ws.max_row + 1),
               key=lambda r: len(str(ws.cell(r, meaning).value or "")))  # fmt: skip
    cell = ws.cell(long, meaning)
    assert cell.alignment.wrap_text and len(cell.value) > 100  # full, on two lines
    assert ws.row_dimensions[long].height == 28


def test_row_heights_fit_the_wrapped_text():
    rows = pd.DataFrame({"k": ["A", "B"], "t": ["aaaa bbbb cccc dddd", "ab"]})
    wrapped = (Column("Key", "k", width=5), Column("Text", "t", width=10, wrap=True))
    # 10 wide holds 11 characters a line: "aaaa bbbb" / "cccc dddd" is two lines of 13 points
    assert row_heights(Block("b", wrapped, rows)) == [28.0, 0.0]
    assert row_heights(Block("b", wrapped[:1], rows)) == [0.0, 0.0]  # no wrap: automatic
    own = rows.assign(h=[0, 40])
    assert row_heights(Block("b", wrapped, own, height_from="h")) == [0.0, 40.0]


def test_bottom_up_drivers_print_three_pages_wide_with_the_cost_center(
    control_copy, tmp_path, templates_dir
):
    subs = tmp_path / "subs"
    shutil.copytree(templates_dir / "LCH", subs)
    consolidate(control_copy, subs)
    ws = openpyxl.load_workbook(control_copy)[DRIVERS_SHEET]
    assert DRIVERS_PAGES_WIDE == 3 and ws.page_setup.fitToWidth == 3
    assert int(ws.page_setup.paperSize) == PAPER_SIZES["tabloid"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_cols == "$A:$A"
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "Cost center")
    rationale = next(c for c in ws[header] if c.value == "Volume rationale").column
    assert ws.cell(header + 1, rationale).alignment.wrap_text

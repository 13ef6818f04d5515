"""Issue 15: conventions finance reads by: no secret on a sheet, gap formats on the template."""

from __future__ import annotations

import shutil
import zipfile

import openpyxl

from hybridbudget.control.load import load_control
from hybridbudget.control.schema import TEMPLATE_PASSWORD_PROPERTY
from hybridbudget.engine.favourability import direction
from hybridbudget.paths import BUNDLED_SAMPLE
from hybridbudget.sources.readers import load_sources
from hybridbudget.steps.consolidate import consolidate
from hybridbudget.workbook.docprops import read_property, write_property
from sheets import assert_difference_format


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

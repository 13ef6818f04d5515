"""Issue 22: a step changes only what it owns, exactly, in the zip package of the control workbook.

Finance's additions go into the control workbook first. These are a sheet of their own with print
titles and a filter, print titles on an engine sheet the step does not write, and a
workbook-level name. Then a real step runs (validate on an empty folder writes Validation and
Audit Log). Every zip part the step does not own must be byte for byte what it was. So must every
defined name it does not own, workbook-level or sheet-local, and every other element of
workbook.xml. Styles may only be appended to.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.workbook.defined_name import DefinedName

from hybridbudget.steps.validate import validate
from hybridbudget.workbook.parts import NS, R_NS, _Package

OWNED = {"Validation", "Audit Log", "Start here"}
# parts every transplant rewrites: they are compared element by element below
PACKAGE_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                 "xl/styles.xml", "docProps/app.xml"}  # fmt: skip


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def c14n(el: etree._Element) -> bytes:
    return etree.tostring(el, method="c14n")


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory, control_path: Path) -> Path:
    """The control workbook after finance's own additions (saved by openpyxl, as Excel would)."""
    path = tmp_path_factory.mktemp("lossless") / "control.xlsx"
    wb = openpyxl.load_workbook(control_path)
    mine = wb.create_sheet("My notes")
    for row in (("Cost center", "Note", "Owner"), ("HWH-1", "check agency", "me"), ("X", 1, 2)):
        mine.append(row)
    mine.print_title_rows = "1:1"
    mine.auto_filter.ref = "A1:C3"
    wb["Guardrails"].print_title_rows = "1:3"
    wb["Guardrails"].print_area = "A1:D30"
    wb.defined_names["FinanceRange"] = DefinedName("FinanceRange", attr_text="'My notes'!$A$1:$C$3")
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def after(before: Path) -> Path:
    path = before.with_name("after.xlsx")
    shutil.copyfile(before, path)
    folder = before.parent / "submissions"
    folder.mkdir(exist_ok=True)
    openpyxl.Workbook().save(
        folder / "not-a-template.xlsx"
    )  # a rejected file: the step still writes
    validate(path, folder)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def local_names(path: Path) -> list[tuple[str, str, str]]:
    """(sheet or '' for workbook-level, name, formula) of every defined name, in order."""
    pkg = _Package.read(path, lazy=False)
    wb = etree.fromstring(pkg.parts[pkg.workbook_part()])
    sheets = [s.get("name") for s in wb.iter(q("sheet"))]
    out = []
    for dn in wb.iter(q("definedName")):
        local = dn.get("localSheetId")
        out.append((sheets[int(local)] if local is not None else "", dn.get("name"), dn.text))
    return out


def test_finance_names_are_in_the_workbook_before_the_step(before: Path) -> None:
    names = set(local_names(before))
    assert ("My notes", "_xlnm.Print_Titles", "'My notes'!$1:$1") in names
    assert ("My notes", "_xlnm._FilterDatabase", "'My notes'!$A$1:$C$3") in names
    titles = {
        f for sheet, name, f in names if (sheet, name) == ("Guardrails", "_xlnm.Print_Titles")
    }
    # finance's title rows, beside the key column the sheet prints on every page
    assert len(titles) == 1 and "'Guardrails'!$1:$3" in titles.pop().split(",")
    assert ("Guardrails", "_xlnm.Print_Area", "'Guardrails'!$A$1:$D$30") in names
    assert ("", "FinanceRange", "'My notes'!$A$1:$C$3") in names


def test_every_defined_name_the_step_does_not_own_is_kept(before: Path, after: Path) -> None:
    kept = [n for n in local_names(before) if n[0] not in OWNED]
    now = [n for n in local_names(after) if n[0] not in OWNED]
    assert now == kept
    assert len(kept) >= 20  # finance's five and the engine sheets' print titles and filters


def test_every_part_the_step_does_not_own_is_byte_for_byte_the_same(
    before: Path, after: Path
) -> None:
    pkg = _Package.read(after, lazy=False)
    sheet_parts = pkg.sheets()
    owned = {sheet_parts[s] for s in OWNED if s in sheet_parts}
    owned |= {p.replace("worksheets/", "worksheets/_rels/") + ".rels" for p in owned}
    old, new = parts(before), parts(after)
    untouched = [n for n in old if n not in owned | PACKAGE_PARTS and "calcChain" not in n]
    assert "xl/worksheets/sheet1.xml" in untouched or len(untouched) > 10
    changed = [n for n in untouched if new.get(n) != old[n]]
    assert changed == []
    # the user's sheet by name, through the new workbook's relationships
    mine_before = _Package.read(before, lazy=False)
    assert pkg.parts[sheet_parts["My notes"]] == mine_before.parts[mine_before.sheets()["My notes"]]


def test_workbook_xml_changes_only_in_owned_sheets_and_names(before: Path, after: Path) -> None:
    old = etree.fromstring(parts(before)["xl/workbook.xml"])
    new = etree.fromstring(parts(after)["xl/workbook.xml"])
    for child in old:
        if child.tag in (q("sheets"), q("definedNames")):
            continue
        twin = new.find(child.tag)
        assert twin is not None and c14n(twin) == c14n(child), child.tag
    old_sheets = [c14n(s) for s in old.find(q("sheets"))]
    new_sheets = [c14n(s) for s in new.find(q("sheets"))]
    assert new_sheets[: len(old_sheets)] == old_sheets  # existing sheets kept, ids and order
    added = [s.get("name") for s in new.find(q("sheets"))][len(old_sheets) :]
    assert set(added) <= OWNED
    rid = q("id").replace(NS, R_NS)
    assert all(s.get(rid) for s in new.find(q("sheets")))


def test_styles_are_only_appended_to(before: Path, after: Path) -> None:
    old = etree.fromstring(parts(before)["xl/styles.xml"])
    new = etree.fromstring(parts(after)["xl/styles.xml"])
    for tag in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "dxfs"):
        was, now = old.find(q(tag)), new.find(q(tag))
        if was is None:
            continue
        assert [c14n(e) for e in now][: len(was)] == [c14n(e) for e in was], tag


def test_relationships_and_content_types_are_kept(before: Path, after: Path) -> None:
    for part, key in (("xl/_rels/workbook.xml.rels", "Id"), ("[Content_Types].xml", "PartName")):
        old = {e.get(key): c14n(e) for e in etree.fromstring(parts(before)[part])}
        new = {e.get(key): c14n(e) for e in etree.fromstring(parts(after)[part])}
        lost = {k for k in old if k not in new or new[k] != old[k]}
        assert all(k and "calcChain" in k for k in lost), lost

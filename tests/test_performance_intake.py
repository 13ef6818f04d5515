"""Issue 8: the fast submission reader gives exactly what the openpyxl reader gives.

Every file is read both ways (`read_submission`: the package XML, openpyxl only where needed;
`read_submission_openpyxl`: openpyxl.load_workbook) and the two Submission records must be equal:
templates as sent, filled submissions, the labelled defect set, files LibreOffice saved, and
hand-made edits of the package XML that exercise each branch of the fast reader (or its fallback).
Validation in worker processes gives the same result as in one process.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from conftest import needs_libreoffice
from hybridbudget.intake import fastread, parallel, scan
from hybridbudget.intake import submission as intake_submission
from hybridbudget.intake.files import discover, sniff
from hybridbudget.intake.submission import read_submission, read_submission_openpyxl
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.steps.validate import validate_submissions

SHEET = "xl/worksheets/sheet1.xml"
OBJECT = re.compile(r" object at 0x[0-9a-f]+")


def fast_path_used(path: Path) -> bool:
    try:
        fastread.read_package(path.name, path.read_bytes())
    except fastread.Unsupported:
        return False
    return True


def comparable(read: object) -> object:
    """A read with openpyxl's formula objects (equal only to themselves) as plain tuples."""
    if not hasattr(read, "values"):
        return read

    def plain(v: object) -> object:
        return (type(v).__name__, dict(v)) if isinstance(v, ArrayFormula | DataTableFormula) else v

    out = {
        k: ({n: [plain(v) for v in vs] for n, vs in val.items()} if k == "values" else
            {c: plain(v) for c, v in val.items()} if k == "cells" else val)
        for k, val in vars(read).items()
    }  # fmt: skip
    if any(OBJECT.search(v) for v in out["locked"].values()):  # str() of a formula object
        out["locked"] = {c: OBJECT.sub("", v) for c, v in out["locked"].items()}
    return out


def assert_same_reads(folder: Path) -> list[str]:
    """Both readers agree on every readable file under folder; returns the files read fast."""
    candidates, _ = discover(folder)
    fast = []
    for cand in candidates:
        if sniff(cand) is not None:
            continue
        assert comparable(read_submission(cand)) == comparable(read_submission_openpyxl(cand)), (
            cand.rel
        )
        if fast_path_used(cand.path):
            fast.append(cand.rel)
    return fast


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, control_path: Path):
    out = tmp_path_factory.mktemp("filled")
    fill_submissions(templates_dir, out, seed=11, control=control_path)
    return out


def test_templates_read_the_same_and_fast(templates_dir):
    fast = assert_same_reads(templates_dir)
    assert len(fast) == len(list(templates_dir.rglob("*.xlsx")))


def test_filled_submissions_read_the_same_and_fast(filled):
    fast = assert_same_reads(filled)
    assert len(fast) == len(list(filled.rglob("*.xlsx")))


def test_the_defect_set_reads_the_same(tmp_path, templates_dir, control_path):
    from hybridbudget.sample.defects import make_defects

    make_defects(templates_dir, control_path, tmp_path / "defects", seed=3)
    fast = assert_same_reads(tmp_path / "defects")
    assert fast  # the content defects go the fast way; broken packages go to openpyxl


@needs_libreoffice
def test_files_saved_by_libreoffice_read_the_same_and_fast(tmp_path, templates_dir, control_path):
    picked = tmp_path / "templates" / "RMC"
    picked.mkdir(parents=True)
    for src in sorted((templates_dir / "RMC").glob("*.xlsx"))[:3]:
        shutil.copy(src, picked)
    fill_submissions(tmp_path / "templates", tmp_path / "lo", seed=4, control=control_path,
                     recalc=True)  # fmt: skip
    fast = assert_same_reads(tmp_path / "lo")
    assert len(fast) == 3  # shared strings, cached values, LibreOffice's own XML


def edit_sheet(src: Path, dst: Path, edit: Callable[[str], str], part: str = SHEET) -> Path:
    """A copy of src with one part's XML text edited."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    return dst


def cell(ref: str, body: str, attrs: str = "", style: str | None = None) -> Callable[[str], str]:
    """An edit replacing the cell at ref with <c r=ref s=(its style) attrs>body</c>."""

    def edit(xml: str) -> str:
        found = re.search(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)', xml)
        assert found, ref
        keep = re.search(r's="\d+"', found.group(1))
        s = f' s="{style}"' if style is not None else f" {keep.group(0)}" if keep else ""
        new = f'<c r="{ref}"{s}{attrs}>{body}</c>' if body else f'<c r="{ref}"{s}{attrs}/>'
        return xml[: found.start()] + new + xml[found.end() :]

    return edit


# name -> (edit, read the fast way?); E21 = RN budget FTEs, D53 = volume rationale, N16 = annual
# volume formula, B2 = system name (locked text), D8 = labor cost formula
EDITS: dict[str, tuple[Callable[[str], str], bool]] = {
    "boolean": (cell("E21", "<v>1</v>", ' t="b"'), True),
    "error value": (cell("E21", "<v>#N/A</v>", ' t="e"'), True),
    "number as exponent": (cell("E21", "<v>1.25E1</v>"), True),
    "empty value element": (cell("E21", "<v></v>"), True),
    "formula with cached text": (cell("D8", "<f>J27+K27+B30</f><v>x</v>", ' t="str"'), True),
    "rich inline text": (
        cell(
            "D53",
            "<is><r><rPr><b/></rPr><t>Bold </t></r><r><t>plain</t></r></is>",
            ' t="inlineStr"',
        ),
        True,
    ),
    "inline text with spaces": (
        cell("D53", '<is><t xml:space="preserve">  why  </t></is>', ' t="inlineStr"'),
        True,
    ),
    "comment and processing instruction": (
        lambda x: x.replace("<sheetData>", "<sheetData><!-- note --><?pi x?>"),
        True,
    ),
    "duplicate cell, last wins": (
        lambda x: x.replace(
            '<c r="B2"', '<c r="B2" t="inlineStr"><is><t>first</t></is></c><c r="B2"', 1
        ),
        True,
    ),
    "protection off by 'false'": (lambda x: x.replace('sheet="1"', 'sheet="false"', 1), True),
    "protection 'False' is on for openpyxl": (
        lambda x: x.replace('sheet="1"', 'sheet="False"', 1),
        True,
    ),
    "protection removed": (lambda x: re.sub(r"<sheetProtection[^>]*/>", "", x), True),
    "merge over a value": (
        lambda x: x.replace("</mergeCells>", '<mergeCell ref="B14:C14"/></mergeCells>'),
        True,
    ),
    "shared formula": (cell("D8", '<f t="shared" si="0" ref="D8">J27+K27+B30</f>'), False),
    "array formula": (cell("D8", '<f t="array" ref="D8">J27+K27+B30</f>'), False),
    "cell without a reference": (lambda x: x.replace('<c r="B2"', "<c", 1), False),
    "date cell type": (cell("E21", "<v>2026-01-01</v>", ' t="d"'), False),
    "unknown cell type": (cell("E21", "<v>1</v>", ' t="zz"'), False),
    "unknown child of a cell": (cell("E21", "<v>1</v><extLst/>"), False),
    "style that does not exist": (cell("E21", "<v>1</v>", style="999"), False),
    "bad shared string index": (cell("E21", "<v>7</v>", ' t="s"'), False),
    "text in a number": (cell("E21", "<v>abc</v>"), False),
    "document type": (
        lambda x: x.replace("<worksheet", '<!DOCTYPE w [<!ENTITY e "x">]><worksheet', 1),
        False,
    ),
    "broken XML": (lambda x: x.replace("</sheetData>", "", 1), False),
}


@pytest.fixture(scope="module")
def one_filled(filled: Path) -> Path:
    return sorted(filled.rglob("*.xlsx"))[0]


@pytest.mark.parametrize("name", list(EDITS))
def test_hand_made_edits_read_the_same(tmp_path, one_filled, name):
    edit, fast = EDITS[name]
    path = edit_sheet(one_filled, tmp_path / "edit" / one_filled.name, edit)
    assert fast_path_used(path) is fast
    assert_same_reads(tmp_path / "edit")


@pytest.mark.parametrize(
    ("part", "edit"),
    [
        ("xl/workbook.xml", lambda x: re.sub(r"(hb_fte\">)[^<]*", r"\1#REF!", x)),
        ("xl/workbook.xml", lambda x: re.sub(r"(hb_fte\">)[^<]*", r"\1'Budget'!$E:$E", x)),
        ("xl/workbook.xml", lambda x: x.replace('name="Budget"', 'name="Budget2"')),
        ("xl/styles.xml", lambda x: x.replace('<protection locked="0"/>', "", 1)),
        ("xl/styles.xml", lambda x: x.replace('numFmtId="4"', 'numFmtId="14"', 1)),
        ("xl/worksheets/sheet3.xml", cell("B5", "<v>2027.0</v>", ' t="n"')),
        ("xl/worksheets/sheet3.xml", cell("B3", "<f>A1</f><v>x</v>", ' t="str"')),
    ],
)
def test_edits_of_the_shared_parts_read_the_same(tmp_path, one_filled, part, edit):
    edit_sheet(one_filled, tmp_path / "edit" / one_filled.name, edit, part)
    assert_same_reads(tmp_path / "edit")


def test_a_file_with_shared_strings_and_runs_reads_the_same(tmp_path, one_filled):
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>plain x005F_y</t></si><si><r><t>run </t></r><r><rPr><b/></rPr><t>two</t></r>"
        "<rPh sb=\"0\" eb=\"1\"><t>ruby</t></rPh></si></sst>"
    )  # fmt: skip
    path = edit_sheet(one_filled, tmp_path / "edit" / one_filled.name,
                      cell("D53", "<v>1</v>", ' t="s"'))  # fmt: skip
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/sharedStrings.xml", strings)
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    edit_sheet(path, tmp_path / "edit2" / one_filled.name,
               lambda x: x.replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                   f'ContentType="{ct}"/></Types>'), "[Content_Types].xml")  # fmt: skip
    assert fast_path_used(tmp_path / "edit2" / one_filled.name)
    assert_same_reads(tmp_path / "edit2")


def summary(result):
    return (
        [f.model_dump() for f in result.findings],
        [vars(f) for f in result.files],
        {cc: s.sha256 for cc, s in result.accepted.items()},
    )


def test_workers_and_the_openpyxl_reader_give_the_same_validation(
    tmp_path, templates_dir, control_path, monkeypatch
):
    from hybridbudget.sample.defects import make_defects

    folder = tmp_path / "subs"
    make_defects(templates_dir, control_path, folder, seed=5)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    serial = summary(validate_submissions(control_path, folder))
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel, "FILES_PER_WORKER", 1)
    assert parallel.worker_count(40) == 2
    assert summary(validate_submissions(control_path, folder)) == serial

    def openpyxl_only(path_name: str, data: bytes):
        raise fastread.Unsupported("test")

    monkeypatch.setattr(intake_submission, "read_package", openpyxl_only)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert summary(validate_submissions(control_path, folder)) == serial


# --- the sheet scanner (intake.scan): used on the shapes it knows, lxml on everything else ------


def sheets_scanned(path: Path) -> list[bool]:
    """Per worksheet part of the file: did the scanner read it (not lxml)?"""
    with zipfile.ZipFile(path) as z:
        parts = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        return [scan.scan_sheet(z.read(n)) is not None for n in parts]


def test_the_scanner_reads_every_sheet_of_templates_and_submissions(templates_dir, filled):
    for path in [*sorted(templates_dir.rglob("*.xlsx"))[:5], *sorted(filled.rglob("*.xlsx"))[:5]]:
        assert all(sheets_scanned(path)), path


@needs_libreoffice
def test_the_scanner_reads_sheets_libreoffice_saved(tmp_path, templates_dir, control_path):
    picked = tmp_path / "templates" / "RMC"
    picked.mkdir(parents=True)
    shutil.copy(sorted((templates_dir / "RMC").glob("*.xlsx"))[0], picked)
    fill_submissions(tmp_path / "templates", tmp_path / "lo", seed=4, control=control_path,
                     recalc=True)  # fmt: skip
    (path,) = sorted((tmp_path / "lo").rglob("*.xlsx"))
    assert all(sheets_scanned(path))
    assert_same_reads(tmp_path / "lo")


# name -> (edit of the Budget sheet, scanned?); each is read the same as openpyxl reads it
SCANNER_EDITS: dict[str, tuple[Callable[[str], str], bool]] = {
    "named entities": (
        cell(
            "D53", "<is><t>R&amp;D &lt;2&gt; &quot;a&quot; &apos;b&apos;</t></is>", ' t="inlineStr"'
        ),
        True,
    ),
    "entity in a formula": (cell("D8", "<f>IF(J27&lt;0,0,J27)+K27+B30</f>"), True),
    "self-closing cell": (cell("E21", ""), True),
    "LibreOffice's formula attribute": (cell("D8", '<f aca="false">J27+K27+B30</f>'), True),
    "empty value and formula elements": (cell("D8", "<f/><v/>"), True),
    "numeric character reference": (
        cell("D53", "<is><t>a&#10;b</t></is>", ' t="inlineStr"'),
        False,
    ),
    "carriage return in text": (cell("D53", "<is><t>a\rb</t></is>", ' t="inlineStr"'), False),
    "whitespace between cells": (lambda x: x.replace("</c><c ", "</c>\n  <c ", 1), False),
    "another attribute": (cell("E21", "<v>1</v>", ' cm="1"'), False),
    "a cell outside the rows": (
        lambda x: x.replace(
            "<sheetData>", '<sheetData><c r="A99" t="inlineStr"><is><t>x</t></is></c>'
        ),
        False,
    ),
    "CDATA": (cell("D53", "<is><t><![CDATA[a<b]]></t></is>", ' t="inlineStr"'), False),
    "another default namespace": (
        lambda x: x.replace("<sheetData>", '<sheetData xmlns="urn:other">', 1),
        False,
    ),
    "a second sheetData in a comment": (
        lambda x: x.replace("<worksheet ", "<!-- <sheetData></sheetData> --><worksheet ", 1),
        False,
    ),
}


@pytest.mark.parametrize("name", list(SCANNER_EDITS))
def test_the_scanner_declines_what_it_does_not_know(tmp_path, one_filled, name):
    edit, scanned = SCANNER_EDITS[name]
    path = edit_sheet(one_filled, tmp_path / "edit" / one_filled.name, edit)
    assert sheets_scanned(path)[0] is scanned
    assert fast_path_used(path)  # lxml reads what the scanner declines
    assert_same_reads(tmp_path / "edit")


def test_broken_xml_outside_the_cells_is_refused_as_openpyxl_refuses_it(tmp_path, one_filled):
    path = edit_sheet(one_filled, tmp_path / "edit" / one_filled.name,
                      lambda x: x.replace("</sheetViews>", "", 1))  # fmt: skip
    assert not fast_path_used(path)
    assert_same_reads(tmp_path / "edit")

"""Issue 13: a submission is untrusted. Each case edits a generated template's package the way a
determined manager (or another spreadsheet application) would and checks the finding's code,
severity and cell, and that no consolidated figure moves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import needs_libreoffice
from hybridbudget.control.book import open_control
from hybridbudget.control.register import REGISTER_SHEET, Issue, read_register, register_sheet
from hybridbudget.findings import Severity
from hybridbudget.intake.checks import named_cost_centers
from hybridbudget.intake.submission import cell_of
from hybridbudget.sample.fill import edit_parts
from hybridbudget.steps.capital_requests import RANKED_COLUMNS
from hybridbudget.steps.consolidate import consolidate
from hybridbudget.steps.validate import validate_submissions
from hybridbudget.templates.contract import META_KEYS
from hybridbudget.templates.fingerprint import fingerprint
from hybridbudget.templates.layout import layout
from hybridbudget.templates.stamp import BUDGET_PART, META_PART

TAMPERED, OTHER = "RMC-03000", "LCH-00500"
REVENUE_CELL = cell_of("hb_revenue_per_uos")
FINGERPRINT_CELL = f"B{META_KEYS.index('fingerprint') + 2}"


def template_of(templates_dir: Path, cc: str) -> Path:
    return next(templates_dir.rglob(f"{cc}_FY*.xlsx"))


def submit(templates_dir: Path, folder: Path, cc: str, name: str | None = None) -> Path:
    src = template_of(templates_dir, cc)
    dst = folder / (name or src.name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def set_number(xml: bytes, coord: str, value: float) -> bytes:
    """A number cell's stored value replaced, in the sheet XML itself."""
    pattern = re.compile(rf'(<c r="{coord}"[^>]*>)<v>[^<]*</v>'.encode())
    assert pattern.search(xml), coord
    return pattern.sub(rb"\g<1><v>" + str(value).encode() + b"</v>", xml, count=1)


def set_meta(xml: bytes, coord: str, text: str) -> bytes:
    pattern = re.compile(rf'(<c r="{coord}"[^>]*><is><t>)[^<]*(</t>)'.encode())
    assert pattern.search(xml), coord
    return pattern.sub(rb"\g<1>" + text.encode() + rb"\g<2>", xml, count=1)


def number_at(path: Path, coord: str) -> float:
    return float(load_workbook(path)["Budget"][coord].value)


def system_figures(control: Path, folder: Path) -> tuple[dict[str, float], set[str]]:
    """Consolidated system annual figures by line item, and the cost centers included."""
    result = consolidate(control, folder)
    rows = result.consolidated[result.consolidated.level == "System"]
    figures = {r.line_item: float(r.annual) for r in rows.itertuples()}
    assert figures and sum(abs(v) for v in figures.values()) > 0
    return figures, set(result.bottom_up)


def findings_of(result, file: str):
    return [f for f in result.findings if f.file == file]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "in"
    out.mkdir()
    return out


def test_issued_templates_are_clean_and_recorded(folder, templates_dir, control_copy):
    a = submit(templates_dir, folder, TAMPERED)
    b = submit(templates_dir, folder, OTHER)
    result = validate_submissions(control_copy, folder)
    assert result.findings == []
    assert set(result.accepted) == {TAMPERED, OTHER}
    register = read_register(open_control(control_copy))
    meta = load_workbook(a)["Meta"]
    tid = next(r[1].value for r in meta.iter_rows() if r[0].value == "template_id")
    issue = register.by_id[tid]
    assert (issue.cost_center, issue.version) == (TAMPERED, 1)
    import hashlib

    src = template_of(templates_dir, TAMPERED)
    assert issue.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert issue.file == src.relative_to(templates_dir).as_posix()
    assert b.exists()


@pytest.mark.parametrize("fingerprint_as", ["blank", "recomputed", "kept"])
def test_locked_given_edited_is_an_error_whatever_the_fingerprint(
    fingerprint_as, folder, templates_dir, control_copy
):
    clean = submit(templates_dir, folder, OTHER)
    baseline, included = system_figures(control_copy, folder)
    assert included == {OTHER}
    path = submit(templates_dir, folder, TAMPERED)
    issued = number_at(path, REVENUE_CELL)
    edit_parts(path, {BUDGET_PART: lambda x: set_number(x, REVENUE_CELL, issued * 3)})
    if fingerprint_as == "blank":
        edit_parts(path, {META_PART: lambda x: set_meta(x, FINGERPRINT_CELL, "")})
    elif fingerprint_as == "recomputed":
        digest = fingerprint(load_workbook(path)["Budget"])
        edit_parts(path, {META_PART: lambda x: set_meta(x, FINGERPRINT_CELL, digest)})
    result = validate_submissions(control_copy, folder)
    found = [f for f in findings_of(result, path.name) if f.code == "LOCKED_EDITED"]
    assert [(f.severity, f.sheet, f.cell) for f in found] == [
        (Severity.ERROR, "Budget", REVENUE_CELL)
    ]
    assert f"{issued * 3:,.10g}" in found[0].message and f"{issued:,.10g}" in found[0].message
    assert TAMPERED not in result.accepted
    assert findings_of(result, clean.name) == []
    revenue, included = system_figures(control_copy, folder)
    assert included == {OTHER} and revenue == baseline


def test_a_header_label_edited_is_named_by_cell(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED)
    coord = next(c for c, rc in _fields().items() if rc == "cost_center")
    wb = load_workbook(path)
    wb["Budget"][coord].value = "RMC-99999  Somewhere else"
    wb.save(path)
    result = validate_submissions(control_copy, folder)
    found = {(f.code, f.severity, f.cell) for f in result.findings}
    assert ("LOCKED_EDITED", Severity.ERROR, coord) in found


def _fields() -> dict[str, str]:
    from hybridbudget.templates.issued import field_at

    return field_at()


def test_names_repointed_give_one_layout_changed(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED)
    area = layout().names["hb_revenue_per_uos"]
    moved = f"Budget!$Z${area.row}"

    def repoint(xml: bytes) -> bytes:
        pattern = re.compile(rb'(<definedName name="hb_revenue_per_uos"[^>]*>)[^<]*(<)')
        assert pattern.search(xml)
        return pattern.sub(rb"\g<1>" + moved.encode() + rb"\g<2>", xml)

    edit_parts(path, {"xl/workbook.xml": repoint})
    result = validate_submissions(control_copy, folder)
    found = findings_of(result, path.name)
    assert [(f.code, f.severity) for f in found] == [("LAYOUT_CHANGED", Severity.ERROR)]
    assert "hb_revenue_per_uos" in found[0].message and area.ref in found[0].message
    assert TAMPERED not in result.accepted


def test_names_on_a_hidden_copy_sheet_give_layout_changed(folder, templates_dir, control_copy):
    other = submit(templates_dir, folder, OTHER)
    baseline, _ = system_figures(control_copy, folder)
    path = submit(templates_dir, folder, TAMPERED)
    wb = load_workbook(path)
    copy = wb.copy_worksheet(wb["Budget"])
    copy.title = "Calc"
    copy.sheet_state = "hidden"
    copy[REVENUE_CELL].value = float(copy[REVENUE_CELL].value) * 2
    for name in list(wb.defined_names):
        d = wb.defined_names[name]
        d.attr_text = re.sub(r"'?Budget'?!", "Calc!", d.attr_text)
        assert d.attr_text.startswith("Calc!")
    wb.save(path)
    result = validate_submissions(control_copy, folder)
    assert [(f.code, f.severity, f.cell) for f in findings_of(result, path.name)] == [
        ("LAYOUT_CHANGED", Severity.ERROR, "")
    ]
    revenue, included = system_figures(control_copy, folder)
    assert included == {OTHER} and revenue == baseline and other.exists()


@pytest.mark.parametrize("names", ["shifted", "kept"])
def test_rows_inserted_give_one_layout_changed(names, folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED)
    wb = load_workbook(path)
    ws = wb["Budget"]
    ws.protection.sheet = False
    ws.insert_rows(8, 2)
    if names == "shifted":  # as Excel moves them with the cells
        for name in list(wb.defined_names):
            d = wb.defined_names[name]
            d.attr_text = re.sub(
                r"\$(\d+)",
                lambda m: f"${int(m.group(1)) + 2 if int(m.group(1)) >= 8 else m.group(1)}",
                d.attr_text,
            )
    wb.save(path)
    result = validate_submissions(control_copy, folder)
    found = findings_of(result, path.name)
    assert [(f.code, f.severity) for f in found] == [("LAYOUT_CHANGED", Severity.ERROR)]
    assert TAMPERED not in result.accepted


def test_metadata_relabelled_to_another_cost_center(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED, name=f"{OTHER}_FY2027_v1.xlsx")
    cell = f"B{META_KEYS.index('cost_center') + 2}"
    edit_parts(path, {META_PART: lambda x: set_meta(x, cell, OTHER)})
    result = validate_submissions(control_copy, folder)
    found = findings_of(result, path.name)
    assert [(f.code, f.severity, f.sheet, f.cell) for f in found] == [
        ("NOT_ISSUED", Severity.ERROR, "Meta", cell)
    ]
    assert TAMPERED in found[0].message and OTHER in found[0].message
    assert result.accepted == {}


def test_version_never_issued_and_stale_version(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED)
    cell = f"B{META_KEYS.index('template_version') + 2}"
    edit_parts(path, {META_PART: lambda x: set_meta(x, cell, "7")})
    stale = submit(templates_dir, folder, OTHER)
    book = open_control(control_copy)
    fy = read_register(book).issues[0].fiscal_year
    reissue = Issue(OTHER, fy, 2, "2026-12-01T09:00:00Z", "reissued-id")
    book.write_sheets([register_sheet(book, [reissue])], "templates")
    result = validate_submissions(control_copy, folder)
    never = findings_of(result, path.name)
    assert [(f.code, f.severity, f.cell) for f in never] == [("NOT_ISSUED", Severity.ERROR, cell)]
    old = findings_of(result, stale.name)
    assert [(f.code, f.severity, f.cell) for f in old] == [("STALE_VERSION", Severity.ERROR, cell)]
    assert "finance reissued v2 on 2026-12-01" in old[0].message
    assert result.accepted == {}
    assert REGISTER_SHEET in load_workbook(control_copy, read_only=True).sheetnames


def test_file_named_for_another_cost_center_warns_naming_both(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED, name=f"budget {OTHER} final.xlsx")
    result = validate_submissions(control_copy, folder)
    found = findings_of(result, path.name)
    assert [(f.code, f.severity) for f in found] == [("NAME_MISMATCH", Severity.WARNING)]
    assert TAMPERED in found[0].message and OTHER in found[0].message
    assert TAMPERED in result.accepted
    assert named_cost_centers("x/RMC-03000-resubmitted.xlsx", {TAMPERED, OTHER}) == {TAMPERED}


def test_newer_rejected_file_leaves_the_older_valid_one_in(folder, templates_dir, control_copy):
    import os

    older = submit(templates_dir, folder, TAMPERED, name="first.xlsx")
    newer = submit(templates_dir, folder, TAMPERED, name="second.xlsx")
    edit_parts(newer, {BUDGET_PART: lambda x: set_number(x, REVENUE_CELL, 1)})
    os.utime(older, (1_700_000_000, 1_700_000_000))
    result = validate_submissions(control_copy, folder)
    status = {f.file: f.status for f in result.files}
    assert status == {"first.xlsx": "valid", "second.xlsx": "rejected"}
    assert result.accepted[TAMPERED].file == "first.xlsx"
    codes = {(f.file, f.code, f.severity) for f in result.findings}
    assert ("second.xlsx", "RESUBMISSION_REJECTED", Severity.WARNING) in codes
    subs = consolidate(control_copy, folder).submissions.set_index("cost_center")
    row = subs.loc[TAMPERED]
    assert row.file == "first.xlsx"
    assert row.status == "resubmission rejected" and row.chase_file == "second.xlsx"
    assert row.reason.startswith("second.xlsx: ") and row.reason.endswith("first.xlsx is used")


def test_two_files_of_one_version_the_later_save_wins(folder, templates_dir, control_copy):
    import os

    a = submit(templates_dir, folder, TAMPERED, name="a.xlsx")
    b = submit(templates_dir, folder, TAMPERED, name="b.xlsx")
    os.utime(b, (1_700_000_000, 1_700_000_000))
    result = validate_submissions(control_copy, folder)
    assert result.accepted[TAMPERED].file == "a.xlsx"  # same saved time inside: the file's time
    saved = re.compile(rb"(<dcterms:modified\b[^>]*>)[^<]*(</dcterms:modified>)")
    edit_parts(b, {"docProps/core.xml": lambda x: saved.sub(rb"\g<1>2099-01-01T00:00:00Z\g<2>", x)})
    os.utime(b, (1_700_000_000, 1_700_000_000))
    later = validate_submissions(control_copy, folder)
    assert later.accepted[TAMPERED].file == "b.xlsx"  # the workbook's own saved time first
    assert [f.file for f in later.findings if f.code == "SUPERSEDED"] == ["a.xlsx"]
    sup = [f for f in result.findings if f.code == "SUPERSEDED"]
    assert [(f.file, f.severity) for f in sup] == [("b.xlsx", Severity.WARNING)]
    assert "a.xlsx" in sup[0].message and "version 1" in sup[0].message
    assert a.exists()


def _write(path: Path, cells: dict[str, object]) -> None:
    """Type into a template as a manager would (text stays text, even when it starts with =)."""
    wb = load_workbook(path)
    ws = wb["Budget"]
    for coord, value in cells.items():
        ws[coord].value = value
        if isinstance(value, str):
            ws[coord].data_type = "s"
    wb.save(path)


def test_formula_like_text_stays_text_and_long_text_is_refused(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED)
    texts = {
        cell_of("hb_capital_item", 0): '=HYPERLINK("http://x","pump")',
        cell_of("hb_capital_amount", 0): 12_500,
        cell_of("hb_capital_priority", 0): "High",
        cell_of("hb_capital_justification", 0): "+1 pump: -2 failures a month @ICU\ttab",
        cell_of("hb_capital_category", 0): "Patient safety",
    }
    _write(path, texts | {cell_of("hb_capital_life", 0): 60})
    result = consolidate(control_copy, folder)
    assert [f for f in result.validation.findings if f.file == path.name] == []
    wb = load_workbook(control_copy)
    rows = [r for r in wb["Capital Requests"].iter_rows() if r[1].value == TAMPERED]
    item, why = (c.header for c in RANKED_COLUMNS if c.key in ("item", "justification"))
    header = next(r for r in wb["Capital Requests"].iter_rows(values_only=True) if item in r)
    cell = rows[0][header.index(item)]
    assert (cell.value, cell.data_type) == (texts[cell_of("hb_capital_item", 0)], "s")
    assert rows[0][header.index(why)].value == texts[cell_of("hb_capital_justification", 0)]
    long = "x" * 1001
    _write(path, {cell_of("hb_rationale_volume"): long})
    found = findings_of(validate_submissions(control_copy, folder), path.name)
    assert [(f.code, f.severity, f.cell) for f in found] == [
        ("OUT_OF_RANGE", Severity.ERROR, cell_of("hb_rationale_volume"))
    ]
    assert "1,000 characters" in found[0].message


def test_drivers_far_from_prior_and_target(folder, templates_dir, control_copy):
    path = submit(templates_dir, folder, TAMPERED)
    wb = load_workbook(path)
    supplies = float(wb["Budget"][cell_of("hb_supplies_per_uos")].value)
    purchased = float(wb["Budget"][cell_of("hb_purchased_services")].value)
    _write(path, {cell_of("hb_supplies_per_uos"): supplies * 100,
                  cell_of("hb_purchased_services"): purchased * 3})  # fmt: skip
    found = {
        (f.code, f.severity, f.cell)
        for f in findings_of(validate_submissions(control_copy, folder), path.name)
    }
    assert ("DRIVER_IMPLAUSIBLE", Severity.ERROR, cell_of("hb_supplies_per_uos")) in found
    assert ("DRIVER_UNUSUAL", Severity.WARNING, cell_of("hb_purchased_services")) in found
    _write(path, {cell_of("hb_supplies_per_uos"): supplies,
                  cell_of("hb_rationale_nonlabor"): "new lab contract"})  # fmt: skip
    found = {f.code for f in findings_of(validate_submissions(control_copy, folder), path.name)}
    assert not found & {"DRIVER_UNUSUAL", "DRIVER_IMPLAUSIBLE"}


def test_folder_leftovers_ignored_other_files_noted_old_xls_its_own_code(
    folder, templates_dir, control_copy
):
    submit(templates_dir, folder, TAMPERED)
    junk = ["Thumbs.db", "desktop.ini", ".DS_Store", "~$RMC-03000_FY2027_v1.xlsx", "x.tmp",
            ".sync/state.xlsx"]  # fmt: skip
    for name in junk:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"\0" * 64)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4\n")
    result = validate_submissions(control_copy, folder)
    assert not result.has_errors and [f.file for f in result.files] == [
        template_of(templates_dir, TAMPERED).name
    ]
    ignored = sorted(f.file for f in result.findings if f.code == "IGNORED")
    assert ignored == sorted(junk)
    assert {f.severity for f in result.findings} == {Severity.INFO}
    assert [f.file for f in result.findings if f.code == "OTHER_FILE"] == ["notes.pdf"]
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600 + "Workbook".encode("utf-16-le")
    (folder / "budget_2019.xls").write_bytes(ole)
    result = validate_submissions(control_copy, folder)
    xls = [f for f in result.findings if f.file == "budget_2019.xls"]
    assert [(f.code, f.severity) for f in xls] == [("OLD_XLS", Severity.ERROR)]
    assert ".xlsx" in xls[0].message


def test_feedback_never_parses_a_refused_file(folder, templates_dir, control_copy, monkeypatch):
    import zipfile

    import hybridbudget.steps.feedback as F
    import hybridbudget.steps.validate as V

    bomb = folder / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (70 * 2**20))
    opened: list[Path] = []
    real = F.load_workbook
    monkeypatch.setattr(F, "load_workbook", lambda p, *a, **k: opened.append(p) or real(p, *a, **k))
    out = folder.parent / "feedback"
    result = V.validate(control_copy, folder, feedback=out, write_sheet=False)
    assert [(f.file, f.code) for f in result.findings] == [("bomb.xlsx", "TOO_LARGE")]
    assert opened == []
    assert (out / "bomb.xlsx").read_bytes() == bomb.read_bytes()
    assert "cap" in (out / "bomb.findings.txt").read_text()


@needs_libreoffice
def test_a_filled_template_saved_by_libreoffice_is_clean(folder, templates_dir, control_copy):
    from hybridbudget.workbook.libreoffice import convert

    src = submit(templates_dir, folder.parent / "src", TAMPERED)
    _write(src, {cell_of("hb_capital_item", 0): "=not a formula", cell_of("hb_capital_amount", 0): 900,
                 cell_of("hb_capital_priority", 0): "Low",
                 cell_of("hb_capital_justification", 0): "-worn out",
                 cell_of("hb_capital_category", 0): "Replacement", cell_of("hb_capital_life", 0): 36,
                 cell_of("hb_capital_in_service", 0): "Mar"})  # fmt: skip
    (saved,) = convert([src], "xlsx", folder)
    result = validate_submissions(control_copy, folder)
    assert result.findings == [] and TAMPERED in result.accepted
    assert result.accepted[TAMPERED].values["hb_capital_item"][0] == "=not a formula"
    assert saved.exists()

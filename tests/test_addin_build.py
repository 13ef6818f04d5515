"""Issue 6: HybridBudget.xlam built on Linux, verified without Excel.

olevba (oletools) reads every VBA module back and each equals its source; every ribbon onAction
names a `Sub X(control As IRibbonControl)`; every RunPython call names an existing entry function;
LibreOffice opens the add-in and imports its VBA project. The MS-OVBA pieces we wrote (compression,
obfuscation, compound file) are checked against independent readers (olevba, olefile).
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from oletools.olevba import VBA_Parser, decompress_stream

import hybridbudget
from conftest import needs_libreoffice
from hybridbudget import cli
from hybridbudget.addin import build
from hybridbudget.addin.buttons import BUTTONS
from hybridbudget.addin.cfb import compound_file
from hybridbudget.addin.ovba import Module, compress, decrypt, encrypt
from hybridbudget.workbook.libreoffice import soffice


def xw_version() -> str:
    import xlwings

    return xlwings.__version__


VBA_DIR = build.VBA_DIR
RIBBON_NS = {"r": build.RIBBON_NS}


def lines(code: str) -> list[str]:
    return code.replace("\r\n", "\n").rstrip("\n").split("\n")


def code_only(code: str) -> list[str]:
    return [line for line in lines(code) if not line.startswith("Attribute VB_")]


@pytest.fixture(scope="module")
def xlam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build_addin(tmp_path_factory.mktemp("addin") / "HybridBudget.xlam").path


@pytest.fixture(scope="module")
def extracted(xlam: Path) -> dict[str, str]:
    """Module name -> source, as olevba reads them from the built .xlam."""
    parser = VBA_Parser(str(xlam))
    assert parser.detect_vba_macros()
    out = {stream.split("/")[-1]: code for _f, stream, _n, code in parser.extract_macros()}
    parser.close()
    return out


def test_every_module_reads_back_as_its_source(extracted: dict[str, str]) -> None:
    ours = {p: build.module_name(p.read_text(), str(p)) for p in VBA_DIR.glob("*.bas")}
    assert ours, "no VBA sources in vba/"
    for path, name in ours.items():
        assert lines(extracted[name]) == lines(path.read_text()), path
    xlwings_src = (build.xlwings_dir() / "xlwings_custom_addin.bas").read_text()
    diff = [
        d
        for d in difflib.unified_diff(lines(xlwings_src), lines(extracted["xlwings"]), n=0)
        if d[:1] in "+-" and d[:3] not in ("+++", "---")
    ]
    assert diff == [
        '-Public Const PROJECT_NAME As String = "myaddin"',
        '+Public Const PROJECT_NAME As String = "hybridbudget"',
    ]
    cls = (build.xlwings_dir() / "addin" / "Dictionary.cls").read_text()
    body = lines(cls)[lines(cls).index('Attribute VB_Name = "Dictionary"') :]
    assert code_only(extracted["Dictionary"]) == code_only("\n".join(body))
    assert set(extracted) == {"ThisWorkbook", "Sheet1", "xlwings", "Dictionary", *ours.values()}


def test_every_ribbon_button_calls_an_existing_callback(xlam: Path, extracted) -> None:
    with zipfile.ZipFile(xlam) as z:
        ribbon = z.read("customUI/customUI14.xml")
    root = etree.fromstring(ribbon)
    tab = root.find(".//r:tab", RIBBON_NS)
    assert tab.get("label") == "Hybrid Budget"
    groups = [g.get("label") for g in tab.findall("r:group", RIBBON_NS)]
    assert groups == ["Setup", "Collect", "Reconcile", "Lock & Monitor", "Help"]
    for button in root.iterfind(".//r:button", RIBBON_NS):
        assert button.get("label") and button.get("screentip") and button.get("imageMso")
    callbacks = build.ribbon_callbacks(ribbon)
    assert len(callbacks) == 12
    project = [Module(name, "standard", code) for name, code in extracted.items()]
    assert build.check_ribbon(ribbon, project) == []
    for action in callbacks.values():
        module, sub = action.split(".")
        assert re.fullmatch(r"control As IRibbonControl", build.vba_subs(extracted[module])[sub])
    broken = ribbon.replace(b'onAction="HybridBudgetRibbon.About"', b'onAction="Nowhere.About"')
    assert build.check_ribbon(broken, project) == [
        "button About: onAction 'Nowhere.About' names no Sub"
    ]


def test_every_run_python_names_an_entry_function(extracted: dict[str, str]) -> None:
    spec = importlib.util.spec_from_file_location("hybridbudget_addin", build.ENTRY_MODULE)
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    called = []
    for name in (m for m in extracted if m not in ("xlwings", "Dictionary")):
        for statement in build.run_python_calls(extracted[name]):
            match = re.fullmatch(
                r"import hybridbudget_addin; hybridbudget_addin\.(\w+)\(\)", statement
            )
            assert match, statement
            assert callable(getattr(entry, match.group(1), None)), statement
            called.append(match.group(1))
    public = sorted(
        n for n, f in vars(entry).items() if callable(f) and f.__module__ == entry.__name__
    )
    assert sorted(called) == public == sorted(BUTTONS)


def test_package_parts(xlam: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(xlam) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("_rels/.rels").decode()
        workbook_rels = z.read("xl/_rels/workbook.xml.rels").decode()
        workbook = z.read("xl/workbook.xml").decode()
        sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    assert names[0] == "[Content_Types].xml"
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
    assert 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"' in rels
    assert 'Target="customUI/customUI14.xml"' in rels
    assert "relationships/vbaProject" in workbook_rels and 'codeName="ThisWorkbook"' in workbook
    assert f'<sheet name="{build.CONFIG_SHEET}"' in workbook
    texts = ["".join(c.itertext()) for c in sheet.iter(f"{{{build.MAIN_NS}}}c")]
    assert texts[:2] == ["ADD_WORKBOOK_TO_PYTHONPATH", "true"]
    again = build.build_addin(tmp_path / "again.xlam").path
    assert again.read_bytes() == xlam.read_bytes(), "the same sources give the same file"


def test_vba_project_structure(xlam: Path) -> None:
    with zipfile.ZipFile(xlam) as z:
        data = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000300")
    project = ole.openstream("PROJECT").read().decode("cp1252")
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', project, re.MULTILINE))
    assert decrypt(values["CMG"]) == bytes(4)  # not protected
    assert decrypt(values["DPB"]) == b"\0"  # no password
    assert decrypt(values["GC"]) == b"\xff"  # visible
    assert 'Name="HybridBudget"' in project and "Class=Dictionary" in project
    assert "Document=ThisWorkbook/&H00000000" in project and "Module=HybridBudgetRibbon" in project
    ole.close()


def test_obfuscation_matches_excel() -> None:
    # CMG, DPB and GC of xlwings' quickstart add-in, saved by Excel
    assert decrypt("5D5F8AADDAA8DEA8DEA8DEA8DE") == bytes(4)
    assert decrypt("5D5F8AADDAADDBADDBAD") == b"\0"
    assert decrypt("5D5F8AADDAADDBADDB52") == b"\xff"
    project_id = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
    assert all(decrypt(encrypt(project_id, b"data", seed)) == b"data" for seed in range(256))


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=255), max_size=12_000))
def test_compression_round_trips_through_olevba(text: str) -> None:
    data = text.encode("latin-1")
    assert bytes(decompress_stream(bytearray(compress(data)))) == data


@pytest.mark.parametrize("size", [0, 1, 3, 4095, 4096, 4097, 8192, 20_000])
def test_compression_chunk_edges(size: int) -> None:
    data = (os.urandom(size // 2) + b"Sub A()\r\nEnd Sub\r\n" * size)[:size]
    assert bytes(decompress_stream(bytearray(compress(data)))) == data


def test_compound_file_reads_back() -> None:
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 10_000, 70_000]
    streams = {f"S{i:02d}/stream{size}": os.urandom(size) for i, size in enumerate(sizes)}
    streams |= {f"top{i}": bytes([i]) * (i * 37) for i in range(1, 40)}
    ole = olefile.OleFileIO(compound_file(streams), raise_defects=olefile.DEFECT_INCORRECT)
    for path, data in streams.items():
        assert ole.openstream(path).read() == data, path
    ole.close()


def test_cli_builds_with_settings(tmp_path: Path, capsys) -> None:
    out = tmp_path / "custom.xlam"
    argv = ["addin", "build", "--out", str(out), "--set", r"INTERPRETER_WIN=C:\py\python.exe"]
    assert cli.main([*argv, "--set", "ADD_WORKBOOK_TO_PYTHONPATH="]) == 0
    assert "12 buttons" in capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert r"C:\py\python.exe" in sheet and "ADD_WORKBOOK_TO_PYTHONPATH" not in sheet
    with pytest.raises(SystemExit) as usage:
        cli.main(["addin", "build", "--set", "no-equals-sign"])
    assert usage.value.code == 2


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_default_build_has_no_machine_path(platform: str, tmp_path: Path, monkeypatch) -> None:
    """Issue 19: IT builds once, signs once, deploys one file: nothing of the building machine."""
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "executable", r"C:\env\Scripts\python.exe")
    xlam = build.build_addin(tmp_path / "HybridBudget.xlam").path
    settings = build.addin_settings(xlam)
    assert settings == {"ADD_WORKBOOK_TO_PYTHONPATH": "true"}
    with zipfile.ZipFile(xlam) as z:
        everything = b"".join(z.read(n) for n in z.namelist())
    for machine in (str(build.REPO_ROOT), str(Path.home()), "python.exe", sys.base_prefix):
        assert machine.encode() not in everything, machine
    assert build.built_versions(xlam) == {"hybridbudget": hybridbudget.__version__,
                                          "xlwings": xw_version()}  # fmt: skip


def test_machine_paths_are_told_from_variables() -> None:
    settings = {
        "INTERPRETER_WIN": r"%LOCALAPPDATA%\HybridBudget\venv\Scripts\python.exe",
        "INTERPRETER_MAC": "$HOME/.hybridbudget/venv/bin/python",
        "PYTHONPATH": r"C:\hb\xlwings_addin",
        "CONDA PATH": r"\\server\share\conda",
        "OTHER": "relative;/opt/x",
        "ADD_WORKBOOK_TO_PYTHONPATH": "true",
    }
    assert sorted(build.machine_paths(settings)) == ["CONDA PATH", "OTHER", "PYTHONPATH"]


def test_storage_entries_are_written_as_excel_writes_them(xlam: Path, tmp_path: Path) -> None:
    """MS-CFB 2.6.3: a storage's start sector and size are 0 (olefile and oletools' oledir)."""
    with zipfile.ZipFile(xlam) as z:
        data = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_POTENTIAL)
    storages = [
        d for d in ole.direntries if d is not None and d.entry_type == olefile.STGTY_STORAGE
    ]
    assert [d.name for d in storages] == ["VBA"]
    assert [(d.isectStart, d.size) for d in storages] == [(0, 0)]
    assert ole.listdir(streams=False, storages=True) == [["VBA"]]
    ole.close()
    nested = compound_file({"A/B/s": b"x" * 10, "A/t": b"", "u": b"y" * 5000})
    ole = olefile.OleFileIO(nested, raise_defects=olefile.DEFECT_POTENTIAL)
    kinds = {d.name: (d.entry_type, d.isectStart, d.size) for d in ole.direntries if d is not None}
    assert kinds["A"] == kinds["B"] == (olefile.STGTY_STORAGE, 0, 0)
    assert ole.openstream("A/B/s").read() == b"x" * 10 and ole.openstream("A/t").read() == b""
    ole.close()
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(data)
    run = subprocess.run([sys.executable, "-m", "oletools.oledir", str(path)],
                         capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    rows = [re.split(r"\s*\|\s*", line.strip().strip("|")) for line in run.stdout.splitlines()]
    vba = [r for r in rows if len(r) >= 9 and r[3] == "VBA"]
    assert vba and vba[0][2] == "Storage" and vba[0][7:9] == ["0", "0"], run.stdout


@needs_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin(xlam: Path, tmp_path: Path) -> None:
    """LibreOffice does not detect .xlam by itself; with its VBA-enabled OOXML filter it loads
    the add-in, imports the VBA project and saves it as .ods."""
    with tempfile.TemporaryDirectory(prefix="hb-lo-") as profile:
        run = subprocess.run(
            [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--infilter=Calc MS Excel 2007 VBA XML", "--convert-to", "ods", "--outdir",
             str(tmp_path), str(xlam)],
            env=os.environ | {"HOME": profile}, capture_output=True, timeout=180, check=False,
        )  # fmt: skip
    ods = tmp_path / "HybridBudget.ods"
    assert ods.is_file(), run.stderr.decode(errors="replace")
    with zipfile.ZipFile(ods) as z:
        basic = {n: z.read(n).decode() for n in z.namelist() if n.startswith("Basic/HybridBudget/")}
        content = z.read("content.xml").decode()
    kinds = {
        re.search(r'script:name="(\w+)"', text).group(1): re.search(
            r'moduleType="(\w+)"', text
        ).group(1)
        for name, text in basic.items()
        if not name.endswith("script-lb.xml")
    }
    assert kinds == {"ThisWorkbook": "document", "Sheet1": "document", "xlwings": "normal",
                     "Dictionary": "class", "HybridBudgetRibbon": "normal"}  # fmt: skip
    ribbon = basic["Basic/HybridBudget/HybridBudgetRibbon.xml"]
    assert "hybridbudget_addin.validate()" in ribbon.replace("&quot;", '"')
    assert "ADD_WORKBOOK_TO_PYTHONPATH" in content

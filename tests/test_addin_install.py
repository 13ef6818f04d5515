"""Issue 19: `addin install`, `uninstall` and `doctor` on a fake home folder, for Windows and Mac.

The layouts are Excel's and xlwings' (XLSTART; the Office startup folder, Excel's sandbox and
the AppleScript folder on the Mac), derived from an injected home folder and platform, so these
run on Linux. Install must list every file it writes, uninstall must remove exactly those (the
home folder ends as it began), and the doctor must pass a good install and name each broken
piece of a bad one with its fix.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import sys
from pathlib import Path

import pytest
import xlwings

from hybridbudget import cli
from hybridbudget.addin import build, doctor
from hybridbudget.addin.install import install, uninstall
from hybridbudget.addin.machine import MAC, WINDOWS, Machine, package_version, read_conf
from hybridbudget.errors import HybridBudgetError

PLATFORMS = [WINDOWS, MAC]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def everything_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def statuses(checks: list[doctor.Check]) -> dict[str, str]:
    return {c.item: c.status for c in checks}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_install_lists_every_file_and_uninstall_removes_them(platform: str, home: Path) -> None:
    machine = Machine.fake(platform, home)
    report = install(machine)
    assert files_under(home) == set(report.written)
    assert set(report.folders) == {p for p in everything_under(home) if p.is_dir()}
    expected = {
        WINDOWS: {
            home / "AppData/Roaming/Microsoft/Excel/XLSTART/HybridBudget.xlam",
            home / ".hybridbudget/hybridbudget.conf",
        },
        MAC: {
            home / "Library/Group Containers/UBF8T346G9.Office/User Content/Startup/Excel/"
            "HybridBudget.xlam",
            home / "Library/Containers/com.microsoft.Excel/Data/hybridbudget.conf",
            home / f"Library/Application Scripts/com.microsoft.Excel/xlwings-{xlwings.__version__}"
            ".applescript",
        },
    }[platform] | {home / ".hybridbudget/install.json"}
    assert set(report.written) == expected
    key = "INTERPRETER_WIN" if platform == WINDOWS else "INTERPRETER_MAC"
    conf = machine.user_conf
    assert read_conf(conf, platform) == {
        key: sys.executable,
        "PYTHONPATH": str(build.ENTRY_MODULE.parent),
    }
    newline = b'"\r\n' if platform == WINDOWS else b'"\n'
    assert conf.read_bytes().count(newline) == 2
    assert build.built_versions(machine.addin_path)["xlwings"] == xlwings.__version__
    assert build.addin_settings(machine.addin_path) == {"ADD_WORKBOOK_TO_PYTHONPATH": "true"}
    said = "\n".join(report.lines)
    assert all(str(p) in said for p in report.written)

    undone = uninstall(machine)
    assert everything_under(home) == set()
    assert all(str(p) in "\n".join(undone.lines) for p in report.written)
    with pytest.raises(HybridBudgetError, match="no record of an install"):
        uninstall(machine)


def test_uninstall_gives_back_the_users_own_settings(home: Path) -> None:
    machine = Machine.fake(WINDOWS, home)
    conf = machine.user_conf
    conf.parent.mkdir(parents=True)
    conf.write_text('"INTERPRETER_WIN","C:\\old\\python.exe"\r\n"CONDA ENV","finance"\r\n')
    before = read_conf(conf, WINDOWS)
    install(machine)
    assert read_conf(conf, WINDOWS)["CONDA ENV"] == "finance"
    assert read_conf(conf, WINDOWS)["INTERPRETER_WIN"] == sys.executable
    again = install(machine)  # an upgrade: the first install is undone, then done again
    assert again.lines[0] == "Undid the previous install of this user first"
    assert read_conf(conf, WINDOWS)["INTERPRETER_WIN"] == sys.executable
    uninstall(machine)
    assert read_conf(conf, WINDOWS) == before
    assert everything_under(home) == {conf.parent, conf}


def test_mac_localized_folders_and_a_shared_runpython_helper(home: Path) -> None:
    machine = Machine.fake(MAC, home)
    office = home / "Library/Group Containers/UBF8T346G9.Office"
    (office / "User Content.localized/Startup.localized").mkdir(parents=True)
    helper = machine.applescript_folder / f"xlwings-{xlwings.__version__}.applescript"
    helper.parent.mkdir(parents=True)
    helper.write_bytes((build.xlwings_dir() / helper.name).read_bytes())  # xlwings put it there
    before = everything_under(home)
    report = install(machine)
    assert machine.addin_path == office / "User Content.localized/Startup.localized/Excel" / (
        "HybridBudget.xlam"
    )
    assert machine.addin_path in report.written and helper not in report.written
    assert "already in place" in "\n".join(report.lines)
    uninstall(machine)
    assert everything_under(home) == before


def test_install_copies_a_signed_build_without_its_mark_of_the_web(
    home: Path, tmp_path: Path
) -> None:
    signed = build.build_addin(tmp_path / "signed" / "HybridBudget.xlam").path
    machine = Machine.fake(WINDOWS, home, zone=lambda path: 3 if path == signed else None)
    report = install(machine, signed)
    assert machine.addin_path.read_bytes() == signed.read_bytes()
    assert f"Copied {signed} to {machine.addin_path}" in report.lines
    assert any("carries the Mark of the Web" in line for line in report.lines)
    uninstall(machine)
    other = Machine.fake(WINDOWS, home, versions=lambda n: "0.99.0" if n == "xlwings" else "1")
    with pytest.raises(HybridBudgetError, match=r"built with xlwings .* has xlwings 0\.99\.0"):
        install(other, signed)
    with pytest.raises(HybridBudgetError, match="not a Hybrid Budget add-in"):
        install(machine, tmp_path / "nothing.xlam")
    assert everything_under(home) == set()


def test_a_failed_install_leaves_nothing_behind(home: Path, tmp_path: Path, monkeypatch) -> None:
    machine = Machine.fake(WINDOWS, home)
    conf = machine.user_conf
    conf.parent.mkdir(parents=True)
    conf.write_bytes(b'"CONDA ENV","finance"\r\n')
    monkeypatch.setattr(build, "ENTRY_MODULE", tmp_path / "gone" / "hybridbudget_addin.py")
    with pytest.raises(HybridBudgetError, match=r"hybridbudget_addin\.py: missing"):
        install(machine)  # the add-in is written first, then the entry module is looked for
    assert everything_under(home) == {conf.parent, conf}
    assert conf.read_bytes() == b'"CONDA ENV","finance"\r\n'


def test_settings_are_written_in_the_code_page_vba_reads(home: Path, tmp_path: Path) -> None:
    python = tmp_path / "José" / "python.exe"
    machine = Machine.fake(WINDOWS, home, python=python)
    install(machine)
    assert f'"INTERPRETER_WIN","{python}"'.encode("cp1252") in machine.user_conf.read_bytes()
    assert read_conf(machine.user_conf, WINDOWS)["INTERPRETER_WIN"] == str(python)
    uninstall(machine)
    with pytest.raises(HybridBudgetError, match="cannot be written in the code page"):
        install(Machine.fake(WINDOWS, home, python=tmp_path / "Łódź" / "python.exe"))
    assert everything_under(home) == set()


def test_install_needs_excel_and_a_good_python(home: Path) -> None:
    with pytest.raises(HybridBudgetError, match="install on Windows and Mac, and this is linux"):
        install(Machine.fake("linux", home))
    with pytest.raises(HybridBudgetError, match=r"needs 3\.11 or newer"):
        install(Machine.fake(WINDOWS, home, python_version=(3, 9, 2)))
    no_xlwings = Machine.fake(MAC, home, versions=lambda n: None if n == "xlwings" else "1")
    with pytest.raises(HybridBudgetError, match="xlwings not installed"):
        install(no_xlwings)
    assert everything_under(home) == set()


# --- doctor --------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_doctor_passes_a_good_install(platform: str, home: Path, capsys) -> None:
    machine = Machine.fake(platform, home)
    install(machine)
    checks = doctor.checklist(machine)
    assert [c for c in checks if c.status != doctor.PASS] == []
    items = {WINDOWS: {"Attack-surface rule", "Trusted Locations", "Mark of the Web"},
             MAC: {"RunPython helper (Mac)"}}[platform]  # fmt: skip
    assert items | {"Python", "Packages", "Add-in installed", "xlwings matches the add-in",
                    "Interpreter", "Entry module", "Log file", "Startup folder",
                    "Macro policy"} <= set(statuses(checks))  # fmt: skip
    assert cli.main(["addin", "doctor", "--home", str(home), "--platform", platform]) == 0
    out = capsys.readouterr().out
    assert f"{len(checks)} passed, 0 failed: all good." in out and "fix:" not in out
    assert f"xlwings {xlwings.__version__}" in out and str(machine.log_path.parent) in out
    uninstall(machine)


def broken_windows(home: Path, tmp_path: Path) -> Machine:
    """A Windows user whose Python, add-in, settings, folders and policies all went wrong."""
    good = Machine.fake(WINDOWS, home)
    install(good)
    old = {"xlwings": "0.30.0", "pyarrow": None}
    conf = good.user_conf
    conf.write_text(
        '"INTERPRETER_WIN","%LOCALAPPDATA%\\HybridBudget\\python.exe"\r\n"PYTHONPATH","C:\\gone"\r\n'
    )
    (tmp_path / "a-file").write_text("not a folder")
    policies = {
        (doctor.ASR_KEY + r"\Rules", doctor.ASR_RULE): "1",
        (doctor.EXCEL_POLICY, "VBAWarnings"): 3,
        (doctor.EXCEL_POLICY + r"\Trusted Locations", "AllLocationsDisabled"): 1,
    }
    return Machine.fake(
        WINDOWS,
        home,
        env={"LOCALAPPDATA": str(tmp_path / "local"), "HYBRIDBUDGET_ADDIN_LOG": str(tmp_path / "a-file" / "addin.log")},
        python_version=(3, 10, 4),
        versions=lambda name: old[name] if name in old else package_version(name),
        registry=lambda key, value: policies.get((key, value)),
        zone=lambda path: 3,
    )  # fmt: skip


def test_doctor_names_each_broken_piece_with_its_fix(home: Path, tmp_path: Path, capsys) -> None:
    machine = broken_windows(home, tmp_path)
    checks = {c.item: c for c in doctor.checklist(machine)}
    failed = {item for item, c in checks.items() if c.status == doctor.FAIL}
    assert failed == {"Python", "Packages", "xlwings matches the add-in", "Interpreter",
                      "Entry module", "Log file", "Attack-surface rule", "Trusted Locations",
                      "Macro policy", "Mark of the Web"}  # fmt: skip
    assert "3.10.4" in checks["Python"].detail and "3.11 or newer" in checks["Python"].fix
    assert "pyarrow MISSING" in checks["Packages"].detail and "pip install pyarrow" in (
        checks["Packages"].fix
    )
    xw = checks["xlwings matches the add-in"]
    assert f"built with xlwings {xlwings.__version__}, installed xlwings 0.30.0" in xw.detail
    assert "hybridbudget addin install" in xw.fix
    assert checks["Interpreter"].detail.startswith("INTERPRETER_WIN = %LOCALAPPDATA%")
    assert checks["Interpreter"].detail.endswith(": no such file")
    assert "cannot be created" in checks["Log file"].detail
    assert "signed macros only; the add-in is not signed" in checks["Macro policy"].detail
    assert "sign the VBA project" in checks["Macro policy"].fix
    assert doctor.ASR_RULE in checks["Attack-surface rule"].fix
    assert "Unblock" in checks["Mark of the Web"].fix
    assert all(checks[item].fix for item in failed)
    assert cli.main(["addin", "doctor"]) in (0, 1)  # this machine: runs, whatever it finds
    capsys.readouterr()
    text = doctor.report(list(checks.values()))
    assert text.count("[FAIL]") == len(failed) == text.count("fix:")
    assert text.endswith(f"{len(checks) - len(failed)} passed, {len(failed)} failed: "
                         f"{len(failed)} to fix.")  # fmt: skip


def test_doctor_mac_without_helper_and_with_macros_off(home: Path) -> None:
    import plistlib

    machine = Machine.fake(MAC, home)
    install(machine)
    script = machine.applescript_folder / f"xlwings-{xlwings.__version__}.applescript"
    script.unlink()
    prefs = machine.managed_preferences / doctor.MAC_PREFS
    prefs.parent.mkdir(parents=True)
    prefs.write_bytes(plistlib.dumps({"VisualBasicMacroExecutionState": "DisabledWithoutWarnings"}))
    checks = {c.item: c for c in doctor.checklist(machine)}
    assert checks["RunPython helper (Mac)"].status == doctor.FAIL
    assert "xlwings runpython install" in checks["RunPython helper (Mac)"].fix
    assert checks["Macro policy"].status == doctor.FAIL
    assert "DisabledWithoutWarnings" in checks["Macro policy"].detail
    mine = machine.managed_preferences / home.name / doctor.MAC_PREFS  # this user's profile wins
    mine.parent.mkdir()
    mine.write_bytes(plistlib.dumps({"VisualBasicMacroExecutionState": "EnabledWithoutWarnings"}))
    assert statuses(doctor.checklist(machine))["Macro policy"] == doctor.PASS


def test_doctor_before_install_and_the_cli_options(home: Path, capsys) -> None:
    assert cli.main(["addin", "doctor", "--home", str(home), "--platform", "windows"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] Add-in installed: no Hybrid Budget add-in at" in out
    assert "fix: hybridbudget addin install" in out
    assert cli.main(["addin", "install", "--home", str(home), "--platform", "mac"]) == 0
    assert "Built the add-in with xlwings" in capsys.readouterr().out
    assert cli.main(["addin", "uninstall", "--home", str(home), "--platform", "mac"]) == 0
    assert everything_under(home) == set()
    with pytest.raises(SystemExit) as usage:
        cli.main(["addin", "doctor", "--home", str(home)])
    assert usage.value.code == 2
    assert cli.main(["addin", "uninstall", "--home", str(home), "--platform", "windows"]) == 1
    assert "no record of an install" in capsys.readouterr().err

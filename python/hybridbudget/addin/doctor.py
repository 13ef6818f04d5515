"""`addin doctor`: a pass/fail checklist of what the add-in needs, each failure with its fix.

The same checklist ends the About button's message. It checks the Python environment (version,
packages), the installed add-in (where Excel loads it, built with the xlwings installed, the
Mac's RunPython helper), the settings xlwings will use (interpreter, the folder of
hybridbudget_addin.py), the folders it reads and writes, the log file, and the policies known to
stop it: Defender's attack-surface rule against child processes of Office, the macro policy,
Trusted Locations switched off, the Mark of the Web. A policy check reads what group policy
writes into the registry; rules set another way (Intune) may not show, hence "likely".
"""

from __future__ import annotations

import plistlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import build
from .machine import MAC, WINDOWS, Machine, read_conf

PASS, FAIL, INFO = "PASS", "FAIL", "INFO"
MIN_PYTHON = (3, 11)
PACKAGES = ("hybridbudget", "xlwings", "pandas", "openpyxl", "pydantic", "python-calamine",
            "lxml", "pyarrow", "defusedxml")  # fmt: skip
DEPLOY = "docs/deploy.md"
INSTALL = "hybridbudget addin install"
# Defender's "Block all Office applications from creating child processes" (xlwings' RunPython
# starts cmd.exe, then Python); 1 block, 2 audit, 6 warn.
ASR_RULE = "D4F940AB-401B-4EFC-AADC-AD5F3C50688A"
ASR_KEY = r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR"
EXCEL_POLICY = r"HKCU\Software\Policies\Microsoft\Office\16.0\Excel\Security"
MAC_PREFS = "com.microsoft.Excel.plist"


@dataclass(frozen=True)
class Check:
    item: str
    status: str  # PASS, FAIL or INFO (not applicable here)
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        out = [f"[{self.status}] {self.item}: {self.detail}"]
        return out + ([f"       fix: {self.fix}"] if self.status == FAIL and self.fix else [])


def _ok(item: str, good: bool, detail: str, fix: str) -> Check:
    return Check(item, PASS if good else FAIL, detail, fix)


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def python_checks(machine: Machine) -> list[Check]:
    version = machine.python_version
    found = {name: machine.versions(name) for name in PACKAGES}
    missing = [name for name, v in found.items() if v is None]
    listed = ", ".join(f"{name} {v or 'MISSING'}" for name, v in found.items())
    return [
        _ok("Python", version[:2] >= MIN_PYTHON, f"{_dotted(version)} at {machine.python}",
            "install Python 3.11 or newer, then hybridbudget in it (docs/deploy.md)"),
        _ok("Packages", not missing, listed,
            f"pip install {' '.join(missing)} into {machine.python} (offline: from the "
            f"wheelhouse, {DEPLOY})"),
    ]  # fmt: skip


def addin_checks(machine: Machine) -> tuple[list[Check], dict[str, str]]:
    """The installed add-in: where Excel loads it, its versions, the Mac's helper."""
    path = machine.addin_path
    built = build.built_versions(path) if path.is_file() else {}
    xlwings = machine.versions("xlwings")
    checks = [
        _ok("Add-in installed", bool(built),
            f"{path} (built with hybridbudget {built.get('hybridbudget')}, xlwings "
            f"{built.get('xlwings')})" if built else f"no Hybrid Budget add-in at {path}", INSTALL),
    ]  # fmt: skip
    if not built:
        return checks, built
    checks.append(
        _ok("xlwings matches the add-in", built.get("xlwings") == xlwings,
            f"add-in built with xlwings {built.get('xlwings')}, installed xlwings {xlwings}",
            f"{INSTALL} (builds it with the installed xlwings), or pip install "
            f"xlwings=={built.get('xlwings')}")
    )  # fmt: skip
    if machine.applescript_folder is not None:
        script = machine.applescript_folder / f"xlwings-{built.get('xlwings')}.applescript"
        checks.append(
            _ok("RunPython helper (Mac)", script.is_file(), str(script),
                f"{INSTALL} (or: xlwings runpython install, with the add-in's xlwings version)")
        )  # fmt: skip
    return checks, built


def settings_checks(machine: Machine) -> list[Check]:
    """What xlwings will run: the add-in's sheet wins over the per-user file."""
    sheet = build.addin_settings(machine.addin_path) if machine.addin_path.is_file() else {}
    user = read_conf(machine.user_conf, machine.platform)
    key = machine.interpreter_key

    def effective(name: str) -> tuple[str | None, str]:
        if name in sheet:
            return sheet[name], "the add-in's hybridbudget.conf sheet"
        if name in user:
            return user[name], str(machine.user_conf)
        return None, "not set"

    value, source = effective(key)
    if value is None:
        interpreter = _ok("Interpreter", False, f"{key} is not set: Excel would run 'python' "
                          "from the PATH", INSTALL)  # fmt: skip
    else:
        path = Path(machine.expand(value))
        same = path.is_file() and path.resolve() == Path(machine.python).resolve()
        detail = f"{key} = {value} (from {source})"
        fix = (
            f"{INSTALL}, run with the Python that has hybridbudget"
            if not path.is_file()
            else f"run hybridbudget addin doctor with {path}, or {INSTALL} from that environment"
        )
        why = "" if same else ": no such file" if not path.is_file() else ": not this Python"
        interpreter = _ok("Interpreter", same, detail + why, fix)
    entry = "hybridbudget_addin.py"
    folder, source = effective("PYTHONPATH")
    beside = sheet.get("ADD_WORKBOOK_TO_PYTHONPATH", "true").lower() == "true"
    candidates = [Path(machine.expand(p)) for p in (folder or "").split(";") if p.strip()]
    if beside:
        candidates.append(machine.startup_folder)
    found = [c / entry for c in candidates if (c / entry).is_file()]
    module = _ok("Entry module", bool(found),
                 str(found[0]) if found else f"{entry} is in none of {', '.join(map(str, candidates))}",
                 INSTALL + " (from the hybridbudget folder)")  # fmt: skip
    return [interpreter, module]


def _access(path: Path, write: bool) -> tuple[bool, str]:
    """Whether a folder can be read (and written); a missing one where it can be created."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        return False, "cannot be created"
    try:
        list(existing.iterdir())
        if write:
            with tempfile.TemporaryFile(dir=existing):
                pass
    except OSError as exc:
        return False, f"{'not writable' if write else 'not readable'} ({exc.strerror})"
    how = "readable and writable" if write else "readable"
    return True, how if existing == path else f"missing, can be created ({how}: {existing})"


def folder_checks(machine: Machine, folders: Mapping[str, tuple[Path, bool]]) -> list[Check]:
    checks = []
    for label, (path, write) in folders.items():
        good, how = _access(path, write)
        fix = f"give this user {'write' if write else 'read'} access to {path} (or set another)"
        checks.append(_ok(label, good, f"{path}: {how}", fix))
    return checks


def standard_folders(machine: Machine) -> dict[str, tuple[Path, bool]]:
    out = {"Log file": (machine.log_path.parent, True)}
    if machine.has_excel:
        out["Settings folder"] = (machine.user_conf.parent, True)
        out["Startup folder"] = (machine.startup_folder, True)
    return out


def policy_checks(machine: Machine) -> list[Check]:
    """Policies known to stop the add-in, as far as this computer shows them."""
    if machine.platform == MAC:
        return [_mac_macro_policy(machine)]
    if machine.platform != WINDOWS:
        return []
    checks = []
    reg = machine.registry
    rule = str(reg(ASR_KEY + r"\Rules", ASR_RULE) or "")
    asr = {"1": "blocks", "6": "warns before"}.get(rule)
    checks.append(
        _ok("Attack-surface rule", asr is None,
            f"Defender's rule 'Block all Office applications from creating child processes' "
            f"{asr} Excel starting Python" if asr else
            "the rule against Office child processes is "
            + ("in audit mode" if rule == "2" else "not set by group policy"),
            f"IT: exclude this add-in's Python from rule {ASR_RULE} ({DEPLOY}, "
            "'The attack-surface rule'), or use the commands without the add-in")
    )  # fmt: skip
    trusted_off = str(reg(EXCEL_POLICY + r"\Trusted Locations", "AllLocationsDisabled")) == "1"
    signed = build.is_signed(machine.addin_path)
    warnings = str(reg(EXCEL_POLICY, "VBAWarnings") or "")
    blocked = {"3": not signed, "4": True}.get(warnings, False) and trusted_off
    checks.append(
        _ok("Trusted Locations", not trusted_off,
            "switched off by policy: the startup folder is not trusted" if trusted_off else
            "on: the startup folder (XLSTART) is a trusted location", f"IT: {DEPLOY}, "
            "'Trusted Locations and the Mark of the Web'")
    )  # fmt: skip
    policy = {"1": "all macros run", "2": "macros need a click", "3": "signed macros only",
              "4": "no macros"}.get(warnings, "not set by policy")  # fmt: skip
    checks.append(
        _ok("Macro policy", not blocked,
            f"{policy}; the add-in is {'signed' if signed else 'not signed'}",
            f"IT: sign the VBA project with the organisation's certificate ({DEPLOY}, "
            "'Signing the VBA project')" if warnings == "3" else f"IT: a trusted location for the add-in ({DEPLOY})")
    )  # fmt: skip
    zone = machine.zone(machine.addin_path) if machine.addin_path.is_file() else None
    checks.append(
        _ok("Mark of the Web", (zone or 0) < 3,
            f"the installed add-in came from zone {zone} (Internet or restricted)" if zone
            and zone >= 3 else "the installed add-in carries none",
            f"{INSTALL} (copies it without the mark), or right-click > Properties > Unblock")
    )  # fmt: skip
    return checks


def _mac_macro_policy(machine: Machine) -> Check:
    """The profile's macro setting: for this user if one is set, else for the computer."""
    state = None
    root = machine.managed_preferences
    for path in (root / machine.home.name / MAC_PREFS, root / MAC_PREFS):
        try:
            state = plistlib.loads(path.read_bytes()).get("VisualBasicMacroExecutionState")
        except (plistlib.InvalidFileException, ValueError, OSError):
            continue
        if state:
            break
    return _ok("Macro policy", state != "DisabledWithoutWarnings",
               f"VisualBasicMacroExecutionState = {state}" if state else "not set by a profile",
               f"IT: allow the add-in's macros in the Excel configuration profile ({DEPLOY})")  # fmt: skip


def checklist(
    machine: Machine, folders: Mapping[str, tuple[Path, bool]] | None = None
) -> list[Check]:
    """Every check for this user; `folders` adds labelled folders (path, needs writing)."""
    checks = python_checks(machine)
    if machine.has_excel:
        addin, built = addin_checks(machine)
        checks += addin
        if built:
            checks += settings_checks(machine)
    else:
        checks.append(Check("Excel add-in", INFO, f"no Excel on {machine.platform}: the commands "
                            "run the same steps (docs/deploy.md, 'Without the add-in')"))  # fmt: skip
    checks += folder_checks(machine, standard_folders(machine) | dict(folders or {}))
    checks += policy_checks(machine)
    return checks


def report(checks: list[Check]) -> str:
    failed = sum(c.status == FAIL for c in checks)
    lines = [line for c in checks for line in c.lines()]
    passed = sum(c.status == PASS for c in checks)
    verdict = "all good" if not failed else f"{failed} to fix"
    return "\n".join([*lines, f"{passed} passed, {failed} failed: {verdict}."])

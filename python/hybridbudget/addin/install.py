"""`addin install` and `addin uninstall`: the add-in where Excel loads it, for one user.

Install does what `xlwings addin install` does for a custom add-in, without starting Excel: the
.xlam goes into the folder Excel opens at start (XLSTART on Windows, the Office startup folder
on the Mac); on the Mac xlwings' AppleScript helper goes where Excel's sandbox finds it. It then
points the per-user settings file at the Python running this command and at the folder of
hybridbudget_addin.py, so the add-in itself stays free of machine paths. Every file and folder it
writes, and every setting it replaces, is recorded in ~/.hybridbudget/install.json; uninstall
reads that record and undoes exactly that.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HybridBudgetError
from ..workbook.fileio import atomic_save, atomic_write_text
from . import build
from .machine import MAC, Machine, read_conf, write_conf

RECORD = "install.json"
MIN_PYTHON = (3, 11)


@dataclass
class Report:
    """What a command did: one sentence per action, the files written and folders created."""

    lines: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _make_folder(folder: Path, report: Report) -> None:
    """mkdir -p, remembering each folder it created (outermost first)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir()
        report.folders.append(p)


@contextmanager
def _excel_may_hold(path: Path) -> Iterator[None]:
    try:
        yield
    except PermissionError as exc:
        raise HybridBudgetError(
            f"{path}: cannot be replaced or removed ({exc.strerror}); quit Excel and run the "
            "command again"
        ) from exc


def _write(path: Path, save: object, report: Report) -> None:
    _make_folder(path.parent, report)
    with _excel_may_hold(path):
        save(path)  # type: ignore[operator]
    report.written.append(path)


def entry_folder() -> Path:
    if not build.ENTRY_MODULE.is_file():
        raise HybridBudgetError(
            f"{build.ENTRY_MODULE}: missing; install from a hybridbudget folder (docs/deploy.md)"
        )
    return build.ENTRY_MODULE.parent


def check_python(machine: Machine) -> str:
    """The environment Excel will run: Python 3.11+ with hybridbudget and xlwings."""
    if machine.python_version[:2] < MIN_PYTHON:
        found = ".".join(map(str, machine.python_version))
        raise HybridBudgetError(
            f"{machine.python}: Python {found}; hybridbudget needs 3.11 or newer"
        )
    missing = [name for name in ("hybridbudget", "xlwings") if machine.versions(name) is None]
    if missing:
        raise HybridBudgetError(
            f"{machine.python}: {', '.join(missing)} not installed in this environment"
        )
    return (
        f"Python {'.'.join(map(str, machine.python_version))} at {machine.python} with "
        f"hybridbudget {machine.versions('hybridbudget')} and xlwings {machine.versions('xlwings')}"
    )


def _source_addin(machine: Machine, xlam: Path | None, report: Report) -> None:
    """Put the add-in in the startup folder: a given (signed) build, else one built now."""
    target = machine.addin_path
    xlwings = machine.versions("xlwings")
    if xlam is None:
        _write(target, lambda p: build.build_addin(p), report)
        report.say(f"Built the add-in with xlwings {xlwings} into {target}")
        return
    built = build.built_versions(xlam)
    if not built:
        raise HybridBudgetError(f"{xlam}: not a Hybrid Budget add-in (hybridbudget addin build)")
    if built.get("xlwings") != xlwings:
        raise HybridBudgetError(
            f"{xlam}: built with xlwings {built.get('xlwings')}, and this environment has "
            f"xlwings {xlwings}; install xlwings=={built.get('xlwings')} or use a build made "
            "with this one"
        )
    data = Path(xlam).read_bytes()  # the bytes only: the copy carries no Mark of the Web
    _write(target, lambda p: atomic_save(p, lambda tmp: Path(tmp).write_bytes(data)), report)
    report.say(f"Copied {xlam} to {target}")
    if (machine.zone(Path(xlam)) or 0) >= 3:
        report.say(
            f"{xlam} carries the Mark of the Web (downloaded or from e-mail); the installed copy "
            "does not"
        )


def _applescript(machine: Machine, report: Report) -> None:
    """Mac: xlwings' helper for RunPython, named by its version (as xlwings runpython install)."""
    folder = machine.applescript_folder
    version = machine.versions("xlwings")
    source = build.xlwings_dir() / f"xlwings-{version}.applescript"
    if folder is None:
        return
    if not source.is_file():
        raise HybridBudgetError(f"{source}: missing from the xlwings package")
    target = folder / source.name
    if target.is_file() and target.read_bytes() == source.read_bytes():
        report.say(f"xlwings' RunPython helper is already in place: {target} (left as it is)")
        return  # other xlwings add-ins of this version share it: not ours to remove
    _write(target, lambda p: shutil.copyfile(source, p), report)
    report.say(f"Copied xlwings' RunPython helper to {folder / source.name}")


def _settings(machine: Machine, report: Report) -> dict[str, object]:
    """Point the per-user settings at this Python and the entry module; what uninstall needs."""
    conf = machine.user_conf
    current = read_conf(conf, machine.platform)
    ours = {machine.interpreter_key: str(machine.python), "PYTHONPATH": str(entry_folder())}
    previous = {key: current.get(key) for key in ours}
    existed = conf.exists()
    _write(conf, lambda p: write_conf(p, current | ours, machine.platform), report)
    for key, value in ours.items():
        report.say(f"Set {key} = {value} in {conf}")
    return {"file": str(conf), "existed": existed, "keys": list(ours), "previous": previous}


def record_path(machine: Machine) -> Path:
    return machine.state_folder / RECORD


def install(machine: Machine, xlam: Path | None = None) -> Report:
    """Install the add-in for this user; what it did is in the report and in install.json."""
    machine.require_excel()
    report = Report()
    if record_path(machine).exists():  # an upgrade: undo the previous install, then write afresh
        uninstall(machine)
        report.say("Undid the previous install of this user first")
    report.say(f"Excel will run {check_python(machine)}")
    conf = machine.user_conf
    conf_before = conf.read_bytes() if conf.is_file() else None
    try:
        _source_addin(machine, xlam, report)
        if machine.platform == MAC:
            _applescript(machine, report)
        settings = _settings(machine, report)
        record = record_path(machine)
        _make_folder(record.parent, report)
        report.written.append(record)
        data = {
            "platform": machine.platform,
            "written": [str(p) for p in report.written],
            "folders": [str(p) for p in report.folders],
            "settings": settings,
        }
        atomic_write_text(record, json.dumps(data, indent=2))
    except BaseException:  # leave nothing half installed
        for path in reversed(report.written):
            if path == conf and conf_before is not None:
                path.write_bytes(conf_before)
            else:
                path.unlink(missing_ok=True)
        for folder in reversed(report.folders):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    report.say(f"Recorded what was written in {record} (hybridbudget addin uninstall undoes it)")
    report.say("Start Excel (quit it first if it is open): the Hybrid Budget tab appears.")
    if machine.platform == MAC:
        report.say("When Excel asks for access to a folder, click Grant Access.")
    return report


def uninstall(machine: Machine) -> Report:
    """Undo the install recorded in install.json: files, settings, the folders it created."""
    machine.require_excel()
    report = Report()
    record = record_path(machine)
    if not record.is_file():
        raise HybridBudgetError(
            f"{record}: no record of an install for this user (nothing to undo; the add-in file "
            f"would be {machine.addin_path})"
        )
    data = json.loads(record.read_text(encoding="utf-8"))
    written = list(map(Path, data["written"]))
    settings = data["settings"]
    conf = Path(settings["file"])
    kept = {k: v for k, v in read_conf(conf, data["platform"]).items() if k not in settings["keys"]}
    kept |= {k: v for k, v in settings["previous"].items() if v is not None}
    if conf.exists() and (kept or settings["existed"]):  # the user's own settings stay
        write_conf(conf, kept, data["platform"])
        report.say(f"Took {', '.join(settings['keys'])} out of {conf} (restored what was there)")
        written = [p for p in written if p != conf]
    for path in written:
        if path.exists():
            with _excel_may_hold(path):
                path.unlink()
            report.say(f"Removed {path}")
    for folder in map(Path, reversed(data["folders"])):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            report.say(f"Removed the folder {folder}")
        elif folder.is_dir():
            report.say(f"Kept the folder {folder}: it holds other files (the log, for one)")
    return report

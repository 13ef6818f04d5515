"""Issue 22 item 3: each ribbon button, wired as one chain from the ribbon XML to the sheet it writes.

One explicit table says, per button: its id and label in customUI14.xml, the VBA Sub its onAction
names, the entry function that Sub runs through RunPython, the `BUTTONS` key and label that entry
function clicks, the step function the button runs and the sheets (or files) that step writes.
Each link is read from its own source, so two buttons wired to each other's steps in the ribbon
XML, in the VBA module or in the button table fail here. The last test clicks every button in the
order of a budget cycle on a real control workbook (file backend) and records what it writes.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from hybridbudget.addin import buttons
from hybridbudget.addin.settings import ACTUALS_MONTH, AddinSettings
from hybridbudget.control.file_book import FileControlBook
from hybridbudget.paths import BUNDLED_SAMPLE, REPO_ROOT
from hybridbudget.sample import write_actuals
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop

RIBBON_XML = REPO_ROOT / "xlwings_addin" / "customUI14.xml"
VBA_MODULE = REPO_ROOT / "vba" / "HybridBudgetRibbon.bas"
ENTRY = REPO_ROOT / "xlwings_addin" / "hybridbudget_addin.py"
CUSTOM_UI = "{http://schemas.microsoft.com/office/2009/07/customui}"
VBA_MODULE_NAME = "HybridBudgetRibbon"
MONTH = "2027-01"


@dataclass(frozen=True)
class Wire:
    button_id: str  # ribbon XML <button id>
    label: str  # ribbon XML label, and the label in BUTTONS
    sub: str  # the VBA Sub that onAction names
    entry: str  # the function of hybridbudget_addin.py the Sub runs, also the BUTTONS key
    step: tuple[str, str] | None  # (module of hybridbudget.steps, function) the button runs
    writes: tuple[str, ...]  # sheets of the control workbook the step writes, then files


# The wiring as the user's guide describes it, in ribbon order.
WIRING = (
    Wire("GenerateTemplates", "Generate Templates", "GenerateTemplates", "generate_templates",
         ("templates", "generate_templates"), ("Issued Templates", "Audit Log", "Start here", "templates/*/*.xlsx")),
    Wire("Validate", "Validate", "Validate", "validate",
         ("validate", "validate"), ("Validation", "Audit Log", "Start here")),
    Wire("Consolidate", "Consolidate", "Consolidate", "consolidate",
         ("consolidate", "consolidate"),
         ("Validation", "Submissions", "Consolidated", "Bottom-up Drivers", "Capital Requests",
          "Audit Log", "Start here")),
    Wire("Chase", "Chase", "Chase", "chase", ("chase", "chase"), ("Audit Log",)),
    Wire("Divergence", "Divergence", "Divergence", "divergence",
         ("divergence", "divergence"), ("Divergence", "Divergence Summary", "Audit Log", "Start here")),
    Wire("ApplyDecisions", "Apply Decisions", "ApplyDecisions", "apply_decisions",
         ("plan", "apply_decisions"), ("Plan", "Audit Log", "Start here")),
    Wire("LockPlan", "Lock Plan", "LockPlan", "lock_plan",
         ("plan", "lock"), ("Locked Plan v1", "Plan", "Audit Log", "Start here")),
    Wire("ImportActuals", "Import Actuals", "ImportActuals", "import_actuals",
         ("actuals", "import_actuals"),
         ("Actuals", "Actuals Staffing", "Actuals Imports", "Actuals Issues", "Audit Log", "Start here")),
    Wire("Variance", "Variance", "Variance", "variance",
         ("variance", "variance"), ("Variance", "Variance Summary", "Actions", "Audit Log", "Start here")),
    Wire("Dashboard", "Dashboard", "Dashboard", "dashboard",
         ("dashboard", "build_dashboard"), ("dashboard.xlsx",)),
    Wire("About", "About", "About", "about", None, ()),
    Wire("OpenLog", "Open Log", "OpenLog", "open_log", None, ()),
)  # fmt: skip
BY_ID = {w.button_id: w for w in WIRING}


# --- the ribbon XML -----------------------------------------------------------------------------


def ribbon_buttons() -> dict[str, tuple[str, str]]:
    """button id -> (label, onAction) as customUI14.xml has them."""
    root = ElementTree.parse(RIBBON_XML).getroot()
    return {
        b.get("id", ""): (b.get("label", ""), b.get("onAction", ""))
        for b in root.iter(f"{CUSTOM_UI}button")
    }


def test_ribbon_xml_has_each_button_with_its_label_and_sub() -> None:
    found = ribbon_buttons()
    assert list(found) == [w.button_id for w in WIRING]  # no button more, none less, same order
    for w in WIRING:
        assert found[w.button_id] == (w.label, f"{VBA_MODULE_NAME}.{w.sub}"), w.button_id


# --- the VBA module -----------------------------------------------------------------------------

SUB = re.compile(
    r"^Sub (\w+)\(control As IRibbonControl\)\s*$(.*?)^End Sub", re.MULTILINE | re.DOTALL
)
RUN_PYTHON = re.compile(r'^\s*RunPython "import hybridbudget_addin; hybridbudget_addin\.(\w+)\(\)"')


def vba_callbacks() -> dict[str, list[str]]:
    """Ribbon callback Sub -> the entry functions its RunPython lines call."""
    code = VBA_MODULE.read_text(encoding="utf-8")
    assert f'Attribute VB_Name = "{VBA_MODULE_NAME}"' in code
    return {
        name: [m.group(1) for line in body.splitlines() if (m := RUN_PYTHON.match(line))]
        for name, body in SUB.findall(code)
    }


def test_each_vba_sub_runs_its_entry_function() -> None:
    subs = vba_callbacks()
    assert sorted(subs) == sorted(w.sub for w in WIRING)
    for w in WIRING:
        assert subs[w.sub] == [w.entry], w.sub


# --- the entry functions and the button table ---------------------------------------------------


def load_entry_module() -> Any:
    spec = importlib.util.spec_from_file_location("hybridbudget_addin_wiring", ENTRY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_entry_function_clicks_its_button(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = load_entry_module()
    public = sorted(
        n for n, f in vars(entry).items() if callable(f) and f.__module__ == entry.__name__
    )
    assert public == sorted(w.entry for w in WIRING)
    book = object()
    for w in WIRING:
        clicked: list[tuple[str, Any]] = []
        monkeypatch.setattr(entry, "run", lambda name, b, c=clicked: c.append((name, b)))
        getattr(entry, w.entry)(book)
        assert clicked == [(w.entry, book)], w.entry


def test_button_table_labels() -> None:
    assert list(buttons.BUTTONS) == [w.entry for w in WIRING]
    for w in WIRING:
        assert buttons.BUTTONS[w.entry].label == w.label, w.entry


# --- a budget cycle clicked button by button ----------------------------------------------------


class RecordingBook:
    """A file control book that records the names of the sheets each write replaces or adds."""

    def __init__(self, path: Path) -> None:
        self._book = FileControlBook(path)
        self.written: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)

    def write_sheets(self, sheets: Sequence[Any], step: str) -> None:
        self.written += [s.name for s in sheets]
        self._book.write_sheets(sheets, step)


def files_written(folder: Path, before: set[Path]) -> list[Path]:
    """Workbooks new in `folder` (the control workbook's backups, in a dot folder, left out)."""
    return sorted(
        p
        for p in folder.rglob("*.xlsx")
        if p not in before and not p.relative_to(folder).parts[0].startswith(".")
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, control_path: Path) -> Path:
    """A folder with a fresh control workbook and one month of actuals extracts."""
    out = tmp_path_factory.mktemp("wiring")
    shutil.copyfile(control_path, out / "control.xlsx")
    write_actuals(BUNDLED_SAMPLE, 2027, [1], out / "actuals", seed=2027)
    return out


def between_clicks(w: Wire, folder: Path) -> None:
    """What the users do between two clicks: managers fill templates, the workshop decides."""
    if w.button_id == "GenerateTemplates":  # one entity's managers send their templates back
        fill_submissions(
            folder / "templates" / "LCH", folder / "submissions", control=folder / "control.xlsx"
        )
    elif w.button_id == "Divergence":
        run_workshop(folder / "control.xlsx")


def test_each_button_runs_its_step_and_writes_its_sheets(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_step = buttons.step
    monkeypatch.setattr(buttons, "open_path", lambda path: None)  # Open Log: no viewer here
    settings = AddinSettings({ACTUALS_MONTH: MONTH})
    for w in WIRING:
        called: list[tuple[str, str]] = []

        def recording_step(module: str, function: str, c: list = called) -> Callable[..., Any]:
            c.append((module, function))
            return real_step(module, function)

        monkeypatch.setattr(buttons, "step", recording_step)
        book = RecordingBook(folder / "control.xlsx")
        before = set(folder.rglob("*.xlsx"))
        error: Exception | None = None
        try:
            buttons.BUTTONS[w.entry].call(buttons.Session(book, settings, lambda m: None))
        except Exception as exc:  # the step named below must be the expected one first
            error = exc
        assert called == ([w.step] if w.step else []), w.button_id
        assert error is None, f"{w.button_id}: {error!r}"
        new = [p.relative_to(folder) for p in files_written(folder, before)]
        sheets = [n for n in w.writes if not n.endswith(".xlsx")]
        files = [n for n in w.writes if n.endswith(".xlsx")]
        assert book.written == sheets, w.button_id
        if files == ["templates/*/*.xlsx"]:
            assert len(new) == 54 and all(p.match("templates/*/*.xlsx") for p in new), new
        else:
            assert [str(p) for p in new] == files, w.button_id
        between_clicks(w, folder)

"""Issue 6: every ribbon entry function, run through xlwings' remote engine on a real control workbook.

The book is `xw.Book(json=payload)`, the payload built from a control workbook the engine wrote.
The actions the entry function returns are replayed into a small model of Excel (`Excel` below);
the sheets they write must hold the same values, number formats and links as the sheets the CLI
writes into the file for the same inputs, and failures must end in a message box, not an exception.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before xlwings is imported

import datetime as dt
import importlib.util
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from python_calamine import CalamineWorkbook

from hybridbudget import cli
from hybridbudget.addin import buttons
from hybridbudget.addin.settings import SETTINGS_SHEET
from hybridbudget.paths import BUNDLED_SAMPLE, REPO_ROOT
from hybridbudget.sample import write_actuals
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.workbook.styles import HEADER_FILL, INPUT_FILL

ENTRY = REPO_ROOT / "xlwings_addin" / "hybridbudget_addin.py"
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")  # how the engine sends dates


def _load_entry_module() -> Any:
    spec = importlib.util.spec_from_file_location("hybridbudget_addin", ENTRY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


addin = _load_entry_module()


@pytest.fixture(autouse=True)
def _addin_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    monkeypatch.setenv(buttons.LOG_ENV, str(tmp_path / "addin.log"))
    if "remote" not in [e.name for e in xw.engines]:
        pytest.fail("xlwings was imported before XLWINGS_LICENSE_KEY was set: no remote engine")


# --- a workbook as the remote engine's payload, and what Excel does with the actions ------------


def payload(path: Path, name: str | None = None, extra: dict[str, list[list[Any]]] | None = None):
    """The JSON an xlwings client would send for this .xlsx (book name: its full path)."""

    def cell(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.isoformat(timespec="milliseconds") + "Z"
        if isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time()).isoformat(timespec="milliseconds") + "Z"
        return v

    wb = CalamineWorkbook.from_path(str(path))
    sheets = [(n, wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names]
    sheets += list((extra or {}).items())
    return {
        "client": "Microsoft Excel",
        "version": xw.__version__,
        "book": {
            "name": name or str(path),
            "active_sheet_index": 0,
            "selection": "A1",
            "calculation": "Automatic",
        },
        "names": [],
        "sheets": [
            {
                "name": n,
                "values": [[cell(v) for v in r] for r in rows] or [[""]],
                "pictures": [],
                "tables": [],
            }
            for n, rows in sheets
        ],
    }


class Excel:
    """What Excel holds after applying a remote-engine action list (the parts the tests check)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.names: list[str] = []
        self.sheets: list[dict[str, dict]] = []
        for s in data["sheets"]:
            self._add(len(self.names), s["name"])
            for r, row in enumerate(s["values"], start=1):
                for c, v in enumerate(row, start=1):
                    if v != "":
                        self.sheets[-1]["values"][(r, c)] = v
        self.alerts: list[list[Any]] = []
        self.log: list[tuple[str, Any]] = []  # screen updating and calculation, in order
        self.unquoted: list[str] = []  # text written without Excel's apostrophe

    def _add(self, ix: int, name: str) -> None:
        self.names.insert(ix, name)
        kinds = ("values", "formats", "fonts", "fills", "links", "widths", "frozen", "wrap")
        self.sheets.insert(ix, {k: {} for k in kinds})

    def cells(self, a: dict[str, Any]) -> list[tuple[int, int]]:
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        return [(r0 + i, c0 + j) for i in range(a["row_count"]) for j in range(a["column_count"])]

    def apply(self, actions: list[dict[str, Any]]) -> Excel:
        for a in actions:
            func, args = a["func"], a["args"]
            sheet = self.sheets[a["sheet_position"]] if a["sheet_position"] is not None else None
            if func == "addSheet":
                self._add(args[0], args[1])
            elif func == "sheetDelete":
                del self.names[a["sheet_position"]], self.sheets[a["sheet_position"]]
            elif func == "sheetClear":
                for key in ("values", "formats", "fonts", "fills", "links", "wrap"):
                    sheet[key].clear()
            elif func == "setValues":
                r0, c0 = a["start_row"] + 1, a["start_column"] + 1
                for i, row in enumerate(a["values"]):
                    for j, v in enumerate(row):
                        if isinstance(v, str) and v.startswith("'"):
                            v = v[1:]
                        elif isinstance(v, str) and ISO_DATE.fullmatch(v):
                            v = dt.datetime.fromisoformat(v)  # Excel reads the date
                        elif isinstance(v, str) and v:
                            self.unquoted.append(v)
                        sheet["values"].pop((r0 + i, c0 + j), None)
                        if v not in ("", None):
                            sheet["values"][(r0 + i, c0 + j)] = v
            elif func == "setNumberFormat":
                sheet["formats"].update(dict.fromkeys(self.cells(a), args[0]))
            elif func == "setFontProperty":
                for cell in self.cells(a):
                    sheet["fonts"].setdefault(cell, {})[args[0]] = args[1]
            elif func == "setRangeColor":
                sheet["fills"].update(dict.fromkeys(self.cells(a), args[0]))
            elif func == "setWrapText":
                sheet["wrap"].update(dict.fromkeys(self.cells(a), args[0]))
            elif func == "setColumnWidth":
                for c in range(a["column_count"]):
                    sheet["widths"][a["start_column"] + 1 + c] = args[0]
            elif func == "addHyperlink":
                sheet["links"][(a["start_row"] + 1, a["start_column"] + 1)] = args[0]
            elif func == "freezePaneAtRange":
                sheet["frozen"]["at"] = args[0]
            elif func == "freezePaneUnfreeze":
                sheet["frozen"].clear()
            elif func in ("setScreenUpdating", "setCalculation"):
                self.log.append((func, args[0]))
            elif func == "alert":
                self.alerts.append(args)
            else:
                raise AssertionError(f"an action this model does not know: {func}")
        return self

    def sheet(self, name: str) -> dict[str, dict]:
        return self.sheets[self.names.index(name)]


def click(entry: Callable[..., None], data: dict[str, Any]) -> tuple[Excel, list[dict[str, Any]]]:
    book = xw.Book(json=data)
    assert entry(book) is None  # never raises
    actions = book.json()["actions"]
    return Excel(data).apply(actions), actions


def _plain(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float):
        return round(float(v), 6)
    if isinstance(v, str):
        return TIMESTAMP.sub("<time>", v)
    return v


def _target(link: Any) -> str:
    """A link as the add-in gives it: a place in this workbook is '#' and its location."""
    return link.target or f"#{link.location}"


def assert_same_sheets(excel: Excel, path: Path, names: list[str]) -> None:
    """The sheets the add-in wrote equal those the CLI wrote: values, formats, links, looks."""
    wb = openpyxl.load_workbook(path)
    for name in names:
        _same_sheet(excel.sheet(name), wb[name], name)
    wb.close()


def _same_sheet(live: dict[str, dict], ws: Any, name: str) -> None:
    cells = [c for row in ws.iter_rows() for c in row]
    expected = {(c.row, c.column): _plain(c.value) for c in cells if c.value not in (None, "")}
    got = {k: _plain(v) for k, v in live["values"].items()}
    assert got == expected, f"{name}: values differ"
    formats = {
        (c.row, c.column): c.number_format
        for c in cells
        if c.value not in (None, "") and c.number_format != "General"
    }
    assert {k: v for k, v in live["formats"].items() if k in expected} == formats, name
    links = {(c.row, c.column): _target(c.hyperlink) for c in cells if c.hyperlink is not None}
    assert live["links"] == links, f"{name}: hyperlinks differ"
    navy = "#" + HEADER_FILL.fgColor.rgb[-6:]
    header_cells = [k for k, v in live["fills"].items() if v == navy]
    assert header_cells and all(live["fonts"][k].get("bold") for k in header_cells), name
    for cell, colour in live["fills"].items():
        assert ws.cell(*cell).fill.fgColor.rgb[-6:] == colour[1:], f"{name} {cell}: fill"
    shaded = {k for k, v in live["fills"].items() if v[1:] == INPUT_FILL.fgColor.rgb[-6:]}
    file_shaded = {(c.row, c.column) for c in cells if c.value is not None
                   and c.fill.fgColor.rgb[-6:] == INPUT_FILL.fgColor.rgb[-6:]}  # fmt: skip
    assert file_shaded <= shaded, f"{name}: input cells not shaded"
    widths = {
        i: dim.width
        for dim in ws.column_dimensions.values()
        for i in range(dim.min, dim.max + 1)
        if dim.width
    }
    assert live["widths"] == {i: widths[i] for i in live["widths"]}, f"{name}: column widths"
    frozen = ws.freeze_panes
    if frozen and frozen.startswith("A"):  # rows only: frozen as a row range
        frozen = f"1:{int(frozen[1:]) - 1}"
    assert live["frozen"].get("at") == frozen, f"{name}: freeze panes"


def assert_quiet_write(excel: Excel) -> None:
    """Screen updating and calculation paused around the writes, then restored."""
    assert excel.log[:2] == [("setScreenUpdating", False), ("setCalculation", "Manual")]
    assert excel.log[-2:] == [("setCalculation", "Automatic"), ("setScreenUpdating", True)]
    assert not excel.unquoted, "text written without Excel's apostrophe would be reinterpreted"


def only_alert(excel: Excel, mode: str) -> str:
    assert len(excel.alerts) == 1
    prompt, title, _buttons, got_mode, _ = excel.alerts[0]
    assert (title, got_mode) == ("Hybrid Budget", mode), prompt
    return prompt


# --- the two backends render a sheet spec alike --------------------------------------------------


def test_backends_render_the_same_sheet(control_copy: Path) -> None:
    """One spec with every feature, written by the file backend and by the live backend."""
    from hybridbudget.control.file_book import FileControlBook
    from hybridbudget.workbook.spec import Block, Column, Sheet
    from hybridbudget.workbook.xlwings_book import XlwingsControlBook

    rows = pd.DataFrame(
        {
            "code": ["6010", "=SUM(A1)", "+44", "2027-01", None],
            "count": [1, 2, 3, 4, None],
            "amount": [10.005, -2.5, 1_000_000.0, None, 0.1],
            "share": [0.25, 0.5, None, 1.0, 0.125],
            "mixed": [12.5, 0.25, 3.0, 0.5, 7.0],
            "kind": ["money", "pct", "money", "pct", "int"],
            "file": ["a.xlsx", "b c.xlsx", "", "d.xlsx", "e.xlsx"],
            "link": ["a.xlsx", "b%20c.xlsx#'Budget'!C5", "", "", "e.xlsx"],
            "when": [dt.datetime(2027, 1, 15), None, dt.datetime(2027, 2, 1, 9, 30), None, None],
            "decision": ["Keep", "", "Accept", None, ""],
        }
    )
    columns = (
        Column("Code", "code"),
        Column("Count", "count", "int"),
        Column("Amount", "amount", "money"),
        Column("Share", "share", "pct"),
        Column("Mixed", "mixed", "money", kind_from="kind"),
        Column("File", "file", width=30, link_from="link"),
        Column("When", "when", "datetime"),
        Column("Decision", "decision", editable=True, choices=("Keep", "Accept")),
    )
    spec = Sheet(
        "Conformance",
        "Every feature once",
        (
            Block("Items", columns, rows, total_label="Total"),
            Block("Nothing yet", columns[:3], rows.iloc[0:0], total_label="Total"),
        ),
        notes=("First note.", "Second note."),
    )
    plain = Sheet("Plain", "No freeze", (Block("Items", columns[:2], rows),), freeze_block=None)
    FileControlBook(control_copy).write_sheets([spec, plain], "test")
    data = payload(control_copy)
    book = xw.Book(json=data)
    XlwingsControlBook(book).write_sheets([spec, plain], "test")
    excel = Excel(data).apply(book.json()["actions"])
    assert_same_sheets(excel, control_copy, ["Conformance", "Plain"])
    assert_quiet_write(excel)
    assert excel.sheet("Conformance")["values"][(8, 1)] == "=SUM(A1)"  # text, not a formula


# --- Setup and Collect ----------------------------------------------------------------------------


@pytest.fixture()
def workspace(tmp_path: Path, control_path: Path, templates_dir: Path) -> Path:
    """A control workbook with a submissions folder beside it (six templates, one broken file)."""
    folder = tmp_path / "budget"
    subs = folder / "submissions" / "RMC"
    subs.mkdir(parents=True)
    shutil.copyfile(control_path, folder / "control.xlsx")
    for template in sorted((templates_dir / "RMC").glob("*.xlsx"))[:6]:
        shutil.copyfile(template, subs / template.name)
    (subs / "notes.xlsx").write_text("not a workbook")
    return folder


def test_validate_writes_what_the_cli_writes(workspace: Path) -> None:
    control = workspace / "control.xlsx"
    excel, actions = click(addin.validate, payload(control))
    assert [a["func"] for a in actions].count("setValues") == 3  # one write per sheet
    assert cli.main(["validate", str(workspace / "submissions"), "--control", str(control)]) == 1
    assert_same_sheets(excel, control, ["Validation", "Audit Log", "Start here"])
    assert_quiet_write(excel)
    prompt = only_alert(excel, "info")
    notes = CalamineWorkbook.from_path(str(control)).get_sheet_by_name("Validation").to_python()
    assert prompt.startswith(notes[1][0])  # the summary line of the sheet
    assert excel.sheet("Validation")["links"]  # files and cells are clickable


def test_generate_templates_writes_the_cli_templates(workspace: Path, tmp_path: Path) -> None:
    control = workspace / "control.xlsx"
    excel, _ = click(addin.generate_templates, payload(control))
    prompt = only_alert(excel, "info")
    ours = workspace / "templates"
    assert f"Wrote 54 templates to {ours}" in prompt
    theirs = tmp_path / "cli-templates"
    assert cli.main(["templates", "--control", str(control), "--out", str(theirs)]) == 0

    def listing(folder: Path) -> list[str]:
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.xlsx"))

    assert listing(ours) == listing(theirs) and len(listing(ours)) == 54
    one = listing(ours)[0]
    mine, cli_made = (CalamineWorkbook.from_path(str(f / one)) for f in (ours, theirs))
    assert mine.sheet_names == cli_made.sheet_names
    budget = mine.sheet_names[0]
    assert (
        mine.get_sheet_by_name(budget).to_python() == cli_made.get_sheet_by_name(budget).to_python()
    )
    excel_audit = excel.sheet("Audit Log")["values"]
    last_row = max(r for r, _ in excel_audit)
    assert excel_audit[(last_row, 2)] == "templates"
    assert str(ours) in excel_audit[(last_row, 4)]


def test_failing_step_shows_a_plain_message(workspace: Path) -> None:
    control = workspace / "control.xlsx"
    nowhere = workspace / "no-such-folder"
    settings = [["Setting", "Value"], ["Submissions folder", str(nowhere)]]
    excel, actions = click(addin.validate, payload(control, extra={SETTINGS_SHEET: settings}))
    assert "setValues" not in [a["func"] for a in actions]
    prompt = only_alert(excel, "critical")
    assert "Validate could not finish." in prompt
    assert f"{nowhere}: submissions folder not found" in prompt
    assert "The returned templates are read from the folder 'submissions'" in prompt
    assert "Traceback" not in prompt
    log = buttons.log_path().read_text(encoding="utf-8")
    assert "submissions folder not found" in log


def test_unexpected_error_goes_to_the_log(workspace: Path, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("hybridbudget.steps.validate.validate", broken)
    excel, _ = click(addin.validate, payload(workspace / "control.xlsx"))
    prompt = only_alert(excel, "critical")
    assert "unexpected error (RuntimeError: disk on fire)" in prompt
    assert str(buttons.log_path()) in prompt and "Traceback" not in prompt
    log = buttons.log_path().read_text(encoding="utf-8")
    assert "Traceback" in log and "disk on fire" in log


def test_folder_comes_from_the_settings_sheet_or_the_full_name(workspace: Path) -> None:
    control = workspace / "control.xlsx"
    unsaved = payload(control, name="control.xlsx")  # Excel gave no folder
    prompt = only_alert(click(addin.validate, unsaved)[0], "critical")
    assert "Excel does not say in which folder this workbook is saved" in prompt
    settings = [["Workbook folder", str(workspace)], ["Templates folder", "out/templates"]]
    data = payload(control, name="control.xlsx", extra={SETTINGS_SHEET: settings})
    prompt = only_alert(click(addin.about, data)[0], "info")
    assert f"Templates folder: {workspace / 'out' / 'templates'}" in prompt
    assert f"Submissions folder: {workspace / 'submissions'}" in prompt
    typo = payload(control, extra={SETTINGS_SHEET: [["Setting"], ["Submission folder", "x"]]})
    prompt = only_alert(click(addin.validate, typo)[0], "critical")
    assert "cell A2: unknown setting 'Submission folder'" in prompt


def test_about_and_open_log(workspace: Path, monkeypatch) -> None:
    data = payload(workspace / "control.xlsx")
    prompt = only_alert(click(addin.about, data)[0], "info")
    assert f"xlwings {xw.__version__}" in prompt and str(buttons.log_path()) in prompt
    assert "Checklist (hybridbudget addin doctor):\n[PASS] Python: " in prompt  # issue 19
    assert f"[PASS] Templates folder: {workspace / 'templates'}" in prompt
    opened: list[Path] = []
    monkeypatch.setattr(buttons, "open_path", opened.append)
    excel, _ = click(addin.open_log, data)
    assert opened == [buttons.log_path()] and opened[0].is_file()
    assert excel.alerts == []


# --- Consolidate, Divergence, Apply Decisions, Lock Plan ---------------------------------------
# Each button runs on the workbook as the previous step left it; the CLI runs the same step on a
# copy in the same folder (links and titles name the folder), and both must write the same sheets.


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, control_path: Path, templates_dir: Path):
    """A folder with the control workbook and filled submissions of one entity (LCH)."""
    folder = tmp_path_factory.mktemp("cycle")
    shutil.copyfile(control_path, folder / "step0.xlsx")
    shutil.copytree(templates_dir / "LCH", folder / "blank" / "LCH")
    fill_submissions(folder / "blank", folder / "submissions", control=control_path)
    return folder


def _after(cycle: Path, before: str, after: str, argv: list[str]) -> Path:
    """Run a CLI step on a copy of `before`, saved as `after` (once per module)."""
    path = cycle / after
    if not path.exists():
        shutil.copyfile(cycle / before, path)
        assert cli.main([*argv, "--control", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def consolidated(cycle: Path) -> Path:
    return _after(cycle, "step0.xlsx", "step1.xlsx", ["consolidate", str(cycle / "submissions")])


@pytest.fixture(scope="module")
def diverged(consolidated: Path) -> Path:
    return _after(consolidated.parent, "step1.xlsx", "step2.xlsx", ["divergence"])


@pytest.fixture(scope="module")
def decided(diverged: Path) -> Path:
    path = diverged.parent / "step3.xlsx"
    if not path.exists():
        shutil.copyfile(diverged, path)
        run_workshop(path)
    return path


@pytest.fixture(scope="module")
def planned(decided: Path) -> Path:
    return _after(decided.parent, "step3.xlsx", "step4.xlsx", ["apply-decisions"])


@pytest.fixture(scope="module")
def locked(planned: Path) -> Path:
    return _after(planned.parent, "step4.xlsx", "step5.xlsx", ["lock"])


def _check_button(entry: Callable[..., None], before: Path, after: Path, **settings: str) -> str:
    """Click on the workbook as `before`; every sheet written must equal the CLI's in `after`."""
    extra = {SETTINGS_SHEET: [[k.replace("_", " ").capitalize(), v] for k, v in settings.items()]}
    excel, actions = click(entry, payload(before, extra=extra if settings else None))
    written = sorted(
        {excel.names[a["sheet_position"]] for a in actions if a["func"] == "setValues"}
    )
    assert written, "the button wrote no sheet"
    if settings:  # the live book also holds the settings sheet, which Start here lists
        assert "Start here" in written and SETTINGS_SHEET in excel.names
        written.remove("Start here")
    assert_same_sheets(excel, after, written)
    assert_quiet_write(excel)
    return only_alert(excel, "info")


@pytest.fixture(scope="module")
def imported(locked: Path) -> Path:
    folder = locked.parent
    if not (folder / "actuals").is_dir():
        write_actuals(BUNDLED_SAMPLE, 2027, [1], folder / "actuals", seed=2027)
    argv = ["actuals", "import", str(folder / "actuals"), "--month", "2027-01"]
    return _after(folder, "step5.xlsx", "step6.xlsx", argv)


@pytest.fixture(scope="module")
def varied(imported: Path) -> Path:
    return _after(imported.parent, "step6.xlsx", "step7.xlsx", ["variance"])


def test_consolidate_button(cycle: Path, consolidated: Path) -> None:
    prompt = _check_button(addin.consolidate, cycle / "step0.xlsx", consolidated)
    assert "Consolidated 14 of 54 cost centers." in prompt


def test_divergence_button(consolidated: Path, diverged: Path) -> None:
    prompt = _check_button(addin.divergence, consolidated, diverged)
    assert prompt.startswith("Divergence written:")


def test_apply_decisions_button(decided: Path, planned: Path) -> None:
    prompt = _check_button(addin.apply_decisions, decided, planned)
    assert prompt.startswith("Plan written: margin")


def test_lock_plan_button(planned: Path, locked: Path) -> None:
    prompt = _check_button(addin.lock_plan, planned, locked)
    assert prompt.startswith("Locked plan version 1 on the sheet Locked Plan v1")


def test_import_actuals_button(locked: Path, imported: Path) -> None:
    prompt = _check_button(addin.import_actuals, locked, imported, actuals_month="2027-01")
    assert prompt.startswith("Imported actuals for 2027-01:")
    no_month = only_alert(click(addin.import_actuals, payload(locked))[0], "critical")
    assert "Actuals month | YYYY-MM" in no_month


def test_variance_button(imported: Path, varied: Path) -> None:
    prompt = _check_button(addin.variance, imported, varied)
    assert prompt.startswith("Variance 2027-01 against Locked Plan v1")


def test_dashboard_button(varied: Path, tmp_path: Path) -> None:
    excel, _ = click(addin.dashboard, payload(varied))
    ours = varied.parent / "dashboard.xlsx"
    assert only_alert(excel, "info") == f"Wrote the dashboard for 2027-01 to {ours}."
    theirs = tmp_path / "dashboard.xlsx"
    assert cli.main(["dashboard", "--control", str(varied), "--out", str(theirs)]) == 0
    mine, cli_made = (CalamineWorkbook.from_path(str(p)) for p in (ours, theirs))
    assert mine.sheet_names == cli_made.sheet_names
    for name in mine.sheet_names:
        rows = [
            mine.get_sheet_by_name(name).to_python(),
            cli_made.get_sheet_by_name(name).to_python(),
        ]
        assert [[_plain(v) for v in r] for r in rows[0]] == [
            [_plain(v) for v in r] for r in rows[1]
        ]


# --- Excel's object model where the engine exposes it (Windows): protection ----------------------


class _ComSheet:
    """A sheet whose `api` is Excel's COM Worksheet (protection state and Protect)."""

    def __init__(self, name: str, protected: bool = False) -> None:
        from unittest import mock

        self.name = name
        self.api = mock.Mock(ProtectContents=protected)
        self.ranges: dict[Any, Any] = {}
        self.freeze_panes = mock.Mock()
        self.cleared = False

    def range(self, *args: Any) -> Any:
        from unittest import mock

        return self.ranges.setdefault(args, mock.MagicMock())

    def clear(self) -> None:
        self.cleared = True


class _ComSheets(list):
    def add(self, name: str, before: Any = None, after: Any = None) -> _ComSheet:
        sheet = _ComSheet(name)
        self.insert(self.index(before) if before is not None else self.index(after) + 1, sheet)
        return sheet


def test_protected_sheet_is_replaced_in_place_and_protected() -> None:
    from unittest import mock

    from hybridbudget.workbook.spec import Block, Column, Sheet
    from hybridbudget.workbook.xlwings_book import XlwingsControlBook

    sheets = _ComSheets([_ComSheet("Guardrails"), _ComSheet("Plan", protected=True)])
    sheets.append(_ComSheet("Audit Log"))
    for sheet in sheets:
        sheet.delete = (lambda s: lambda: sheets.remove(s))(sheet)
    book = mock.Mock(sheets=sheets, fullname="/tmp/control.xlsx")
    rows = pd.DataFrame({"item": ["a", "b"], "decision": ["Keep", ""]})
    columns = (Column("Item", "item"), Column("Decision", "decision", editable=True))
    spec = Sheet("Plan", "Plan", (Block("Items", columns, rows),), protect_password="pw")
    XlwingsControlBook(book).write_sheets([spec], "lock")
    assert [s.name for s in sheets] == ["Guardrails", "Plan", "Audit Log"]
    plan = sheets[1]
    assert plan.api.ProtectContents is not True  # a new sheet, not the protected one
    plan.api.Protect.assert_called_once_with(Password="pw", AllowSorting=True, AllowFiltering=True)
    assert plan.ranges[("B5:B6",)].api.Locked is False  # the input cells stay editable
    assert book.app.screen_updating is True  # restored after the write

"""Issue 8: sheets rendered by the fast writer are the sheets openpyxl writes, part by part.

`replace_sheets` (data rows rendered to XML, untouched parts copied as stored) against
`replace_sheets_openpyxl` (every cell through openpyxl), and `write_workbook` against openpyxl's
own save, on every sheet a budget cycle writes and on a sheet built to hit every kind of value.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl.utils.exceptions import IllegalCharacterError

from hybridbudget.control import store
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps.consolidate import consolidate
from hybridbudget.steps.plan import apply_decisions, lock
from hybridbudget.workbook import package, xlsx, zipio
from hybridbudget.workbook.deferred import RENDER_ROWS
from hybridbudget.workbook.package import replace_sheets, replace_sheets_openpyxl
from hybridbudget.workbook.spec import Block, Column, Sheet
from hybridbudget.workbook.xlsx import _workbook, write_workbook

TIMESTAMP = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: TIMESTAMP.sub(rb"\1", z.read(n)) for n in z.namelist()}


def assert_same_update(control: Path, sheets: list[Sheet], tmp: Path) -> None:
    fast, slow = tmp / "fast.xlsx", tmp / "slow.xlsx"
    shutil.copyfile(control, fast)
    shutil.copyfile(control, slow)
    replace_sheets(fast, sheets)
    replace_sheets_openpyxl(slow, sheets)
    a, b = parts(fast), parts(slow)
    assert list(a) == list(b)
    for name in b:
        assert a[name] == b[name], name


def assert_same_new_workbook(sheets: list[Sheet], tmp: Path) -> None:
    write_workbook(tmp / "fast.xlsx", sheets)
    buffer = io.BytesIO()
    _workbook(sheets, None).save(buffer)
    a, b = parts(tmp / "fast.xlsx"), parts(buffer)  # type: ignore[arg-type]
    assert list(a) == list(b)
    for name in b:
        assert a[name] == b[name], name


@pytest.fixture(scope="module")
def cycle_sheets(tmp_path_factory, control_path, templates_dir) -> list[list[Sheet]]:
    """Every list of sheets a budget cycle writes into the control workbook."""
    tmp = tmp_path_factory.mktemp("cycle")
    control = tmp / "control.xlsx"
    shutil.copyfile(control_path, control)
    subs = tmp / "subs"
    fill_submissions(templates_dir, subs, seed=8, control=control)
    captured: list[list[Sheet]] = []
    real = store.replace_sheets

    def capture(target: Path, sheets) -> None:
        captured.append(list(sheets))
        real(target, captured[-1])

    mp = pytest.MonkeyPatch()
    mp.setattr(store, "replace_sheets", capture)
    try:
        consolidate(control, subs)
        run_workshop(control)
        apply_decisions(control)
        lock(control, force_reason="test")
    finally:
        mp.undo()
    return captured


def test_every_cycle_sheet_is_written_as_openpyxl_writes_it(tmp_path, control_path, cycle_sheets):
    assert len(cycle_sheets) >= 5
    for i, sheets in enumerate(cycle_sheets):
        (tmp_path / str(i)).mkdir()
        assert_same_update(control_path, sheets, tmp_path / str(i))
        assert_same_new_workbook(sheets, tmp_path / str(i))


def awkward_sheet(value_column: list[object]) -> Sheet:
    n = len(value_column)
    rows = pd.DataFrame(
        {
            "text": ["a&b <c> d\r", " padded ", "", "#N/A", "=cmd|' /C calc'!A0", "é😀\u2028",
                     "x" * 40_000, None][:n] + [None] * max(0, n - 8),
            "value": value_column,
            "kind": (["money", "pct", "int", "text"] * n)[:n],
            "link": (["https://example.org/a?b=1&c=2", "", "folder/file.xlsx#'Budget'!B2",
                      "x"] * n)[:n],
            "choice": (["accept bottom-up", None] * n)[:n],
        }
    )  # fmt: skip
    first = Block(
        "Mixed values",
        (
            Column("Text", "text", link_from="link"),
            Column("Value", "value", "money", kind_from="kind"),
            Column("Missing column", "absent", "int"),
            Column("Choice", "choice", editable=True, choices=("accept bottom-up", "keep")),
        ),
        rows,
        total_label="Total",
    )
    second = Block("Empty", (Column("A", "a"), Column("B", "b", "fte")), pd.DataFrame())
    third = Block("Numbers", (Column("N", "value", "ratio"),), rows[["value"]])
    return Sheet("Awkward", "Awkward & <odd>", (first, second, third), notes=("note é",),
                 freeze_block=0, protect_password="pw", tab_color="1F3864")  # fmt: skip


VALUES = [1, -0.0, 1e-300, 12345678901234567890, math.inf, True, 2.675, None]


def test_awkward_values_are_written_as_openpyxl_writes_them(tmp_path, control_path):
    sheets = [awkward_sheet(VALUES), Sheet("Second", "second", ())]
    assert_same_update(control_path, sheets, tmp_path)
    assert_same_new_workbook(sheets, tmp_path)


def test_long_blocks_are_rendered_in_pieces_as_openpyxl_writes_them(tmp_path, control_path):
    sheets = [awkward_sheet([VALUES[i % 8] for i in range(2 * RENDER_ROWS + 17)])]
    assert_same_update(control_path, sheets, tmp_path)


def openpyxl_cells(control: Path, sheets: list[Sheet], tmp: Path, monkeypatch) -> int:
    """How many data cells replace_sheets has openpyxl write (blocks it does not render)."""
    made = []
    real = xlsx._styled
    monkeypatch.setattr(xlsx, "_styled", lambda *a: made.append(1) or real(*a))
    target = tmp / "count.xlsx"
    shutil.copyfile(control, target)
    replace_sheets(target, sheets)
    monkeypatch.setattr(xlsx, "_styled", real)
    return len(made)


def test_dates_and_times_are_rendered_as_openpyxl_writes_them(tmp_path, control_path, monkeypatch):
    # a date format registered at its first cell, between the prototypes made before and after
    values = [dt.datetime(2026, 1, 2, 13, 30), dt.date(2026, 1, 3), dt.time(8, 15, 30),
              dt.timedelta(hours=30), pd.Timestamp("2026-02-03 04:05:06.5"), dt.date(1900, 2, 1),
              None, 7]  # fmt: skip
    sheets = [awkward_sheet(values)]
    assert_same_update(control_path, sheets, tmp_path)
    assert_same_new_workbook(sheets, tmp_path)
    assert openpyxl_cells(control_path, sheets, tmp_path, monkeypatch) == 0


def test_values_only_openpyxl_writes_fall_back_to_it(tmp_path, control_path, monkeypatch):
    sheets = [awkward_sheet([b"bytes", 2, 3, 4, 5, 6, 7, 8])]  # openpyxl decodes bytes as text
    slow = []
    real = package._replace

    def spy(target, sheets, deferred):
        slow.append(deferred is None)
        real(target, sheets, deferred)

    monkeypatch.setattr(package, "_replace", spy)
    assert_same_update(control_path, sheets, tmp_path)
    # issue 20: the blocks holding such values are written by openpyxl inside the fast attempt
    # (no second pass over every sheet), the bytes still those of the reference
    assert slow == [False, True]
    monkeypatch.undo()
    # the cells of the two blocks holding them (Mixed values, Numbers), none of the others
    assert openpyxl_cells(control_path, sheets, tmp_path, monkeypatch) == 8 * 4 + 8
    plain = Sheet("Plain", "plain", (Block("Numbers", (Column("N", "value"),),
                                           pd.DataFrame({"value": [1.5, 2]})),))  # fmt: skip
    (tmp_path / "mixed").mkdir()
    assert_same_update(control_path, [plain, *sheets], tmp_path / "mixed")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl's abort
def test_illegal_characters_are_refused_as_openpyxl_refuses_them(tmp_path, control_path):
    sheets = [awkward_sheet(["bad \x07 text", 1, 2, 3, 4, 5, 6, 7])]
    target = tmp_path / "c.xlsx"
    shutil.copyfile(control_path, target)
    for write in (replace_sheets, replace_sheets_openpyxl):
        with pytest.raises(IllegalCharacterError):
            write(target, sheets)


def test_untouched_parts_are_copied_as_stored(tmp_path, control_path):
    streamed = tmp_path / "streamed.xlsx"
    with zipfile.ZipFile(control_path) as src, zipfile.ZipFile(streamed, "w") as dst:
        for item in src.infolist():
            with dst.open(item.filename, "w") as out:  # data descriptors, as streaming writers
                out.write(src.read(item))
    target = tmp_path / "c.xlsx"
    shutil.copyfile(streamed, target)
    replace_sheets(target, [Sheet("Extra", "extra", ())])
    before, after = parts(streamed), parts(target)
    assert all(after[n] == before[n] for n in before if "workbook" not in n and "Types" not in n)
    with zipfile.ZipFile(target) as z:
        assert z.testzip() is None
        infos = {i.filename: i for i in z.infolist()}
    with zipfile.ZipFile(streamed) as z:
        for info in z.infolist():
            if info.filename.startswith("xl/worksheets/sheet1."):
                assert zipio.copyable(info)
                assert infos[info.filename].compress_size == info.compress_size

"""Issues 5 and 14: the whole cycle on the bundled sample, as `hybridbudget demo` runs it; twice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd

from conftest import CLI
from hybridbudget.steps import plan as P

# Sheets whose every value must be the same after a second run into the same folder. Left out:
# Audit Log (it grows), and the lineage sheets (Validation, Submissions, Bottom-up Drivers,
# Actuals Imports), which record when the re-simulated files were saved and their new SHA-256.
SAME_SHEETS = ("Guardrails", "Organization", "History", "Targets", "Target Drivers",
               "Consolidated", "Capital Requests", "Divergence", "Divergence Summary", "Plan",
               "Locked Plan v1", "Actuals", "Actuals Staffing", "Variance", "Variance Summary",
               "Actions")  # fmt: skip


def values(path: Path) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def test_demo_runs_the_whole_cycle_and_says_where_to_look(tmp_path: Path):
    cmd = CLI
    out = tmp_path / "demo"
    run = subprocess.run(
        [*cmd, "demo", "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "Where to look" in run.stdout and str(out / "control.xlsx") in run.stdout
    assert len(list((out / "templates").rglob("*.xlsx"))) == 54
    assert len(list((out / "submissions").rglob("*.xlsx"))) == 54
    log = (out / "demo.log").read_text()
    assert "step 4a" in log and log.rstrip().endswith("done")
    wb = openpyxl.load_workbook(out / "control.xlsx", read_only=True, data_only=True)
    names = wb.sheetnames
    assert names[0] == "Start here"
    stages = [r for r in wb["Start here"].iter_rows(values_only=True) if r[1:2] == ("Done",)]
    assert len(stages) == 8  # every step of the cycle ran, none is behind another
    assert "received 54, valid 54, rejected 0, missing 0" in stages[2][2]
    assert stages[5][4] == "Locked Plan v1"
    for sheet in ("Guardrails", "Targets", "Validation", "Submissions", "Consolidated",
                  "Divergence", "Divergence Summary", "Plan", "Locked Plan v1", "Audit Log"):  # fmt: skip
        assert sheet in names, sheet
    steps = [r[1] for r in wb["Audit Log"].iter_rows(min_row=6, values_only=True) if r and r[1]]
    wb.close()
    assert steps[0] == "init"
    assert steps.index("lock") > steps.index("apply decisions") > steps.index("consolidate")
    assert {"templates", "divergence"} <= set(steps)
    assert steps[-1] not in ("init", "lock")  # monitoring steps follow the lock
    assert (out / "dashboard.xlsx").is_file()
    assert list((out / "powerbi").glob("*.parquet"))
    from hybridbudget.control.file_book import FileControlBook

    book = FileControlBook(out / "control.xlsx")
    locked = P.read_plan_sheet(book, "Locked Plan v1")
    assert len(locked) == 54 * 13
    assert f"SHA-256 {P.plan_hash(locked)[:16]}" in run.stdout
    # a second run into the same folder: succeeds, same results, no second locked version
    first = tmp_path / "first"
    shutil.copytree(out, first)
    again = subprocess.run(
        [*cmd, "demo", "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert again.returncode == 0, again.stderr
    assert "already locked as Locked Plan v1" in again.stdout
    assert again.stdout.replace("already locked", "locked") == run.stdout
    before, after = values(first / "control.xlsx"), values(out / "control.xlsx")
    assert list(after) == list(before)  # no Locked Plan v2
    for sheet in SAME_SHEETS:
        assert after[sheet] == before[sheet], sheet
    audit = [r for r in after["Audit Log"] if r[1] == "lock"]
    assert len(audit) == 2 and "no new version" in audit[-1][3]
    tables = sorted(p.name for p in (first / "powerbi").iterdir())
    assert sorted(p.name for p in (out / "powerbi").iterdir()) == tables
    for name in (t for t in tables if t.endswith(".csv")):
        a, b = pd.read_csv(first / "powerbi" / name), pd.read_csv(out / "powerbi" / name)
        lineage = [c for c in ("sha256",) if c in a.columns]  # the re-saved submissions' hashes
        pd.testing.assert_frame_equal(a.drop(columns=lineage), b.drop(columns=lineage))
    assert len(list((out / "submissions").rglob("*.xlsx"))) == 54

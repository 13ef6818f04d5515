"""Issue 5: the whole cycle on the bundled sample, as `hybridbudget demo` runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl

from conftest import CLI
from hybridbudget.steps import plan as P


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
    from hybridbudget.control.read import FileControlBook

    book = FileControlBook(out / "control.xlsx")
    locked = P.read_plan_sheet(book, "Locked Plan v1")
    assert len(locked) == 54 * 13
    assert f"SHA-256 {P.plan_hash(locked)[:16]}" in run.stdout

"""bench/run.py's report: targets judged from rows worked out by hand, and --report's round trip."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def _rows(bench, n: int = 2000) -> list:
    """Every timed step at 1 s and 100 MB, the floors at 0.5 s, the baseline at 30 s and 5 GB."""
    rows = [bench.Row(n, s, 1.0, 1000 / n, 100.0, 0.0, cli_seconds=2.0) for s in bench.TIMED]
    rows += [bench.Row(n, f, 0.5, 500 / n, 100.0, 0.0) for f in bench.FLOORS]
    rows.append(bench.Row(n, bench.BASELINE, 30.0, 15.0, 5000.0, 0.0))
    return rows


def _target(md: str, starts: str) -> list[str]:
    line = next(li for li in md.splitlines() if li.startswith(f"| {starts}"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_memory_target_judges_our_steps_not_the_baseline(bench) -> None:
    rows = _rows(bench)
    md = bench.markdown(rows, [2000], {}, {})
    assert _target(md, "peak memory of the steps") == [
        "peak memory of the steps <= 1024 MB (process + 2 workers)", "100 MB", "yes"]  # fmt: skip
    # the consolidate click's floor: pooled read + control read + rewrite = 1.5 s; CLI 2 s
    assert _target(md, "the Consolidate click")[1:] == ["2.00 s (1.3x)", "yes"]
    assert _target(md, "validate + consolidate")[1:] == ["30.0x", "yes"]
    rows[[r.step for r in rows].index("dashboard")].peak_mb = 1500.0
    md = bench.markdown(rows, [2000], {}, {})
    assert _target(md, "peak memory of the steps")[1:] == ["1500 MB", "NO"]


def test_report_writes_the_same_tables_from_the_csv(bench, tmp_path: Path) -> None:
    rows = _rows(bench, 2000) + _rows(bench, 10_000)
    limits = {"control_mb": 12.5, "rows": "10,001 (control.xlsx Plan)", "rows_ok": True,
              "columns": "40", "columns_ok": True, "text": "900", "text_ok": True}  # fmt: skip
    _, md = bench.write_results(rows, [2000, 10_000], tmp_path, limits)
    first = md.read_text(encoding="utf-8")
    assert "Control workbook size: 12.5 MB." in first
    back, sizes, got = bench.read_results(tmp_path)
    assert sizes == [2000, 10_000] and got == limits and back == rows
    assert bench.main(["--report", "--out", str(tmp_path)]) == 0
    assert md.read_text(encoding="utf-8") == first


def test_resume_measures_only_missing_and_redone_steps(bench, tmp_path: Path, monkeypatch) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    kept = work / "n2000" / "control.xlsx"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"the run's files")
    missing = {"actuals", "variance", "dashboard"}
    rows = [r for r in _rows(bench) if r.step not in missing]
    rows += [bench.Row(2000, s, 9.0, 4.5, 100.0, 0.0, timed=False) for s in
             ("sample", "init", "fill", "workshop", "extracts")]  # fmt: skip
    bench.write_results(rows, [2000], out)
    measured: list[str] = []

    def fake(step: str, w: Path, n: int):
        measured.append(step)
        return bench.Row(n, step, 2.0, 1.0, 100.0, 0.0)

    monkeypatch.setattr(bench, "measure", fake)
    monkeypatch.setattr(bench, "measure_cli", lambda step, w: 3.0)
    monkeypatch.setattr(bench, "_cold", lambda w: None)
    monkeypatch.setattr(bench, "_changed", lambda w, k: None)
    got, _ = bench.run([2000], out, work, resume=True, redo=["export"])
    assert sorted(measured) == sorted({*missing, "export"})
    assert kept.read_bytes() == b"the run's files"  # the run's files are kept, not regenerated
    by = {r.step: r for r in got}
    assert by["export"].seconds == 2.0 and by["validate"].seconds == 1.0
    assert [r.step for r in got] == [s for s in bench.ORDER if s in by]  # in the run's order

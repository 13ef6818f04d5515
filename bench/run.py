"""Benchmark the budget cycle on generated health systems of N cost centers.

    python bench/run.py [--sizes 100 500 2000] [--out bench/results] [--work DIR] [--keep]

For each size: `hybridbudget sample` writes a system of N cost centers, `init` builds its control
workbook, then each timed step runs in a fresh (spawned) child process: template generation,
validation, consolidation, divergence and apply decisions, plus the baseline a Python user would
write (every submission read with `pandas.read_excel(path, sheet_name=None)`, openpyxl engine,
and concatenated). Between them, untimed setup: the manager simulator fills the templates (two
processes over entity folders) and the simulated workshop types the decisions.

Measurement: wall seconds with time.perf_counter around the step call only (imports and process
start-up are outside); peak memory as the maximum resident set size from resource.getrusage, of the
step's own process (RUSAGE_SELF) and of its largest worker process (RUSAGE_CHILDREN).

Writes OUT/latest.csv (one row per size and step) and OUT/latest.md (the tables the README shows).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import multiprocessing as mp
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "python") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "python"))

SEED = 2027
TIMED = ("templates", "validate", "consolidate", "divergence", "apply_decisions")
BASELINE = "pandas_baseline"
TARGETS_2000 = {  # step -> seconds allowed for 2,000 cost centers (the targets)
    "templates": 30.0,
    "consolidate": 10.0,
    "divergence": 3.0,
    "apply_decisions": 3.0,
}
MEMORY_LIMIT_MB = 1024.0
MIN_BASELINE_RATIO = 5.0


@dataclass
class Row:
    """One measured step at one size."""

    cost_centers: int
    step: str
    seconds: float
    ms_per_template: float
    peak_mb: float  # the step's own process
    worker_peak_mb: float  # its largest worker process (0 when it used none)
    timed: bool = True  # False for setup rows (sample, init, fill, workshop)


# -- the steps (each runs in a child process) ------------------------------------------------


def step_sample(work: Path, n: int) -> None:
    from hybridbudget.sample import write_sample

    write_sample(work / "sources", cost_centers=n, seed=SEED)


def step_init(work: Path, n: int) -> None:
    from hybridbudget.steps.init import init_control

    init_control(work / "sources", work / "control.xlsx")


def step_templates(work: Path, n: int) -> None:
    from hybridbudget.steps.templates import generate_templates

    made = generate_templates(work / "control.xlsx", work / "templates")
    assert made.count == n, made.count


def _fill_folder(templates: Path, out: Path, control: Path) -> int:
    from hybridbudget.sample.fill import fill_submissions

    return len(fill_submissions(templates, out, seed=SEED, control=control))


def step_fill(work: Path, n: int) -> None:
    """The manager simulator over every entity folder, two folders at a time (setup, untimed)."""
    folders = sorted(p for p in (work / "templates").iterdir() if p.is_dir())
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = [
            pool.submit(_fill_folder, f, work / "submissions" / f.name, work / "control.xlsx")
            for f in folders
        ]
        filled = sum(j.result() for j in jobs)
    assert filled == n, filled


def step_validate(work: Path, n: int) -> None:
    from hybridbudget.steps.validate import validate

    result = validate(work / "control.xlsx", work / "submissions")
    assert len(result.files) == n and not result.has_errors, result.summary()


def step_consolidate(work: Path, n: int) -> None:
    from hybridbudget.steps.consolidate import consolidate

    result = consolidate(work / "control.xlsx", work / "submissions")
    assert len(result.bottom_up) == n, result.validation.summary()


def step_divergence(work: Path, n: int) -> None:
    from hybridbudget.steps.divergence import divergence

    divergence(work / "control.xlsx")


def step_workshop(work: Path, n: int) -> None:
    from hybridbudget.sample.workshop import run_workshop

    run_workshop(work / "control.xlsx")


def step_apply_decisions(work: Path, n: int) -> None:
    from hybridbudget.steps.plan import apply_decisions

    apply_decisions(work / "control.xlsx")


def step_pandas_baseline(work: Path, n: int) -> None:
    """What a Python user would write today: read every sheet of every file, concatenate."""
    import warnings

    import pandas as pd

    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about data validation extensions
        for path in sorted((work / "submissions").rglob("*.xlsx")):
            for sheet, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl").items():
                frames.append(frame.assign(file=path.name, sheet=sheet))
    table = pd.concat(frames, ignore_index=True)
    assert table.file.nunique() == n


STEPS: dict[str, Callable[[Path, int], None]] = {
    "sample": step_sample,
    "init": step_init,
    "templates": step_templates,
    "fill": step_fill,
    "validate": step_validate,
    "consolidate": step_consolidate,
    "divergence": step_divergence,
    "workshop": step_workshop,
    "apply_decisions": step_apply_decisions,
    BASELINE: step_pandas_baseline,
}


WARM = ("pandas", "openpyxl", "hybridbudget.sample.fill", "hybridbudget.sample.workshop",
        "hybridbudget.steps.init", "hybridbudget.steps.templates", "hybridbudget.steps.validate",
        "hybridbudget.steps.consolidate", "hybridbudget.steps.divergence",
        "hybridbudget.steps.plan")  # fmt: skip


def _warm() -> None:
    """Import everything a step uses, so that its timing leaves Python's start-up out."""
    for module in WARM:
        importlib.import_module(module)


def _child(step: str, work: Path, n: int, conn) -> None:
    """Run one step in this (fresh) process and send back seconds and peak memory."""
    try:
        _warm()
        start = time.perf_counter()
        STEPS[step](work, n)
        seconds = time.perf_counter() - start
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        conn.send(("ok", seconds, own, workers))
    except BaseException as exc:  # reported by the parent
        conn.send(("error", repr(exc), 0.0, 0.0))
        raise
    finally:
        conn.close()


def measure(step: str, work: Path, n: int) -> Row:
    """Run a step in a spawned child process (clean memory, imports outside the timing)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(step, work, n, child))
    proc.start()
    child.close()
    status, seconds, own, workers = parent.recv()
    proc.join()
    if status != "ok":
        raise RuntimeError(f"step {step} failed for {n} cost centers: {seconds}")
    return Row(n, step, seconds, seconds * 1000 / n, own, workers, step in (*TIMED, BASELINE))


# -- reporting --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    from importlib.metadata import version

    libs = ", ".join(
        f"{p} {version(p)}" for p in ("pandas", "openpyxl", "lxml", "python-calamine", "numpy")
    )
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": model or platform.processor() or platform.machine(),
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
        "libraries": libs,
    }


def growth(rows: list[Row], step: str, sizes: list[int]) -> float | None:
    """time(largest size) / time(the size before it); linear growth is the ratio of the sizes."""
    if len(sizes) < 2:
        return None
    by = {r.cost_centers: r.seconds for r in rows if r.step == step}
    big, small = sizes[-1], sizes[-2]
    return by[big] / by[small] if by.get(small) else None


def markdown(rows: list[Row], sizes: list[int], info: dict[str, str]) -> str:
    """The results as Markdown: per-step table, targets, machine."""
    big = sizes[-1]
    linear = f"{sizes[-1] / sizes[-2]:.1f}" if len(sizes) > 1 else "-"
    head = "| step | cost centers | wall s | ms per template | peak MB | worker peak MB |"
    if len(sizes) > 1:
        head += f" growth {sizes[-1]:,}/{sizes[-2]:,} (linear {linear}) |"
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for step in (*TIMED, BASELINE, "init", "fill"):
        for n in sizes:
            r = next((r for r in rows if r.step == step and r.cost_centers == n), None)
            if r is None:
                continue
            label = step.replace("_", " ") + ("" if r.timed else " (setup, untimed)")
            cells = [label, f"{n:,}", f"{r.seconds:.2f}", f"{r.ms_per_template:.1f}",
                     f"{r.peak_mb:.0f}", f"{r.worker_peak_mb:.0f}" if r.worker_peak_mb else "-"]  # fmt: skip
            if len(sizes) > 1:
                g = growth(rows, step, sizes) if n == big else None
                cells.append(f"{g:.2f}" if g is not None else "")
            lines.append("| " + " | ".join(cells) + " |")
    out = ["### Results", "", *lines, ""]
    out += _targets(rows, big)
    out += ["### Machine", ""]
    out += [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join(out) + "\n"


def _targets(rows: list[Row], n: int) -> list[str]:
    by = {r.step: r for r in rows if r.cost_centers == n}
    if not all(s in by for s in (*TIMED, BASELINE)):
        return []
    ours = by["consolidate"].seconds
    ratio = by[BASELINE].seconds / ours if ours else float("inf")
    lines = [f"### Targets (stated for 2,000 cost centers), measured at {n:,}", "",
             "| target | measured | met |", "|---|---|---|"]  # fmt: skip

    def add(what: str, measured: str, ok: bool) -> None:
        lines.append(f"| {what} | {measured} | {'yes' if ok else 'NO'} |")

    for step, limit in TARGETS_2000.items():
        add(f"{step.replace('_', ' ')} <= {limit:.0f} s", f"{by[step].seconds:.2f} s",
            by[step].seconds <= limit)  # fmt: skip
    add(f"validate + consolidate (the Consolidate click) >= {MIN_BASELINE_RATIO:.0f}x faster "
        "than the pandas baseline", f"{ratio:.1f}x", ratio >= MIN_BASELINE_RATIO)  # fmt: skip
    worst = max(r.peak_mb + 2 * r.worker_peak_mb for r in by.values() if r.timed)
    add(f"peak memory <= {MEMORY_LIMIT_MB:.0f} MB (process + 2 workers)", f"{worst:.0f} MB",
        worst <= MEMORY_LIMIT_MB)  # fmt: skip
    return [*lines, ""]


def write_results(rows: list[Row], sizes: list[int], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "latest.csv", out / "latest.md"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        for r in rows:
            writer.writerow(asdict(r) | {k: round(v, 4) for k, v in asdict(r).items()
                                         if isinstance(v, float)})  # fmt: skip
    md_path.write_text(markdown(rows, sizes, machine()), encoding="utf-8")
    return csv_path, md_path


def run(sizes: list[int], out: Path, work_root: Path) -> list[Row]:
    rows: list[Row] = []
    for n in sizes:
        work = work_root / f"n{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for step in ("sample", "init", "templates", "fill", "validate", "consolidate",
                     "divergence", "workshop", "apply_decisions", BASELINE):  # fmt: skip
            row = measure(step, work, n)
            rows.append(row)
            print(f"{n:>6,} {step:<16} {row.seconds:8.2f} s {row.ms_per_template:8.1f} ms/template "
                  f"{row.peak_mb:6.0f} MB" + (f" (+ worker {row.worker_peak_mb:.0f} MB)"
                                              if row.worker_peak_mb else ""), flush=True)  # fmt: skip
        write_results(rows, sizes[: sizes.index(n) + 1], out)  # partial results survive a crash
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--work", type=Path, help="working folder (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    args = p.parse_args(argv)
    sizes = sorted(set(args.sizes))
    work = args.work or Path(tempfile.mkdtemp(prefix="hb-bench-"))
    try:
        rows = run(sizes, args.out, work)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    csv_path, md_path = write_results(rows, sizes, args.out)
    print(f"\nwrote {csv_path} and {md_path}\n")
    print(md_path.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

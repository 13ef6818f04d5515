"""Benchmark the budget cycle on generated health systems of N cost centers, beside its floor.

    python bench/run.py [--sizes 100 500 2000] [--out bench/results] [--work DIR] [--keep]
    python bench/run.py --sizes 100 500 2000 10000    # adds the 10,000 run (about an hour)

For each size: `hybridbudget sample` writes a system of N cost centers, `init` builds its control
workbook, then each timed step runs in a fresh (spawned) child process: template generation,
validation, consolidation with a cold cache, consolidation again after one file changed (the
validated-submission cache warm), divergence, apply decisions, lock, one month of actuals,
variance, dashboard and the Power BI export; then the floor, on the same files: python-calamine
reading every sheet of every submission (one process, and the intake pool's process count) and of
the control workbook, and the control workbook's zip rewritten with its sheets unchanged; and the
baseline a Python user would write (every submission read with `pandas.read_excel(path,
sheet_name=None)`, openpyxl engine, and concatenated). Validate, consolidate, divergence and apply
decisions also run as the command a user types (`python -m hybridbudget ...`, a new process:
start-up and imports included). Untimed setup between them: the manager simulator fills the
templates (two processes over entity folders), the simulated workshop types the decisions, the
sample writes the month's extracts.

Measurement: wall seconds with time.perf_counter around the step call only (imports and process
start-up are outside), and around the whole command for the CLI column; peak memory as the maximum
resident set size from resource.getrusage, of the step's own process (RUSAGE_SELF) and of its
largest worker process (RUSAGE_CHILDREN); the 1-minute load average when each step started. At
10,000 cost centers and more, the largest sheet of the control workbook and the dashboard is
checked against Excel's limits and the control workbook's size is reported.

Writes OUT/latest.csv (one row per size and step) and OUT/latest.md (the tables the README shows).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "python") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "python"))

SEED = 2027
TIMED = ("templates", "validate", "consolidate", "reconsolidate", "divergence", "apply_decisions",
         "lock", "actuals", "variance", "dashboard", "export")  # fmt: skip
FLOORS = ("floor_read", "floor_read_pool", "floor_control", "floor_rezip")
# the floor of each step: the reads and the write it cannot avoid (None: no floor measured)
FLOOR_OF = {
    "validate": ("floor_read_pool", "floor_control"),
    "consolidate": ("floor_read_pool", "floor_control", "floor_rezip"),
    "reconsolidate": ("floor_control", "floor_rezip"),
    "divergence": ("floor_control", "floor_rezip"),
    "apply_decisions": ("floor_control", "floor_rezip"),
}
# the same step as the command a user runs (whole process: start-up, imports, the step)
CLI = {
    "validate": ["validate", "{work}/submissions", "--control", "{work}/control.xlsx"],
    "consolidate": ["consolidate", "{work}/submissions", "--control", "{work}/control.xlsx"],
    "reconsolidate": ["consolidate", "{work}/submissions", "--control", "{work}/control.xlsx"],
    "divergence": ["divergence", "--control", "{work}/control.xlsx"],
    "apply_decisions": ["apply-decisions", "--control", "{work}/control.xlsx"],
}
EXCEL_ROWS, EXCEL_COLUMNS, EXCEL_TEXT = 1_048_576, 16_384, 32_767
COLD = ("validate", "consolidate")  # run with no validated-submission cache, in and out of process
BASELINE = "pandas_baseline"
TARGETS_2000 = {  # step -> seconds allowed for 2,000 cost centers (the issues' targets)
    "templates": 30.0,
    "consolidate": 10.0,
    "reconsolidate": 1.5,
    "divergence": 1.0,
    "apply_decisions": 1.0,
}
MEMORY_LIMIT_MB = 1024.0
MIN_BASELINE_RATIO = 5.0
TARGET_SIZE, LARGE_SIZE = 2000, 10_000
MAX_FLOOR_RATIO = 3.0  # issue 20: the Consolidate click within 3x its floor
BEFORE_2000 = {"validate": 4.04, "consolidate": 5.70}  # README before issue 20 (issue 13's bar)
LARGE_MEMORY_MB = 2048.0
MAX_GROWTH = 5.5  # 10,000 / 2,000 (linear is 5)


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
    cli_seconds: float = 0.0  # the same step as a command, whole process (0: not measured)
    load: float = 0.0  # 1-minute load average when the step started


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


def _fiscal_year(work: Path) -> int:
    import tomllib

    return int(
        tomllib.loads((work / "sources" / "system.toml").read_text())["system"]["fiscal_year"]
    )


def step_lock(work: Path, n: int) -> None:
    from hybridbudget.steps.plan import lock

    lock(work / "control.xlsx", force_reason="bench", user="bench")


def step_actuals(work: Path, n: int) -> None:
    """Import one month's GL, payroll and EHR extracts (written untimed by step_extracts)."""
    from hybridbudget.steps.actuals import import_actuals

    import_actuals(work / "control.xlsx", work / "actuals", f"{_fiscal_year(work)}-01",
                   replace=True)  # fmt: skip


def step_extracts(work: Path, n: int) -> None:
    from hybridbudget.sample import write_actuals

    write_actuals(
        work / "sources", _fiscal_year(work), [1], work / "actuals", seed=SEED, drift=0.03
    )


def step_variance(work: Path, n: int) -> None:
    from hybridbudget.steps.variance import variance

    variance(work / "control.xlsx")


def step_dashboard(work: Path, n: int) -> None:
    from hybridbudget.steps.dashboard import build_dashboard

    build_dashboard(work / "control.xlsx", work / "dashboard.xlsx")


def step_export(work: Path, n: int) -> None:
    from hybridbudget.steps.export import export_powerbi

    export_powerbi(work / "control.xlsx", work / "powerbi")


def _changed(work: Path, k: int) -> None:
    """One submission saved again by its manager: the workbook's saved time moves (new SHA-256)."""
    import re
    import zipfile

    path = sorted((work / "submissions").rglob("*.xlsx"))[k]
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i)) for i in z.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                stamp = f"2099-01-01T00:{k % 60:02d}:{int(time.time()) % 60:02d}Z"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            z.writestr(info, data)
    tmp.replace(path)


def step_reconsolidate(work: Path, n: int) -> None:
    """The next Consolidate click after one file changed (the cache holds every other file)."""
    _changed(work, 0)
    step_consolidate(work, n)


def step_floor_read(work: Path, n: int) -> None:
    """The read floor: python-calamine reading every cell of every sheet of every submission."""
    assert sum(_read_all(p) for p in _submissions(work)) > 0


def step_floor_read_pool(work: Path, n: int) -> None:
    """The read floor on the intake pool's process count (the same chunks of files)."""
    from hybridbudget.intake.parallel import _context, chunked, worker_count

    files = _submissions(work)
    workers = worker_count(len(files))
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        assert sum(pool.map(_read_chunk, chunked(files, workers * 4))) > 0


def step_floor_control(work: Path, n: int) -> None:
    """python-calamine reading every sheet of the control workbook."""
    assert _read_all(work / "control.xlsx") > 0


def step_floor_rezip(work: Path, n: int) -> None:
    """Rewriting the control workbook's zip with its sheets unchanged: every part read and
    deflated again (as a step writes the parts it replaces), then renamed into place."""
    from hybridbudget.workbook import zipio
    from hybridbudget.workbook.fileio import atomic_save
    from hybridbudget.workbook.parts import _Package

    pkg = _Package.read(work / "control.xlsx")
    copy = work / "control.rezip.xlsx"

    def save(tmp: str) -> None:
        with zipio.Writer(tmp) as writer:
            for name in pkg.parts:
                writer.add(name, pkg.parts[name])

    atomic_save(copy, save)
    copy.unlink()


def _submissions(work: Path) -> list[Path]:
    return sorted((work / "submissions").rglob("*.xlsx"))


def _read_all(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return sum(len(book.get_sheet_by_name(s).to_python()) for s in book.sheet_names)


def _read_chunk(paths: list[Path]) -> int:
    return sum(_read_all(p) for p in paths)


def excel_limits(work: Path) -> dict[str, object]:
    """The largest sheet of the control workbook and the dashboard against Excel's limits."""
    from python_calamine import CalamineWorkbook

    out: dict[str, object] = {"control_mb": (work / "control.xlsx").stat().st_size / 2**20}
    worst = {"rows": (0, ""), "columns": (0, ""), "text": (0, "")}
    for path in (work / "control.xlsx", work / "dashboard.xlsx"):
        if not path.exists():
            continue
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            where = f"{path.name} {name}"
            text = max((len(v) for r in rows for v in r if isinstance(v, str)), default=0)
            for key, value in (("rows", len(rows)), ("columns", max(map(len, rows), default=0)),
                               ("text", text)):  # fmt: skip
                if value > worst[key][0]:
                    worst[key] = (value, where)
    limits = {"rows": EXCEL_ROWS, "columns": EXCEL_COLUMNS, "text": EXCEL_TEXT}
    for key, (value, where) in worst.items():
        out[key] = f"{value:,} ({where}); Excel's limit {limits[key]:,}"
        out[f"{key}_ok"] = value <= limits[key]
    return out


def step_pandas_baseline(work: Path, n: int) -> None:
    """What a Python user would write today: read every sheet of every file, concatenate."""
    import warnings

    import pandas as pd

    # one table per sheet name (concatenating every sheet into one frame takes the union of all
    # their columns: 6 GB at 2,000 files, which measures pandas' memory, not reading)
    frames: dict[str, list[pd.DataFrame]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about data validation extensions
        for path in sorted((work / "submissions").rglob("*.xlsx")):
            for sheet, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl").items():
                frames.setdefault(sheet, []).append(frame.assign(file=path.name))
    tables = {sheet: pd.concat(parts, ignore_index=True) for sheet, parts in frames.items()}
    assert max(t.file.nunique() for t in tables.values()) == n


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
    "reconsolidate": step_reconsolidate,
    "lock": step_lock,
    "extracts": step_extracts,
    "actuals": step_actuals,
    "variance": step_variance,
    "dashboard": step_dashboard,
    "export": step_export,
    **{f: globals()[f"step_{f}"] for f in FLOORS},
}


WARM = ("pandas", "openpyxl", "hybridbudget.sample.fill", "hybridbudget.sample.workshop",
        "hybridbudget.steps.init", "hybridbudget.steps.templates", "hybridbudget.steps.validate",
        "hybridbudget.steps.consolidate", "hybridbudget.steps.divergence",
        "hybridbudget.steps.plan", "hybridbudget.steps.actuals", "hybridbudget.steps.variance",
        "hybridbudget.steps.dashboard", "hybridbudget.steps.export", "python_calamine")  # fmt: skip


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
    load = os.getloadavg()[0]
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(step, work, n, child))
    proc.start()
    child.close()
    try:
        status, seconds, own, workers = parent.recv()
    except EOFError:  # the child died without a word (killed: out of memory, say)
        status, seconds, own, workers = "error", f"the process ended ({proc.exitcode})", 0.0, 0.0
    proc.join()
    if status != "ok":
        raise RuntimeError(f"step {step} failed for {n} cost centers: {seconds}")
    return Row(n, step, seconds, seconds * 1000 / n, own, workers, step in (*TIMED, BASELINE, *FLOORS),
               load=load)  # fmt: skip


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


def floor(rows: list[Row], step: str, n: int) -> float | None:
    """The seconds of a step's floor at size n (the sum of its floor rows)."""
    parts = FLOOR_OF.get(step)
    by = {r.step: r.seconds for r in rows if r.cost_centers == n}
    if not parts or not all(p in by for p in parts):
        return None
    return sum(by[p] for p in parts)


def _ratio(seconds: float, base: float | None) -> str:
    return f"{seconds / base:.1f}x" if base else "-"


def markdown(rows: list[Row], sizes: list[int], info: dict[str, str], limits: dict) -> str:
    """The results as Markdown: per-step table, floors, targets, the largest run, machine."""
    big = sizes[-1]
    linear = f"{sizes[-1] / sizes[-2]:.1f}" if len(sizes) > 1 else "-"
    head = ("| step | cost centers | wall s (in process) | CLI wall s (whole process) | "
            "in process / floor | CLI / floor | ms per template | peak MB | worker peak MB |")  # fmt: skip
    if len(sizes) > 1:
        head += f" growth {sizes[-1]:,}/{sizes[-2]:,} (linear {linear}) |"
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for step in (*TIMED, *FLOORS, BASELINE, "init", "fill"):
        for n in sizes:
            r = next((r for r in rows if r.step == step and r.cost_centers == n), None)
            if r is None:
                continue
            label = LABELS.get(step, step.replace("_", " ")) + (
                "" if r.timed else " (setup, untimed)"
            )
            base = floor(rows, step, n)
            cli = f"{r.cli_seconds:.2f}" if r.cli_seconds else "-"
            cells = [label, f"{n:,}", f"{r.seconds:.2f}", cli, _ratio(r.seconds, base),
                     _ratio(r.cli_seconds, base) if r.cli_seconds else "-",
                     f"{r.ms_per_template:.1f}", f"{r.peak_mb:.0f}",
                     f"{r.worker_peak_mb:.0f}" if r.worker_peak_mb else "-"]  # fmt: skip
            if len(sizes) > 1:
                g = growth(rows, step, sizes) if n == big else None
                cells.append(f"{g:.2f}" if g is not None else "")
            lines.append("| " + " | ".join(cells) + " |")
    loads = sorted({f"{r.load:.1f}" for r in rows}, key=float)
    out = ["### Results", "", *lines, "",
           f"Load average (1 min) when the steps started: {loads[0]} to {loads[-1]} "
           f"on {os.cpu_count()} CPUs (other work on the machine makes every figure slower).", ""]  # fmt: skip
    for n in sizes:
        out += _targets(rows, n)
    if limits:
        out += _large(rows, sizes, limits)
    out += ["### Machine", ""]
    out += [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join(out) + "\n"


LABELS = {
    "consolidate": "consolidate (cold cache)",
    "reconsolidate": "consolidate again, one file changed (warm cache)",
    "floor_read": "floor: calamine reads every submission (1 process)",
    "floor_read_pool": "floor: calamine reads every submission (pool)",
    "floor_control": "floor: calamine reads the control workbook",
    "floor_rezip": "floor: control workbook's zip rewritten, sheets unchanged",
}


def _targets(rows: list[Row], n: int) -> list[str]:
    if n != TARGET_SIZE:
        return []
    by = {r.step: r for r in rows if r.cost_centers == n}
    if not all(s in by for s in (*TIMED, BASELINE, *FLOORS)):
        return []
    ours = by["consolidate"].seconds
    ratio = by[BASELINE].seconds / ours if ours else float("inf")
    lines = [f"### Targets (stated for 2,000 cost centers), measured at {n:,}", "",
             "| target | measured | met |", "|---|---|---|"]  # fmt: skip

    def add(what: str, measured: str, ok: bool) -> None:
        lines.append(f"| {what} | {measured} | {'yes' if ok else 'NO'} |")

    for step, limit in TARGETS_2000.items():
        add(f"{LABELS.get(step, step.replace('_', ' '))} <= {limit:g} s (in process)",
            f"{by[step].seconds:.2f} s", by[step].seconds <= limit)  # fmt: skip
    for step, before in BEFORE_2000.items():
        add(f"{step} no slower than before issue 20 ({before:.2f} s, README)",
            f"{by[step].seconds:.2f} s", by[step].seconds <= before)  # fmt: skip
    base = floor(rows, "consolidate", n) or 0.0
    click = by["consolidate"].cli_seconds
    add(f"the Consolidate click, whole process, cold cache <= {MAX_FLOOR_RATIO:.0f}x its floor "
        f"({base:.2f} s)", f"{click:.2f} s ({_ratio(click, base)})",
        bool(base) and click <= MAX_FLOOR_RATIO * base)  # fmt: skip
    add(f"validate + consolidate (the Consolidate click) >= {MIN_BASELINE_RATIO:.0f}x faster "
        "than the pandas baseline", f"{ratio:.1f}x", ratio >= MIN_BASELINE_RATIO)  # fmt: skip
    # our steps only: the floor rows and the pandas baseline measure other code
    worst = max(r.peak_mb + 2 * r.worker_peak_mb for r in by.values() if r.step in TIMED)
    add(f"peak memory of the steps <= {MEMORY_LIMIT_MB:.0f} MB (process + 2 workers)", f"{worst:.0f} MB",
        worst <= MEMORY_LIMIT_MB)  # fmt: skip
    return [*lines, ""]


def _large(rows: list[Row], sizes: list[int], limits: dict) -> list[str]:
    """The largest run end to end: memory, growth from 2,000, Excel's limits, workbook size."""
    n = sizes[-1]
    if n < LARGE_SIZE or TARGET_SIZE not in sizes:
        return []
    by = {r.step: r for r in rows if r.cost_centers == n}
    small = {r.step: r for r in rows if r.cost_centers == TARGET_SIZE}
    lines = [f"### {n:,} cost centers end to end", "", "| target | measured | met |",
             "|---|---|---|"]  # fmt: skip

    def add(what: str, measured: str, ok: bool) -> None:
        lines.append(f"| {what} | {measured} | {'yes' if ok else 'NO'} |")

    worst = max((r.peak_mb + 2 * r.worker_peak_mb, r.step) for r in by.values() if r.step in TIMED)
    add(f"peak memory of the steps <= {LARGE_MEMORY_MB:,.0f} MB (process + 2 workers)",
        f"{worst[0]:.0f} MB ({worst[1].replace('_', ' ')})", worst[0] <= LARGE_MEMORY_MB)  # fmt: skip
    limit = MAX_GROWTH * n / TARGET_SIZE / 5
    for step in TIMED:
        if step in by and step in small and small[step].seconds:
            g = by[step].seconds / small[step].seconds
            add(f"{LABELS.get(step, step.replace('_', ' '))}: growth {n:,}/{TARGET_SIZE:,} "
                f"<= {limit:.1f}x", f"{g:.2f}x", g <= limit)  # fmt: skip
    for key, what in (("rows", "rows in a sheet"), ("columns", "columns in a sheet"),
                      ("text", "characters in a cell")):  # fmt: skip
        add(f"most {what} within Excel's limit", str(limits[key]), bool(limits[f"{key}_ok"]))
    lines += ["", f"Control workbook size: {limits['control_mb']:.1f} MB.", ""]
    return lines


def write_results(
    rows: list[Row], sizes: list[int], out: Path, limits: dict | None = None
) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "latest.csv", out / "latest.md"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        for r in rows:
            writer.writerow(asdict(r) | {k: round(v, 4) for k, v in asdict(r).items()
                                         if isinstance(v, float)})  # fmt: skip
    md_path.write_text(markdown(rows, sizes, machine(), limits or {}), encoding="utf-8")
    if limits:
        (out / "latest.limits.json").write_text(json.dumps(limits, indent=2), encoding="utf-8")
    return csv_path, md_path


def read_results(out: Path) -> tuple[list[Row], list[int], dict]:
    """The rows, sizes and Excel limits a run wrote to OUT (to write its tables again)."""
    parse = {"bool": lambda v: v == "True", "float": float, "int": int, "str": str}
    kind = {f.name: parse[str(f.type)] for f in fields(Row)}
    with (out / "latest.csv").open(newline="", encoding="utf-8") as f:
        rows = [Row(**{k: kind[k](v) for k, v in r.items()}) for r in csv.DictReader(f)]
    limits_path = out / "latest.limits.json"
    limits = json.loads(limits_path.read_text(encoding="utf-8")) if limits_path.is_file() else {}
    return rows, sorted({r.cost_centers for r in rows}), limits


ORDER = ("sample", "init", "templates", "fill", "validate", "consolidate", "reconsolidate",
         "divergence", "workshop", "apply_decisions", "lock", "extracts", "actuals", "variance",
         "dashboard", "export", *FLOORS, BASELINE)  # fmt: skip


def measure_cli(step: str, work: Path) -> float:
    """Wall seconds of the step as the command a user runs, in a new process."""
    import subprocess

    args = [a.format(work=work) for a in CLI[step]]
    env = os.environ | {"PYTHONPATH": str(ROOT / "python")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hybridbudget", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def _cold(work: Path) -> None:
    from hybridbudget.intake.review_cache import cache_path

    cache_path(work / "control.xlsx").unlink(missing_ok=True)


def run(
    sizes: list[int], out: Path, work_root: Path, resume: bool = False, redo: Sequence[str] = ()
) -> tuple[list[Row], dict]:
    """Every step at every size; `resume` keeps OUT's rows and WORK's files and measures only the
    steps missing from them (those that failed), and those in `redo`."""
    rows: list[Row] = []
    limits: dict = {}
    if resume:
        rows = [r for r in read_results(out)[0] if r.step not in redo]
    for n in sizes:
        work = work_root / f"n{n}"
        done = {r.step for r in rows if r.cost_centers == n}
        if not done:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        for step in ORDER:
            if step in done:
                continue
            if step == BASELINE and n > TARGET_SIZE:
                continue  # its ratio is stated at 2,000; at 10,000 it would read for an hour
            if step in COLD:
                _cold(work)
            try:
                row = measure(step, work, n)
            except RuntimeError as exc:  # said, and the run goes on (the table shows the gap)
                print(f"{n:>6,} {step:<16} FAILED: {exc}", flush=True)
                continue
            if step in CLI:  # the same step again as the command (the cache cold again)
                if step in COLD:
                    _cold(work)
                if step == "reconsolidate":
                    _changed(work, 1)
                row.cli_seconds = measure_cli(step, work)
            rows.append(row)
            rows.sort(key=lambda r: (r.cost_centers, ORDER.index(r.step)))
            print(f"{n:>6,} {step:<16} {row.seconds:8.2f} s "
                  + (f"(CLI {row.cli_seconds:.2f} s) " if row.cli_seconds else "")
                  + f"{row.ms_per_template:8.1f} ms/template {row.peak_mb:6.0f} MB"
                  + (f" (+ worker {row.worker_peak_mb:.0f} MB)" if row.worker_peak_mb else "")
                  + f" load {row.load:.1f}", flush=True)  # fmt: skip
            write_results(rows, sizes[: sizes.index(n) + 1], out, limits)  # partial results survive
        if n >= LARGE_SIZE:
            limits = excel_limits(work)
        write_results(rows, sizes[: sizes.index(n) + 1], out, limits)  # partial results survive
    return rows, limits


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--work", type=Path, help="working folder (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep OUT's results and --work's files: measure only the steps missing "
        "from them (a step that failed), and those named by --redo",
    )
    p.add_argument(
        "--redo",
        nargs="+",
        default=[],
        choices=ORDER,
        metavar="STEP",
        help="with --resume: measure these steps again",
    )
    p.add_argument("--report", action="store_true",
                   help="measure nothing: write OUT/latest.md again from OUT/latest.csv and "
                   "OUT/latest.limits.json")  # fmt: skip
    args = p.parse_args(argv)
    if args.report:
        rows, sizes, limits = read_results(args.out)
        print(write_results(rows, sizes, args.out, limits)[1].read_text(encoding="utf-8"))
        return 0
    if args.resume and args.work is None:
        p.error("--resume needs --work (the folder of the run to resume)")
    sizes = sorted(set(args.sizes))
    work = args.work or Path(tempfile.mkdtemp(prefix="hb-bench-"))
    try:
        rows, limits = run(sizes, args.out, work, args.resume, args.redo)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    csv_path, md_path = write_results(rows, sizes, args.out, limits)
    print(f"\nwrote {csv_path} and {md_path}\n")
    print(md_path.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

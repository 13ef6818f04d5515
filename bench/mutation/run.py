"""Mutation score of the engine's pure modules and the intake checks (on demand, not part of CI).

    python bench/mutation/run.py                 # every module below, 2 workers
    python bench/mutation/run.py checks --max-children 1  # one mutant at a time (shared cores)
    python bench/mutation/run.py money tolerance # only modules whose path contains a word
    python bench/mutation/run.py --survivors targets  # re-run only its stored survivors
    python bench/mutation/run.py --report        # rewrite the report from the stored results

The tool is mutmut 3 (`pip install -e "python[mutation]"`-style: `pip install "mutmut>=3.8,<4"`).
mutmut reads its source from ./src, so the run happens in a scratch copy, bench/mutation/work/
(git-ignored): src/hybridbudget is a copy of python/hybridbudget and tests/ holds only the fast
test files below. Each mutant runs only the tests that called the mutated function (mutmut records
that once, in a first pass), in a process forked from a warm one, so a mutant costs milliseconds.
Each run stores its modules' statuses and survivors in bench/mutation/results/<module>.json
(committed; a module's file is replaced when it is run again). The report, bench/mutation/survivors.md,
adds up every stored module: the score per module with the date it was measured, and every
surviving mutant; the equivalent ones are explained in bench/mutation/equivalent.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "bench" / "mutation"
WORK = HERE / "work"
REPORT = HERE / "survivors.md"
RESULTS = HERE / "results"  # one JSON per mutated module, from its latest run

# The modules mutated, relative to python/ (edit here when modules move).
MODULES = [
    "hybridbudget/engine/money.py",
    "hybridbudget/engine/tolerance.py",
    "hybridbudget/engine/escalation.py",
    "hybridbudget/engine/drivers.py",
    "hybridbudget/engine/targets.py",
    "hybridbudget/engine/gaps.py",
    "hybridbudget/engine/variance_split.py",
    "hybridbudget/engine/triggers.py",
    "hybridbudget/engine/rollup.py",
    "hybridbudget/intake/checks.py",
]
# The fast, unit-level tests run against each mutant (globs relative to the repo; a glob that
# matches nothing is skipped). The whole suite takes minutes: far too slow per mutant.
TESTS = [
    "tests/test_mutation_kills*.py",
    "tests/test_handworked_*.py",
    "tests/test_intake_boundaries.py",
    "tests/test_intake_messages.py",
]
TEST_HELPERS = ["tests/conftest.py", "tests/sheets.py", "tests/handworked.py"]
TEST_DATA = ["tests/fixtures/handworked"]  # directories the selected tests read
KILLED, SURVIVED = "killed", "survived"
STATUS = {1: KILLED, 3: KILLED, 0: SURVIVED, 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          None: "not checked"}  # fmt: skip


def mutmut() -> str:
    """The mutmut executable beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("mutmut")
    found = str(beside) if beside.is_file() else shutil.which("mutmut")
    if not found:
        sys.exit('mutmut is not installed: pip install "mutmut>=3.8,<4"')
    return found


def test_files() -> list[str]:
    files = sorted({str(p.relative_to(ROOT)) for g in TESTS for p in ROOT.glob(g)})
    if not files:
        sys.exit(f"no test file matches {TESTS}")
    return files


def stage(modules: list[str], tests: list[str]) -> None:
    """The scratch project mutmut runs in: src/ (the package), tests/ and its pyproject.toml."""
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(ROOT / "python" / "hybridbudget", WORK / "src" / "hybridbudget",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (WORK / "tests").mkdir()
    for rel in [*TEST_HELPERS, *tests]:
        shutil.copy2(ROOT / rel, WORK / rel)
    for rel in TEST_DATA:
        shutil.copytree(ROOT / rel, WORK / rel)
    # paths.REPO_ROOT is two levels above the package: mutants/ inside the scratch copy
    (WORK / "budget_workbooks").symlink_to(ROOT / "budget_workbooks")
    quoted = ", ".join(f'"{x}"' for x in modules)
    selected = ", ".join(f'"{t}"' for t in tests)
    (WORK / "pyproject.toml").write_text(
        f"""[tool.mutmut]
source_paths = ["src"]
only_mutate = [{quoted}]
also_copy = ["budget_workbooks"]
pytest_add_cli_args = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
pytest_add_cli_args_test_selection = [{selected}]

[tool.pytest.ini_options]
testpaths = ["tests"]
markers = ["libreoffice: needs soffice", "slow: builds a large generated system"]
""",
        encoding="utf-8",
    )


def results() -> dict[str, dict[str, str]]:
    """module -> mutant name -> status, from mutmut's .meta files."""
    out: dict[str, dict[str, str]] = {}
    for meta in sorted((WORK / "mutants" / "src").rglob("*.py.meta")):
        module = str(meta.relative_to(WORK / "mutants" / "src"))[: -len(".meta")]
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        out[module] = {k: STATUS.get(v, "suspicious") for k, v in codes.items()}
    return out


def diffs(module: str, names: list[str]) -> dict[str, str]:
    """The changed lines of each mutant of one module (mutmut's own diff, one process for all)."""
    if not names:
        return {}
    code = (
        "import json, sys\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "names, path = json.load(sys.stdin)\n"
        "print(json.dumps({n: get_diff_for_mutant(n, path=path) for n in names}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=WORK, capture_output=True, text=True,
                         input=json.dumps([names, f"src/{module}"]), check=True)  # fmt: skip
    out = {}
    for name, text in json.loads(run.stdout).items():
        lines = text.splitlines()
        out[name] = "\n".join(
            x for x in lines if x.startswith(("+", "-")) and not x.startswith(("+++", "---"))
        )
    return out


def result_path(module: str) -> Path:
    return RESULTS / (module.replace("/", ".").removesuffix(".py") + ".json")


def save(seconds: float, rerun: bool = False) -> None:
    """Store each mutated module's statuses and its survivors' diffs in results/ (one file each),
    so that runs over different modules add up to one report. A re-run of the survivors
    (`rerun`) updates the stored statuses of the mutants it checked and keeps the others."""
    RESULTS.mkdir(exist_ok=True)
    found = results()
    checked = sum(1 for s in found.values() for v in s.values() if v != "not checked")
    per = seconds / max(1, checked)
    for module, statuses in found.items():
        path = result_path(module)
        before = json.loads(path.read_text(encoding="utf-8")) if rerun and path.is_file() else None
        if before is not None:
            statuses = before["statuses"] | {
                k: v for k, v in statuses.items() if v != "not checked"
            }
        record = {
            "module": module,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "minutes": round(per * sum(v != "not checked" for v in found[module].values()) / 60, 1),
            "survivors_rerun": rerun,
            "tests": test_files(),
            "statuses": statuses,
            "diffs": diffs(
                module,
                [k for k, s in statuses.items() if s not in (KILLED, "no tests", "not checked")],
            ),
        }
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stored() -> list[dict]:
    """The stored result of each module in MODULES that has one, in MODULES order."""
    out = []
    for m in MODULES:
        path = result_path(m)
        if path.is_file():
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def report() -> str:
    records = stored()
    rows, survivors = [], []
    total = Counter()
    for rec in records:
        statuses = rec["statuses"]
        c = Counter(statuses.values())
        total += c
        n = sum(c.values())
        rows.append(f"| {rec['module']} | {rec['date']} | {n} | {c[KILLED]} | {n - c[KILLED]} | "
                    f"{c[KILLED] / n:.1%} |")  # fmt: skip
        survivors += [(rec, k, s) for k, s in statuses.items() if s != KILLED]
    n = sum(total.values())
    score = total[KILLED] / n if n else 0.0
    missing = [m for m in MODULES if m not in {r["module"] for r in records}]
    lines = [
        "# Mutation testing: score and survivors",
        "",
        "Tool: mutmut 3. Command: `python bench/mutation/run.py [words...]` (one module at a time "
        "is fine: each run stores its modules' results in bench/mutation/results/, and this report "
        f"adds them up). Tests per mutant: {', '.join(test_files())}.",
        "",
        f"**Score: {total[KILLED]} of {n} mutants killed ({score:.1%}).** "
        "Equivalent survivors are explained in equivalent.md.",
        "",
        "| module | measured | mutants | killed | not killed | score |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *rows,
        f"| all | | {n} | {total[KILLED]} | {n - total[KILLED]} | {score:.1%} |",
        "",
        *([f"Not measured yet: {', '.join(missing)}.", ""] if missing else []),
        "## Not killed",
        "",
    ]
    untested = [name for _, name, status in survivors if status == "no tests"]
    if untested:  # no selected test calls the function: listed by name only
        lines += ["Run by no selected test:", "", *(f"- {name}" for name in untested), ""]
    for rec, name, status in survivors:
        if status != "no tests":
            lines += [f"### {name} ({status})", "", "```diff", rec["diffs"].get(name, ""), "```",
                      ""]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global WORK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("words", nargs="*", help="only modules whose path contains one of these")
    parser.add_argument("--report", action="store_true", help="only rewrite the report")
    parser.add_argument("--survivors", action="store_true",
                        help="re-run only the stored survivors of the modules (after new tests)")  # fmt: skip
    parser.add_argument("--work", type=Path, default=WORK,
                        help="scratch directory (a second one lets two runs go side by side)")  # fmt: skip
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutants (default 2)")
    args = parser.parse_args(argv)
    WORK = args.work.resolve()
    if not args.report:
        modules = [f"src/{m}" for m in MODULES if not args.words or any(w in m for w in args.words)]
        if not modules:
            sys.exit(f"no module of {MODULES} matches {args.words}")
        names = []
        if args.survivors:  # the other mutants were killed by tests that are still there
            for m in modules:
                rec = json.loads(result_path(m.removeprefix("src/")).read_text(encoding="utf-8"))
                names += [k for k, v in rec["statuses"].items() if v != KILLED]
            if not names:
                sys.exit("no stored survivor to re-run")
        stage(modules, test_files())
        start = time.monotonic()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        with (WORK / "mutmut.log").open("w", encoding="utf-8") as log:  # its spinner is noisy
            subprocess.run([mutmut(), "run", "--max-children", str(args.max_children), *names], cwd=WORK,
                           env=env, stdout=log, stderr=subprocess.STDOUT, check=False)  # fmt: skip
        save(time.monotonic() - start, rerun=args.survivors)
    REPORT.write_text(report(), encoding="utf-8")
    print(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Issue 14: every command as a newcomer uses it: reruns, odd states, shared drives, help pages.

The table runs each case through `hybridbudget.cli.main` (the same code path as the command):
the exit code, one plain sentence naming the file, no traceback, and the files a refused step
must leave alone, byte for byte and with their mode.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from conftest import CLI
from hybridbudget import cli
from hybridbudget.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main, parser
from hybridbudget.engine.star_schema import DESCRIPTIONS
from hybridbudget.findings import shortened
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps.consolidate import consolidate
from hybridbudget.steps.divergence import divergence
from hybridbudget.steps.plan import apply_decisions, lock, locked_versions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, control_path: Path, templates_dir: Path):
    """Control workbooks at three points of the cycle: after divergence (workshop not yet held),
    after the lock (no actuals yet); and the submissions folder."""
    root = tmp_path_factory.mktemp("newcomer")
    control = root / "control.xlsx"
    shutil.copyfile(control_path, control)
    subs = root / "submissions"
    fill_submissions(templates_dir, subs, seed=5, control=control)
    consolidate(control, subs)
    divergence(control)
    diverged = root / "diverged.xlsx"
    shutil.copyfile(control, diverged)
    run_workshop(control)
    apply_decisions(control)
    lock(control, force_reason="newcomer tests", user="tester")
    return {"diverged": diverged, "locked": control, "submissions": subs}


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(path.stat().st_mode)


@dataclass
class Case:
    argv: list[str]
    code: int
    says: str  # in the message
    names: Path | None = None  # the file or folder the message names
    unchanged: list[Path] = field(default_factory=list)
    hook: Callable[[str], None] | None = None  # sees each progress line: the odd event mid-step
    stdout: bool = False  # the sentence is the result on stdout (a step that had nothing to do)


def _copy(src: Path, tmp: Path, name: str = "control.xlsx") -> Path:
    dst = tmp / name
    shutil.copyfile(src, dst)
    return dst


def _when(text: str, action: Callable[[], None]) -> Callable[[str], None]:
    """A progress hook that does `action` once, when the step reports `text`."""
    done = []

    def hook(message: str) -> None:
        if text in message and not done:
            done.append(message)
            action()

    return hook


def lock_again(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["lock", "--control", str(c)], EXIT_OK, "already locked as version 1", c, [c],
                stdout=True)  # fmt: skip


def consolidate_nothing_valid(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    folder = tmp / "returned"
    folder.mkdir()
    (folder / "RMC-03100.xlsx").write_bytes(b"not a workbook")
    return Case(["consolidate", str(folder), "--control", str(c)], EXIT_REFUSED,
                "none of the 1 files is a valid submission", folder, [c])  # fmt: skip


def validate_empty_folder(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    folder = tmp / "empty"
    folder.mkdir()
    (folder / "~$RMC-03100.xlsx").write_bytes(b"owner file")  # skipped like every ~$ file
    return Case(["validate", str(folder), "--control", str(c)], EXIT_REFUSED,
                "no submissions were found (looked at every file in this folder", folder, [c])  # fmt: skip


def control_deleted_mid_step(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    hook = _when("writing the Validation sheet", c.unlink)
    return Case(["validate", str(fx["submissions"]), "--control", str(c)], EXIT_REFUSED,
                "was deleted or moved while the step ran", c, hook=hook)  # fmt: skip


def control_replaced_mid_step(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    other = _copy(fx["diverged"], tmp, "other.xlsx")
    kept = _copy(fx["diverged"], tmp, "kept.xlsx")
    hook = _when("writing the Validation sheet", lambda: os.replace(other, c))
    case = Case(["validate", str(fx["submissions"]), "--control", str(c)], EXIT_REFUSED,
                "was replaced or saved by someone else while the step ran", c, hook=hook)  # fmt: skip
    case.unchanged = [kept]  # compared with c after the run, below
    return case


def read_only_control(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    c.chmod(0o444)
    return Case(["validate", str(fx["submissions"]), "--control", str(c)], EXIT_REFUSED,
                "the file is read-only, so it was left unchanged", c, [c])  # fmt: skip


def read_only_folder(tmp: Path, fx: dict) -> Case:
    shared = tmp / "shared"
    shared.mkdir()
    c = _copy(fx["locked"], shared)
    shared.chmod(0o555)
    return Case(["validate", str(fx["submissions"]), "--control", str(c)], EXIT_REFUSED,
                "the folder is read-only", shared, [c])  # fmt: skip


def read_only_folder_new_file(tmp: Path, fx: dict) -> Case:
    shared = tmp / "shared"
    shared.mkdir(mode=0o555)
    return Case(["init", "--out", str(shared / "control.xlsx")], EXIT_REFUSED,
                "the folder is read-only, so control.xlsx cannot be written", shared)  # fmt: skip


def init_out_is_a_folder(tmp: Path, fx: dict) -> Case:
    folder = tmp / "budget"
    folder.mkdir()
    return Case(["init", "--out", str(folder)], EXIT_REFUSED, "is a folder, not a file", folder)


def sample_zero_cost_centers(tmp: Path, fx: dict) -> Case:
    return Case(["sample", "--cost-centers", "0", "--out", str(tmp / "s")], EXIT_USAGE,
                "--cost-centers: must be at least 1 (got 0)")  # fmt: skip


def sample_fill_flag_without_fill(tmp: Path, fx: dict) -> Case:
    return Case(["sample", "--out", str(tmp / "s"), "--templates", str(tmp)], EXIT_USAGE,
                "--templates: only with 'sample fill'")  # fmt: skip


def export_before_actuals(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["export", "powerbi", str(tmp / "pbi"), "--control", str(c)], EXIT_OK,
                f"Wrote {len(DESCRIPTIONS)} tables", None, [c], stdout=True)  # fmt: skip


def export_into_a_file(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    target = tmp / "pbi"
    target.write_text("a file, not a folder")
    return Case(["export", "powerbi", str(target), "--control", str(c)], EXIT_REFUSED,
                "is a file, not a folder", target, [c, target])  # fmt: skip


def render_missing(tmp: Path, fx: dict) -> Case:
    missing = tmp / "nope.xlsx"
    return Case(["render", str(missing), "--out", str(tmp / "png")], EXIT_REFUSED,
                "file not found", missing)  # fmt: skip


def variance_before_actuals(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["variance", "--control", str(c)], EXIT_REFUSED, "no actuals imported yet", c, [c])


def dashboard_before_actuals(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["dashboard", "--control", str(c)], EXIT_REFUSED, "no actuals imported yet", c, [c])


def open_in_excel(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    (tmp / "~$control.xlsx").write_bytes(b"owner")
    return Case(["validate", str(fx["submissions"]), "--control", str(c)], EXIT_REFUSED,
                "the workbook is open in Excel", c, [c])  # fmt: skip


def templates_out_is_a_file(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    target = tmp / "templates"
    target.write_text("a file, not a folder")
    return Case(["templates", "--control", str(c), "--out", str(target)], EXIT_REFUSED,
                "not a directory; check that the path names what the command expects", target,
                [c, target])  # fmt: skip


def demo_out_is_a_file(tmp: Path, fx: dict) -> Case:
    target = tmp / "out"
    target.write_text("a file, not a folder")
    return Case(["demo", "--out", str(target)], EXIT_REFUSED, "file exists", target, [target])


# the bad input of earlier issues, kept in the same table
def init_missing_sources(tmp: Path, fx: dict) -> Case:
    return Case(["init", "--sources", str(tmp / "nope"), "--out", str(tmp / "c.xlsx")],
                EXIT_REFUSED, "sources folder not found", tmp / "nope")  # fmt: skip


def check_missing_control(tmp: Path, fx: dict) -> Case:
    return Case(["check", str(tmp / "nope.xlsx")], EXIT_REFUSED, "control workbook not found",
                tmp / "nope.xlsx")  # fmt: skip


def check_not_a_workbook(tmp: Path, fx: dict) -> Case:
    bad = tmp / "notes.xlsx"
    bad.write_text("budget notes")
    return Case(["check", str(bad)], EXIT_REFUSED, "not a readable .xlsx workbook", bad, [bad])


def validate_missing_folder(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["validate", str(tmp / "nope"), "--control", str(c)], EXIT_REFUSED,
                "submissions folder not found", tmp / "nope", [c])  # fmt: skip


def apply_decisions_before_divergence(tmp: Path, fx: dict, control_path: Path) -> Case:
    c = _copy(control_path, tmp)
    return Case(["apply-decisions", "--control", str(c)], EXIT_REFUSED, "no Bottom-up Drivers sheet: run Consolidate", c,
                [c])  # fmt: skip


def lock_before_plan(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["diverged"], tmp)
    return Case(["lock", "--control", str(c)], EXIT_REFUSED, "no Plan sheet", c, [c])


def lock_undecided(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["diverged"], tmp)
    apply_decisions(c)
    return Case(["lock", "--control", str(c)], EXIT_REFUSED, "material items are undecided", None,
                [c])  # fmt: skip


def actuals_bad_month(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["actuals", "import", str(tmp), "--month", "2026-12", "--control", str(c)],
                EXIT_REFUSED, "budget year 2027", None, [c])  # fmt: skip


def undo_without_backups(tmp: Path, fx: dict) -> Case:
    c = _copy(fx["locked"], tmp)
    return Case(["undo", str(c)], EXIT_REFUSED, "no backup to restore", c, [c])


def unknown_command(tmp: Path, fx: dict) -> Case:
    return Case(["consolidat", str(tmp)], EXIT_USAGE, "invalid choice: 'consolidat'")


def missing_control_option(tmp: Path, fx: dict) -> Case:
    return Case(["divergence"], EXIT_USAGE, "the following arguments are required: --control")


CASES = [lock_again, consolidate_nothing_valid, validate_empty_folder, control_deleted_mid_step,
         control_replaced_mid_step, read_only_control, read_only_folder, read_only_folder_new_file,
         init_out_is_a_folder, sample_zero_cost_centers, sample_fill_flag_without_fill,
         export_before_actuals, export_into_a_file, render_missing, variance_before_actuals,
         dashboard_before_actuals, open_in_excel, templates_out_is_a_file, demo_out_is_a_file,
         init_missing_sources, check_missing_control,
         check_not_a_workbook, validate_missing_folder, apply_decisions_before_divergence,
         lock_before_plan, lock_undecided, actuals_bad_month, undo_without_backups,
         unknown_command, missing_control_option]  # fmt: skip


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors and --help
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def writable_again(tmp_path: Path) -> Iterator[None]:
    yield
    for path in (tmp_path, *tmp_path.rglob("*")):
        if path.is_dir():
            path.chmod(0o755)


@pytest.mark.parametrize("build", CASES, ids=[c.__name__ for c in CASES])
def test_newcomer_case(build, tmp_path, cycle, control_path, capsys, monkeypatch, writable_again):
    extra = (control_path,) if build is apply_decisions_before_divergence else ()
    case = build(tmp_path, cycle, *extra)
    before = {p: fingerprint(p) for p in case.unchanged}
    if case.hook is not None:
        hook, real = case.hook, cli.to_stderr
        monkeypatch.setattr(cli, "to_stderr", lambda m: (hook(m), real(m)))
    code, out, err = run(case.argv, capsys)
    assert code == case.code, (out, err)
    assert "Traceback" not in out + err and "internal error" not in err
    if case.stdout:
        message = out.strip().splitlines()[0]
    else:
        own = [line for line in err.splitlines() if line.startswith("hybridbudget")]
        assert len(own) == 1, err  # one message (argparse's usage lines aside)
        message = own[0]
    assert case.says in message, message
    assert not re.search(r"\.\s+[A-Z][a-z]", message), f"more than one sentence: {message}"
    if case.names is not None:
        assert str(case.names) in message
    if build is control_replaced_mid_step:
        before = {case.names: before[case.unchanged[0]]}  # the replacement is left as it came
    for path, was in before.items():
        assert fingerprint(path) == was, path
    if build is control_deleted_mid_step:
        assert not case.names.exists()  # nothing written where the workbook was


def test_export_before_actuals_writes_what_exists(tmp_path, cycle, capsys):
    control = _copy(cycle["locked"], tmp_path)
    assert (
        run(["export", "powerbi", str(tmp_path / "pbi"), "--control", str(control)], capsys)[0] == 0
    )
    plan = pd.read_csv(tmp_path / "pbi" / "fact_plan.csv")
    assert len(plan) == 54 * 13 * 12 and plan.plan_version.eq(1).all()
    for empty in ("fact_actual", "fact_variance", "fact_staffing"):
        table = pd.read_parquet(tmp_path / "pbi" / f"{empty}.parquet")
        assert len(table) == 0 and "cost_center" in table.columns, empty
    assert "actuals: none imported" in (tmp_path / "pbi" / "README.md").read_text()


def test_lock_twice_makes_one_version_and_says_so(tmp_path, cycle, capsys):
    from hybridbudget.control.file_book import FileControlBook

    control = _copy(cycle["diverged"], tmp_path)
    run_workshop(control)
    apply_decisions(control)
    first = lock(control, user="controller")
    assert not first.already
    digest = fingerprint(control)
    code, out, _ = run(["lock", "--control", str(control)], capsys)
    assert code == 0
    assert out.strip() == (f"{control}: the plan is already locked as version 1 (Locked Plan v1, "
                           f"SHA-256 {first.sha256}); no new version was made.")  # fmt: skip
    assert fingerprint(control) == digest
    # Apply decisions again (same decisions) then Lock: still version 1, Plan marked locked again
    apply_decisions(control)
    again = lock(control)
    assert again.already and again.version == 1 and again.user == "controller"
    book = FileControlBook(control)
    assert locked_versions(book) == [1]
    assert book.rows("Plan")[0][0] == "Plan (locked as version 1)"


def test_shortened_lists_count_what_they_leave_out(tmp_path, cycle, capsys):
    assert shortened(["a", "b"], 2) == ["a", "b"]
    assert shortened(list("abcde"), 2, "sheet X") == ["a", "b", "... and 3 more (sheet X)"]
    control = _copy(cycle["diverged"], tmp_path)
    code, out, _ = run(["apply-decisions", "--control", str(control)], capsys)
    assert code == 0
    n = int(re.search(r"(\d+) material items still undecided", out).group(1))
    listed = [line for line in out.splitlines() if line.startswith("  - ")]
    assert n > 20 and len(listed) == 20
    assert f"  ... and {n - 20} more (all of them below the plan on sheet Plan)" in out


def _leaves(p: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    if path:
        yield path
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaves(child, (*path, name))


def test_every_subcommand_has_its_own_help_page(capsys):
    pages = list(_leaves(parser()))
    assert ("sample", "fill") in pages and ("export", "powerbi") in pages
    assert ("actuals", "import") in pages and ("addin", "build") in pages
    for page in pages:
        code, out, _ = run([*page, "--help"], capsys)
        assert code == 0 and out.startswith(f"usage: hybridbudget {' '.join(page)} "), page


def test_export_help_names_every_table_the_readme_lists(capsys):
    row = next(line for line in (ROOT / "README.md").read_text().splitlines()
               if line.startswith("| `hybridbudget export powerbi"))  # fmt: skip
    for page in (["export", "--help"], ["export", "powerbi", "--help"]):
        _, out, _ = run(page, capsys)
        for table in DESCRIPTIONS:
            assert table in out, (page, table)
            short = table.split("_", 1)[-1].replace("_", " ")
            assert short in row, f"README does not list {table}"


def test_files_get_normal_save_permissions_with_umask_022(tmp_path, cycle, capsys):
    old = os.umask(0o022)
    try:
        control = tmp_path / "new.xlsx"
        assert run(["init", "--out", str(control)], capsys)[0] == 0
        locked = _copy(cycle["locked"], tmp_path, "locked.xlsx")
        locked.chmod(0o660)  # a finance team's group-only workbook keeps its mode
        assert (
            run(["validate", str(cycle["submissions"]), "--control", str(locked)], capsys)[0] == 0
        )
        assert (
            run(["export", "powerbi", str(tmp_path / "pbi"), "--control", str(locked)], capsys)[0]
            == 0
        )
        assert run(["templates", "--control", str(control), "--out", str(tmp_path / "t"),
                    "--cost-center", "RMC-03100"], capsys)[0] == 0  # fmt: skip
    finally:
        os.umask(old)

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    assert mode(control) == 0o644
    assert mode(locked) == 0o660
    backups = sorted((tmp_path / ".hybridbudget-backups").glob("locked.*.xlsx"))
    assert backups and all(mode(b) == 0o660 for b in backups)  # as the workbook they copy
    exported = list((tmp_path / "pbi").iterdir())
    assert len(exported) == 2 * len(DESCRIPTIONS) + 1 and {mode(p) for p in exported} == {0o644}
    assert {mode(p) for p in (tmp_path / "t").rglob("*.xlsx")} == {0o644}
    assert not list(tmp_path.rglob(".*-*.xlsx"))  # no temporary file left behind


def test_python_m_hybridbudget_runs_without_an_activated_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env["PATH"] = "/usr/bin:/bin"  # no hybridbudget script on PATH
    run_ = subprocess.run([*CLI, "sample", "--cost-centers", "0", "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert run_.returncode == 2 and "must be at least 1" in run_.stderr
    assert "Traceback" not in run_.stderr


def test_setup_refuses_an_old_python_with_a_sentence(tmp_path):
    fake = tmp_path / "python3.9"
    fake.write_text('#!/bin/sh\n[ "$1" = "-V" ] && { echo "Python 3.9.2"; exit 0; }\nexit 1\n')
    fake.chmod(0o755)
    run_ = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], capture_output=True,
                          text=True, env=os.environ | {"PYTHON": str(fake)}, check=False)  # fmt: skip
    assert run_.returncode == 1
    assert "needs Python 3.11 or newer" in run_.stderr and "3.9.2" in run_.stderr
    assert "PYTHON=python3.11 bash scripts/setup.sh" in run_.stderr

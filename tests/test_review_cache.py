"""Issue 20: the validated-submission cache writes what checking every file writes (not timed)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hybridbudget.intake import review_cache
from hybridbudget.intake.review_cache import CACHE_ENV, FORMAT, cache_path
from hybridbudget.sample.defects import make_defects
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.steps import validate as validate_step
from hybridbudget.steps.consolidate import consolidate

SHEETS = ("Validation", "Submissions", "Consolidated", "Bottom-up Drivers", "Capital Requests")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, control_path: Path):
    """Filled submissions and, in a subfolder, the labelled defect set (findings of every kind)."""
    out = tmp_path_factory.mktemp("cache-subs")
    fill_submissions(templates_dir, out / "filled", seed=21, control=control_path)
    make_defects(templates_dir, control_path, out / "defects", seed=21)
    return out


def cells(path: Path) -> dict[str, list[tuple]]:
    """Every value of the consolidate step's sheets, row by row (the run's minute left out)."""
    wb = load_workbook(path, read_only=True)
    out = {}
    for name in SHEETS:
        rows = [tuple(r) for r in wb[name].iter_rows(values_only=True)]
        out[name] = [r for r in rows if not (r and str(r[0] or "").startswith("Submissions as of"))]
    wb.close()
    return out


def run_twice(control: Path, folder: Path, tmp: Path, name: str) -> Path:
    path = tmp / name / "control.xlsx"
    path.parent.mkdir()
    shutil.copy2(control, path)
    consolidate(path, folder)
    consolidate(path, folder)  # the second click: "unchanged" in the change column
    return path


def counting_reads(monkeypatch) -> list[str]:
    """The files intake reads from here on (the cache's hits are not read)."""
    read: list[str] = []
    real = validate_step.read_submission
    monkeypatch.setattr(validate_step, "read_submission",
                        lambda cand: read.append(cand.rel) or real(cand))  # fmt: skip
    monkeypatch.setenv("HYBRIDBUDGET_WORKERS", "1")  # the count is kept in this process
    return read


def _entries(path: Path) -> dict:
    return json.loads(cache_path(path).read_bytes().partition(b"\n")[2])


def _write(path: Path, entries: dict) -> None:
    text = json.dumps(entries)
    cache_path(path).write_text(f"{FORMAT} {hashlib.sha256(text.encode()).hexdigest()}\n{text}")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, control_path: Path, folder: Path) -> Path:
    """Two Consolidate clicks with the cache off: every file read and checked both times."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, "0")
        out = run_twice(control_path, folder, tmp_path_factory.mktemp("plain"), "cold")
    assert not cache_path(out).exists()
    return out


def test_warm_and_cold_runs_write_identical_sheets_and_a_bad_cache_is_never_trusted(
    tmp_path, control_path, folder, plain, monkeypatch
):
    read = counting_reads(monkeypatch)
    control = tmp_path / "warm" / "control.xlsx"
    control.parent.mkdir()
    shutil.copy2(control_path, control)
    consolidate(control, folder)
    every = len(read)
    assert every > 40 and cache_path(control).is_file()
    consolidate(control, folder)
    assert len(read) == every  # the second click read no file: all of it came from the cache
    assert cells(control) == cells(plain)

    entries = _entries(control)
    key, entry = next((k, e) for k, e in entries.items() if e["body"]["submission"])
    # a forged entry with a valid checksum, checked against another engine: checked again
    entry["engine"] = "0.0.0+forged"
    entry["body"]["submission"]["values"]["hb_other_expense"] = [123456789.0]
    _write(control, entries)
    read.clear()
    consolidate(control, folder)
    assert read == [key.split(" ", 1)[1]]
    assert cells(control) == cells(plain)

    # another issued template (or target) for the cost center: checked again
    entries = _entries(control)
    entries[key]["issued"] = "0" * 64
    _write(control, entries)
    read.clear()
    consolidate(control, folder)
    assert read == [key.split(" ", 1)[1]]

    # a damaged file: every file is checked again, and the cache is written afresh
    data = bytearray(cache_path(control).read_bytes())
    data[len(data) // 2] ^= 0x20
    cache_path(control).write_bytes(bytes(data))
    said: list[str] = []
    read.clear()
    consolidate(control, folder, progress=said.append)
    assert any("unreadable" in s for s in said)
    assert len(read) == every
    assert cells(control) == cells(plain)
    assert _entries(control).keys() == entries.keys()


def test_a_changed_file_is_checked_again_and_nothing_else(tmp_path, control_path, folder,
                                                          monkeypatch):  # fmt: skip
    subs = tmp_path / "subs"
    shutil.copytree(folder, subs)
    control = tmp_path / "control.xlsx"
    shutil.copy2(control_path, control)
    consolidate(control, subs)
    before = _entries(control)
    read = counting_reads(monkeypatch)
    changed = sorted((subs / "filled").rglob("*.xlsx"))[3]
    changed.write_bytes(changed.read_bytes() + b"\0")  # other bytes: another SHA-256
    consolidate(control, subs)
    assert read == [changed.relative_to(subs).as_posix()]
    after = _entries(control)
    assert len(after) == len(before)  # the old entry of the changed file is gone
    assert {k for k in after if k not in before} == {
        f"{hashlib.sha256(changed.read_bytes()).hexdigest()} {read[0]}"
    }


def test_the_engine_version_names_the_code():
    version = review_cache.engine_version()
    assert version.startswith(review_cache.__version__ + "+") and len(version.split("+")[1]) == 16


def test_values_json_would_change_are_not_cached(tmp_path, control_targets):
    import datetime as dt

    from hybridbudget.intake.checks import Context
    from hybridbudget.intake.files import Candidate
    from hybridbudget.intake.submission import Submission

    ref, targets = control_targets
    ctx = Context(ref, targets)
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"PK")
    cand = Candidate(path, "a.xlsx")
    cc = next(iter(targets.by_cost_center))
    when = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)

    def sub(values: dict) -> Submission:
        return Submission(cand, "ab", when, {"cost_center": cc}, values, {}, {}, True, "f")

    memo = review_cache.ReviewCache(tmp_path / "c.json", review_cache.context_digest(ctx))
    memo.put(cand, "ab", ([], sub({"hb_x": [dt.date(2026, 1, 1)]})), ctx)  # a date
    memo.put(cand, "cd", ([], sub({"hb_x": (1.0,)})), ctx)  # a tuple comes back as a list
    assert memo.kept == {}
    memo.put(cand, "ef", ([], sub({"hb_x": [1, 2.5, None, "=a", True, float("nan")]})), ctx)
    memo.save()
    again = review_cache.ReviewCache.load(tmp_path / "c.json", ctx)
    _, got = again.get(cand, "ef", ctx)
    assert got.values["hb_x"][:5] == [1, 2.5, None, "=a", True]
    assert [type(v) for v in got.values["hb_x"]] == [int, float, type(None), str, bool, float]
    assert got.meta == {"cost_center": cc} and got.saved is None and got.modified != when


def test_the_issued_part_of_the_key_follows_what_finance_issued(control_targets):
    """The key digests the target and the reference, not finance's copy: both must see changes."""
    import dataclasses

    from hybridbudget.intake.checks import Context
    from hybridbudget.templates.issued import issued_copy

    context, issued = review_cache.context_digest, review_cache.issued_digest
    ref, targets = control_targets
    ctx = Context(ref, targets)
    (cc, t), (other, _) = list(targets.by_cost_center.items())[:2]
    # every template prints the finance contact, which TemplateSettings' repr leaves out
    templates = ref.config.templates.model_copy(update={"finance_contact": "budget@elsewhere.org"})
    config = ref.config.model_copy(update={"templates": templates})
    moved_ref = dataclasses.replace(ref, config=config)
    assert issued_copy(t, moved_ref) != issued_copy(t, ref)
    assert context(Context(moved_ref, targets)) != context(ctx)
    # another target for one cost center: its entries go stale, the others' do not
    drivers = dataclasses.replace(t.drivers, supplies_per_uos=t.drivers.supplies_per_uos + 1)
    moved = dataclasses.replace(t, drivers=drivers)
    assert issued_copy(moved, ref) != issued_copy(t, ref)
    by_cc = {**targets.by_cost_center, cc: moved}
    moved_ctx = Context(ref, dataclasses.replace(targets, by_cost_center=by_cc))
    assert issued(moved_ctx, cc) != issued(ctx, cc)
    assert issued(moved_ctx, other) == issued(ctx, other)


def test_the_key_follows_the_register_row_of_the_template_id_a_file_carries(control_targets):
    """A file carrying another cost center's template id is judged by that row (NOT_ISSUED):
    its entry goes stale when that row changes, though its own cost center's rows did not."""
    from hybridbudget.control.register import Issue, Register
    from hybridbudget.intake.checks import Context

    ref, targets = control_targets
    (cc, _), (other, _) = list(targets.by_cost_center.items())[:2]
    theirs = Issue(other, "2027", 1, "2026-11-30T09:00:00", "T-OTHER-1")
    moved = Issue(other, "2027", 2, "2026-12-01T09:00:00", "T-OTHER-1")
    before = Context(ref, targets, Register([theirs]))
    after = Context(ref, targets, Register([moved]))
    digest = review_cache.issued_digest
    assert digest(before, cc, "T-OTHER-1") != digest(after, cc, "T-OTHER-1")
    assert digest(before, cc) == digest(after, cc)  # without the id: only its own rows count

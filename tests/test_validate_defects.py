"""Issue 4 done-when: validate over the simulator's defect set finds each labelled defect with the
right code, file and cell, and no clean submission gets an error."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from hybridbudget.intake.codes import CODES
from hybridbudget.sample import defects as D
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.steps.validate import validate


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture(scope="module")
def defect_run(tmp_path_factory, templates_dir, control_path):
    root = tmp_path_factory.mktemp("defects")
    control = root / "control.xlsx"
    shutil.copyfile(control_path, control)
    folder = root / "submissions"
    reserved = D.reserved_cost_centers(templates_dir, seed=2027)
    fill_submissions(templates_dir, folder, seed=2027, skip=set(reserved), control=control)
    manifest = D.make_defects(templates_dir, control, folder, seed=2027)
    before = tree_hashes(folder)
    result = validate(control, folder, feedback=root / "feedback")
    return folder, D.read_manifest(manifest), result, before


def test_every_labelled_defect_is_reported_at_its_cell(defect_run):
    _, rows, result, _ = defect_run
    found = {(f.file, f.code, f.sheet, f.cell) for f in result.findings}
    loose = {(f.file, f.code) for f in result.findings}
    for row in rows:
        if row.cell:
            assert (row.file, row.code, row.sheet, row.cell) in found, row
        else:
            assert (row.file, row.code) in loose, row
    # the name mismatch is reported on the Meta sheet's cost center cell
    named = next(r for r in rows if r.code == "NAME_MISMATCH")
    assert (named.file, "NAME_MISMATCH", "Meta", "B3") in found
    assert {r.code for r in rows} | D.CODES_ELSEWHERE == {c.code for c in CODES}


def test_no_false_alarms_on_clean_submissions(defect_run):
    _, rows, result, _ = defect_run
    labelled = {r.file for r in rows}
    clean = [f for f in result.files if f.file not in labelled]
    assert len(clean) >= 25  # nearly half the sample's 54 cost centers stay untouched
    assert all(f.errors == 0 and f.warnings == 0 for f in clean), [
        (f.file, f.errors) for f in clean if f.errors or f.warnings
    ]
    expected = {(r.file, r.code) for r in rows}
    unexpected = [(f.file, f.code) for f in result.findings if (f.file, f.code) not in expected]
    assert not unexpected


def test_resubmissions_of_one_cost_center(defect_run):
    """Three files of one template version: the valid one (wrongly named) is used, the earlier
    draft is superseded, the newer broken resubmission rejected."""
    _, rows, result, _ = defect_run
    by_code = {r.code: r for r in rows}
    used, draft = by_code["NAME_MISMATCH"], by_code["SUPERSEDED"]
    newer = by_code["RESUBMISSION_REJECTED"]
    assert used.cost_center == draft.cost_center == newer.cost_center
    status = {f.file: f.status for f in result.files}
    assert (status[used.file], status[draft.file], status[newer.file]) == (
        "valid with warnings", "superseded", "rejected",
    )  # fmt: skip
    messages = {(f.file, f.code): f.message for f in result.findings}
    assert messages[(newer.file, "RESUBMISSION_REJECTED")] == (
        f"resubmission rejected; previous valid file {used.file} used for {used.cost_center}"
    )
    assert messages[(draft.file, "SUPERSEDED")].startswith(f"{used.file} is used for ")


def test_nothing_in_the_submissions_folder_changes(defect_run):
    folder, _, _, before = defect_run
    assert tree_hashes(folder) == before


def test_feedback_copies_mark_the_offending_cells(defect_run):
    folder, rows, result, _ = defect_run
    import openpyxl

    feedback = folder.parent / "feedback"
    row = next(r for r in rows if r.code == "NOT_A_NUMBER")
    wb = openpyxl.load_workbook(feedback / row.file)
    cell = wb[row.sheet][row.cell]
    assert cell.comment is not None and "not a number" in cell.comment.text
    rejected = {f.file for f in result.files if f.status == "rejected"}
    assert {p.relative_to(feedback).as_posix() for p in feedback.rglob("*.xlsx")} <= rejected

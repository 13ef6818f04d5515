"""Issue 4: hostile and broken files give findings, never crashes; submissions are never modified."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import CLI
from hybridbudget.intake.files import MAX_UNCOMPRESSED
from hybridbudget.steps.validate import VALIDATION_SHEET, validate, validate_submissions


def hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture()
def submissions(tmp_path: Path, templates_dir: Path) -> Path:
    """A few real templates (as sent, prefilled) plus a folder for junk."""
    dst = tmp_path / "in"
    for entity in ("RMC",):
        shutil.copytree(templates_dir / entity, dst / entity)
    return dst


def fuzz(folder: Path, templates_dir: Path) -> dict[str, str]:
    """Write one broken file per kind; returns file -> expected code."""
    junk = folder / "junk"
    junk.mkdir()
    real = next((templates_dir / "LCH").glob("*.xlsx")).read_bytes()
    (junk / "random.xlsx").write_bytes(os.urandom(4096))
    (junk / "truncated.xlsx").write_bytes(real[: len(real) // 2])
    (junk / "renamed.xlsx").write_text("cost_center,amount\nRMC-03000,10\n")
    (junk / "empty.xlsx").write_bytes(b"")
    (junk / "encrypted.xlsx").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4096)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNCOMPRESSED + 1))
    (junk / "bomb.xlsx").write_bytes(bomb.getvalue())
    plain = openpyxl.Workbook()
    plain.active["A1"] = "my own budget"
    plain.save(junk / "not-ours.xlsx")
    outside = folder.parent / "secret.xlsx"
    outside.write_bytes(real)
    (junk / "link.xlsx").symlink_to(outside)
    return {
        "junk/random.xlsx": "NOT_WORKBOOK",
        "junk/truncated.xlsx": "CORRUPT",
        "junk/renamed.xlsx": "NOT_WORKBOOK",
        "junk/empty.xlsx": "NOT_WORKBOOK",
        "junk/encrypted.xlsx": "ENCRYPTED",
        "junk/bomb.xlsx": "TOO_LARGE",
        "junk/not-ours.xlsx": "NOT_TEMPLATE",
        "junk/link.xlsx": "LINK_OUTSIDE",
    }


def test_fuzzed_files_give_findings_and_nothing_changes(submissions, templates_dir, control_copy):
    expected = fuzz(submissions, templates_dir)
    before = hashes(submissions)
    result = validate(control_copy, submissions)
    assert hashes(submissions) == before
    codes = {f.file: f.code for f in result.findings}
    for file, code in expected.items():
        assert codes.get(file) == code, (file, codes.get(file))
    statuses = {f.file: f.status for f in result.files}
    assert "junk/link.xlsx" not in statuses  # ignored, only reported
    for file in expected:
        if file in statuses:
            assert statuses[file] == "rejected"
    real = [f for f in result.files if f.file.startswith("RMC/")]
    assert len(real) == 31
    # Untouched templates carry no error: every input is pre-filled with the target's driver, so
    # none departs from its target (before issue 17, Pharmacy's non-labor at prior-year prices
    # was 6.47% under target and asked for a rationale).
    untouched = [(f.file, f.code) for f in result.findings if f.file.startswith("RMC/")]
    assert untouched == []
    assert sum(f.errors + f.warnings for f in real) == 0
    wb = openpyxl.load_workbook(control_copy, read_only=True)
    assert VALIDATION_SHEET in wb.sheetnames
    rows = list(wb[VALIDATION_SHEET].iter_rows(values_only=True))
    wb.close()
    assert any(len(r) > 1 and r[1] == "ENCRYPTED" for r in rows)


def test_a_version_finance_never_issued_is_rejected_and_the_issued_file_used(
    tmp_path, templates_dir, control_copy
):
    folder = tmp_path / "in"
    folder.mkdir()
    src = next((templates_dir / "RMC").glob("RMC-03000*.xlsx"))
    newer = folder / "RMC-03000-resubmitted.xlsx"
    shutil.copyfile(src, folder / "RMC-03000-first.xlsx")
    wb = openpyxl.load_workbook(src)
    meta = wb["Meta"]
    for row in meta.iter_rows(min_row=1):
        if row[0].value == "template_version":
            row[1].value = "2"
    wb.save(newer)
    result = validate_submissions(control_copy, folder)
    status = {f.file: f.status for f in result.files}
    # issue 13: only v1 was issued, so a file relabelled v2 is rejected; the issued file is used
    assert status == {"RMC-03000-first.xlsx": "valid", "RMC-03000-resubmitted.xlsx": "rejected"}
    assert result.accepted["RMC-03000"].file == "RMC-03000-first.xlsx"
    codes = sorted((f.file, f.code) for f in result.findings)
    assert codes == [("RMC-03000-resubmitted.xlsx", "NOT_ISSUED"),
                     ("RMC-03000-resubmitted.xlsx", "RESUBMISSION_REJECTED")]  # fmt: skip


def test_cli_exit_code_summary_and_json(submissions, templates_dir, control_copy, tmp_path):
    fuzz(submissions, templates_dir)
    cmd = CLI
    out = tmp_path / "findings.json"
    run = subprocess.run(
        [*cmd, "validate", str(submissions), "--control", str(control_copy), "--findings", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    last = run.stdout.strip().splitlines()[-1]
    files = [p for p in submissions.rglob("*.xlsx") if not p.is_symlink()]
    assert last.startswith(f"{len(files)} files:") and "rejected" in last
    import json

    data = json.loads(out.read_text())
    assert {f["code"] for f in data["findings"]} >= {"ENCRYPTED", "TOO_LARGE", "CORRUPT"}
    missing = subprocess.run(
        [*cmd, "validate", str(tmp_path / "nope"), "--control", str(control_copy)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 1 and "submissions folder not found" in missing.stderr

"""Issue 17 items 5-6: the Submissions sheet that helps chase, finance's review, chase drafts.

One small generated system (30 cost centers) with the labelled defect set; two clean cost
centers left out (late); one accepted cost center returned and one approved on the sheet, as
finance would type them. Statuses are read back from the written sheet, drafts parsed with
Python's `email` package.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import hashlib
import shutil
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hybridbudget.cli import main
from hybridbudget.control.book import open_control
from hybridbudget.control.load import load_control
from hybridbudget.errors import HybridBudgetError
from hybridbudget.intake.codes import CODE_BY_ID
from hybridbudget.sample import write_sample
from hybridbudget.sample.defects import make_defects, read_manifest, reserved_cost_centers
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.steps import submissions as S
from hybridbudget.steps.chase import LATE, MARK, REJECTED, RETURNED_KIND, chase
from hybridbudget.steps.consolidate import CONSOLIDATED_BLOCK, CONSOLIDATED_COLUMNS, consolidate
from hybridbudget.steps.init import init_control
from hybridbudget.steps.templates import generate_templates
from hybridbudget.workbook.grid import layout
from sheets import block_frame

AFTER_DUE = dt.date(2026, 12, 20)  # the generated system's templates are due 2026-12-15
RETURN_COMMENT = "Agency RN hours look doubled; please check March to May."


def _type_review(control: Path, cost_center: str, review: str, comment: str) -> str:
    """Type a review on the Submissions sheet as finance would in Excel; returns its cell."""
    wb = openpyxl.load_workbook(control)
    ws = wb[S.SUBMISSIONS_SHEET]
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == S.SUBMISSION_BLOCK)
    header = [c.value for c in rows[start + 1]]
    row = next(r for r in rows[start + 2 :] if r[0].value == cost_center)
    cell = row[header.index("Review")]
    cell.value = review
    row[header.index("Review comment")].value = comment
    wb.save(control)
    return cell.coordinate


def _status(control: Path):
    return block_frame(control, S.SUBMISSIONS_SHEET, S.SUBMISSION_BLOCK,
                       S.SUBMISSION_COLUMNS).set_index("cost_center")  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("chase")
    write_sample(root / "sources", cost_centers=30, seed=17)
    control = root / "control.xlsx"
    init_control(root / "sources", control)
    templates = root / "templates"
    generate_templates(control, templates)
    subs = root / "submissions"
    reserved = reserved_cost_centers(templates, seed=17)
    clean = fill_submissions(templates, subs, seed=17, skip=set(reserved), control=control)
    manifest = make_defects(templates, control, subs, seed=17)
    names = [p.name for p in subs.rglob("*") if p.is_file()]
    alone = [p for p in clean if sum(p.name.split("_")[0] in n for n in names) == 1]
    late = sorted(p.name.split("_")[0] for p in alone[:2])
    for p in alone[:2]:  # two managers never send their file back
        p.unlink()
    first = consolidate(control, subs, as_of=AFTER_DUE)
    touched = {r.file.split("/")[-1].split("_")[0] for r in read_manifest(manifest)}
    accepted = sorted(set(first.bottom_up) - touched)  # clean files only, no defect beside them
    returned, approved = accepted[0], accepted[1]
    cell = _type_review(control, returned, "Returned", RETURN_COMMENT)
    _type_review(control, approved, "approved", "")  # any case, as typed
    second = consolidate(control, subs, as_of=AFTER_DUE)
    out = root / "drafts"
    chased = chase(control, subs, out, templates=templates, as_of=AFTER_DUE)
    return {"root": root, "control": control, "templates": templates, "subs": subs,
            "manifest": read_manifest(manifest), "late": late, "returned": returned,
            "approved": approved, "review_cell": cell, "first": first, "second": second,
            "chased": chased, "out": out}  # fmt: skip


def _drafts(folder: Path) -> dict[str, EmailMessage]:
    out = {}
    for p in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        out[msg["To"].addresses[0].addr_spec] = msg
    return out


def _attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {a.get_filename(): a.get_content() for a in msg.iter_attachments()}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_status_kind_reads_back_from_the_sheet(run) -> None:
    status = _status(run["control"])
    defects: dict[str, set[str]] = {}  # cost center named by the defect file -> its codes
    for r in run["manifest"]:
        name = r.file.split("/")[-1]
        if "_FY" in name and not name.startswith("draft_"):
            defects.setdefault(name.split("_")[0], set()).add(r.code)
    for cc in run["late"]:
        assert status.loc[cc, "status"] == S.NOT_RECEIVED
        assert status.loc[cc, "days_late"] == 5  # due 2026-12-15, counted to 2026-12-20
        assert status.loc[cc, "consolidated"] == "No"
    # every cost center whose defect file has an error is "rejected" with the reason, never
    # "not received", also when the file could not even be opened (claimed by its name)
    rejected = {cc for cc, codes in defects.items()
                if any(CODE_BY_ID[c].severity == "error" for c in codes)}  # fmt: skip
    # a newer rejected file beside an older valid one: that valid file is used
    resubmitted = {cc for cc, codes in defects.items() if "RESUBMISSION_REJECTED" in codes}
    assert len(resubmitted) == 1
    for cc in resubmitted:
        assert status.loc[cc, "status"] == S.RESUBMISSION_REJECTED and status.loc[cc, "reason"]
    rejected -= resubmitted
    assert {"CORRUPT", "ENCRYPTED", "TOO_LARGE"} <= set().union(*(defects[c] for c in rejected))
    for cc in rejected:
        assert status.loc[cc, "status"] == S.CC_REJECTED, cc
        assert status.loc[cc, "reason"], cc
        assert status.loc[cc, "days_late"] == 5
    assert set(status.index[status.status == S.CC_REJECTED]) == rejected
    encrypted = next(c for c, codes in defects.items() if "ENCRYPTED" in codes)
    assert "password" in status.loc[encrypted, "reason"]
    warned = next(c for c, codes in defects.items() if codes == {"FTE_OUTSIDE_BAND"})
    assert status.loc[warned, "status"] == S.ACCEPTED_WARNINGS
    assert "band" in status.loc[warned, "reason"]
    assert status.loc[run["approved"], "status"] == S.ACCEPTED
    assert status.loc[run["approved"], "days_late"] == 0
    other = block_frame(run["control"], S.SUBMISSIONS_SHEET, S.OTHER_BLOCK, S.OTHER_COLUMNS)
    superseded = other[other.status == S.SUPERSEDED]
    assert len(superseded) == 1 and superseded.file.iloc[0].split("/")[-1].startswith("draft_")
    unclaimed = other[other.cost_center == S.UNCLAIMED].file.str.split("/").str[-1]
    assert set(unclaimed) == {"scan_0417.xlsx", "budget_export.xlsx", "volume_detail.xlsx",
                              "budget_2019.xls"}  # fmt: skip
    manager = load_control(run["control"])[0].organization.cost_center_by_code[run["late"][0]]
    assert status.loc[run["late"][0], "email"] == manager.owner_email


def test_a_resubmission_rejected_is_its_own_status(run, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(run["subs"], subs)
    cc = run["approved"]
    used = subs / run["second"].validation.accepted[cc].file
    wb = openpyxl.load_workbook(used)
    sheet, ref = next(iter(wb.defined_names["hb_fte"].destinations))
    wb[sheet][ref.replace("$", "").split(":")[0]].value = "twelve"  # the newer file is rejected
    wb.save(used.with_name(f"{cc}_FY2027_v1_fixed.xlsx"))
    control = tmp_path / "control.xlsx"
    shutil.copyfile(run["control"], control)
    consolidate(control, subs, as_of=AFTER_DUE)
    row = _status(control).loc[cc]  # read back from the sheet
    assert row.status == S.RESUBMISSION_REJECTED, row.reason
    assert row.reason.startswith(f"{Path(row.file).parent.as_posix()}/{cc}_FY2027_v1_fixed.xlsx: ")
    assert "not a number" in row.reason and row.file == used.relative_to(subs).as_posix()
    assert row.consolidated == "Yes" and row.review == "Approved"  # the used file is unchanged


def test_status_colours_and_legend(run) -> None:
    wb = openpyxl.load_workbook(run["control"])
    ws = wb[S.SUBMISSIONS_SHEET]
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == S.SUBMISSION_BLOCK)
    header = [c.value for c in rows[start + 1]]
    col, review = header.index("Status"), header.index("Review")
    for r in rows[start + 2 :]:
        if r[0].value is None:
            break
        look = S.RETURNED_LOOK if r[0].value == run["returned"] else r[col].value
        assert r[col].fill.fgColor.rgb[-6:] == S.COLOURS[look], r[0].value
        assert r[review].fill.fgColor.rgb[-6:] == "FFF2CC"  # the input cell keeps its fill
    legend = block_frame(run["control"], S.SUBMISSIONS_SHEET, S.LEGEND_BLOCK, S.LEGEND_COLUMNS)
    assert list(legend.status) == list(S.COLOURS)


def test_a_returned_cost_center_is_not_consolidated_and_the_review_is_audited(run) -> None:
    control, cc = run["control"], run["returned"]
    assert cc in run["first"].bottom_up and cc not in run["second"].bottom_up
    assert run["second"].returned == [cc]
    cons = block_frame(control, "Consolidated", CONSOLIDATED_BLOCK, CONSOLIDATED_COLUMNS)
    assert cc not in set(cons.code) and run["approved"] in set(cons.code)
    status = _status(control)
    assert status.loc[cc, ["review", "comment", "consolidated"]].tolist() == [
        "Returned", RETURN_COMMENT, "No"]  # fmt: skip
    assert status.loc[run["approved"], "review"] == "Approved"  # typed "approved"
    wb = openpyxl.load_workbook(control, read_only=True)
    log = [
        r[3] for r in wb["Audit Log"].iter_rows(values_only=True) if len(r) > 3 and r[1] == "review"
    ]
    wb.close()
    assert any(cc in t and "Returned" in t and RETURN_COMMENT in t for t in log)
    assert any(run["approved"] in t and "Approved" in t for t in log)


def _reviewed(control: Path, validation) -> S.SubmissionStatus:
    """The statuses with the reviews the control workbook holds (no new validation run)."""
    return S.submission_status(validation, S.read_reviews(open_control(control)), AFTER_DUE,
                               str(control))  # fmt: skip


def test_a_review_is_kept_across_runs_and_reset_by_a_newer_file(run, tmp_path: Path) -> None:
    control = tmp_path / "control.xlsx"
    shutil.copyfile(run["control"], control)
    subs = tmp_path / "subs"
    shutil.copytree(run["subs"], subs)
    cc = run["returned"]
    old_file = run["second"].validation.accepted[cc].file
    again = _reviewed(control, run["second"].validation)  # nothing typed since: it stays
    assert again.returned == [cc] and again.changes == [] and again.findings == []
    approved = tmp_path / "approved.xlsx"  # finance changes its mind: consolidated again
    shutil.copyfile(control, approved)
    _type_review(approved, cc, "Approved", "Checked with the manager: the hours are right.")
    changed = _reviewed(approved, run["second"].validation)
    assert changed.returned == [] and changed.changes == [f"{cc} ({old_file}) review Approved"]
    old = subs / run["second"].validation.accepted[cc].file
    newer = old.with_name(old.stem + "_resubmitted.xlsx")
    wb = openpyxl.load_workbook(old)
    wb.save(newer)  # saved later: the newer valid file is used and reviewed afresh
    resubmitted = consolidate(control, subs, as_of=AFTER_DUE)
    assert resubmitted.returned == [] and cc in resubmitted.bottom_up
    row = _status(control).loc[cc]
    assert row.file.endswith("_resubmitted.xlsx") and pd.isna(row.review)
    assert row.consolidated == "Yes"
    wb = openpyxl.load_workbook(control, read_only=True)
    log = [
        r[3] for r in wb["Audit Log"].iter_rows(values_only=True) if len(r) > 3 and r[1] == "review"
    ]
    wb.close()
    assert any(t.startswith(f"{cc}: review Returned") and "not carried over" in t for t in log)


def test_bad_review_input_is_a_finding_with_its_cell(run, tmp_path: Path) -> None:
    control = tmp_path / "control.xlsx"
    shutil.copyfile(run["control"], control)
    cell = _type_review(control, run["approved"], "OK by me", "")
    with pytest.raises(HybridBudgetError) as caught:
        consolidate(control, run["subs"], as_of=AFTER_DUE)  # refused: nothing is written
    bad = caught.value.findings[0]
    assert (bad.code, bad.sheet, bad.cell) == ("BAD_REVIEW", S.SUBMISSIONS_SHEET, cell)
    assert "OK by me" in bad.message and bad.file == str(control)
    validation = run["second"].validation
    cell = _type_review(control, run["approved"], "Returned", "")  # returned, nothing said
    assert [(f.code, f.cell) for f in _reviewed(control, validation).findings] == [
        ("BAD_REVIEW", cell)]  # fmt: skip
    shutil.copyfile(run["control"], control)
    cell = _type_review(control, run["late"][0], "Approved", "")  # nothing to approve
    assert [(f.code, f.cell) for f in _reviewed(control, validation).findings] == [
        ("BAD_REVIEW", cell)]  # fmt: skip


def test_chase_covers_exactly_the_late_rejected_and_returned(run) -> None:
    chased, status = run["chased"], _status(run["control"])
    # a rejected resubmission is chased too: the manager's newest file did not count
    rejected = set(status.index[status.status.isin([S.CC_REJECTED, S.RESUBMISSION_REJECTED])])
    assert chased.covered(LATE) == set(run["late"])
    assert chased.covered(REJECTED) == rejected and len(rejected) >= 15
    assert chased.covered(RETURNED_KIND) == {run["returned"]}
    drafts = _drafts(run["out"])
    chased_ccs = set(run["late"]) | rejected | {run["returned"]}
    emails = {status.loc[c, "email"] for c in chased_ccs}
    assert set(drafts) == emails  # one draft per manager, nobody else
    for cc in chased_ccs:
        msg = drafts[status.loc[cc, "email"]]
        assert msg["X-Unsent"] == "1" and msg[MARK] == "chase"
        assert msg["To"].addresses[0].display_name == status.loc[cc, "manager"]
        assert cc in msg.get_body(("plain",)).get_content()


def test_chase_attachments(run) -> None:
    status, drafts, subs = _status(run["control"]), _drafts(run["out"]), run["subs"]
    for cc in run["late"]:  # the blank template, byte for byte
        got = _attachments(drafts[status.loc[cc, "email"]])
        blank = next(run["templates"].rglob(f"{cc}_FY2027_v1.xlsx"))
        assert _sha(got[blank.name]) == _sha(blank.read_bytes())
    cc = run["returned"]  # their own submission, and finance's comment in the text
    msg = drafts[status.loc[cc, "email"]]
    sent = subs / status.loc[cc, "file"]
    assert _sha(_attachments(msg)[sent.name]) == status.loc[cc, "sha256"]
    assert RETURN_COMMENT in msg.get_body(("plain",)).get_content()
    result = run["chased"].status
    for row in result.rows[result.rows.status == S.CC_REJECTED].itertuples():
        msg = drafts[row.email]
        copy = run["out"] / "feedback" / row.chase_file
        got = _attachments(msg)
        assert _sha(got[copy.name]) == _sha(copy.read_bytes()), row.cost_center
        text = msg.get_body(("plain",)).get_content()
        assert row.reason.split(";")[0][:40] in text.replace("\n", " "), row.cost_center


def test_chase_again_replaces_its_drafts_only(run, tmp_path: Path) -> None:
    out = tmp_path / "drafts"
    shutil.copytree(run["out"], out)
    mine = out / "mine.eml"
    mine.write_text("To: someone@x.org\n\nmy own draft\n")
    stale = out / "gone@riverbend.org.eml"
    shutil.copyfile(next(out.glob("*@*.eml")), stale)
    chase(run["control"], run["subs"], out, templates=run["templates"], as_of=AFTER_DUE)
    assert mine.is_file() and not stale.exists()
    assert set(_drafts(out)) - {"someone@x.org"} == set(_drafts(run["out"]))


def test_nobody_is_late_before_the_due_date(run, tmp_path: Path) -> None:
    early = chase(run["control"], run["subs"], tmp_path / "d", templates=run["templates"],
                  as_of=dt.date(2026, 12, 15))  # fmt: skip
    assert early.covered(LATE) == set() and set(early.not_due) == set(run["late"])


def test_malformed_manager_email_is_a_finding_with_its_cell(tmp_path: Path, sample_copy) -> None:
    path = sample_copy / "organization" / "cost_centers.csv"
    rows = list(csv.DictReader(path.open()))
    rows[3]["owner_email"] = "jane.doe at riverbend"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(HybridBudgetError) as caught:
        init_control(sample_copy, tmp_path / "control.xlsx")
    bad = [f for f in caught.value.findings if f.code == "BAD_EMAIL"]
    assert len(bad) == 1 and "jane.doe at riverbend" in bad[0].message
    assert bad[0].cell or "line" in bad[0].sentence()


def test_chase_command_line(run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "drafts"
    argv = ["chase", "--control", str(run["control"]), "--submissions", str(run["subs"]),
            "--out", str(out), "--templates", str(run["templates"]), "--as-of", "2026-12-20",
            "--from", "Finance <budget@riverbendhealth.org>"]  # fmt: skip
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert f"Late: 2 cost centers ({', '.join(run['late'])})." in said
    assert f"Returned: 1 cost center ({run['returned']})." in said
    assert f"Wrote {len(run['chased'].drafts)} e-mail drafts to {out}; nothing was sent." in said
    assert "scan_0417.xlsx" in said  # a file nobody can be chased for is named, not dropped
    msg = next(iter(_drafts(out).values()))
    assert msg["From"].addresses[0].addr_spec == "budget@riverbendhealth.org"
    with pytest.raises(SystemExit) as bad:
        main([*argv[:-4], "--as-of", "20 December"])
    assert bad.value.code == 2
    none = ["--templates", str(tmp_path / "none"), "--as-of", "2026-12-20"]
    assert main([*argv[:6], str(out), *none]) == 1
    assert "no blank template" in capsys.readouterr().err


def test_status_fills_leave_the_input_cells_alone(run) -> None:
    status = run["chased"].status
    sheet = S.submissions_sheet(status, "now", "summary")
    grid = layout(sheet)
    inputs = {i for i, c in enumerate(S.SUBMISSION_COLUMNS, 1) if c.editable}
    assert inputs == {10, 11}  # Review, Review comment
    first = grid.blocks[0].header_row + 1
    row = [(a, rgb) for a, rgb in grid.fills if a.row == first]
    assert [(a.col, a.last_col) for a, _ in row] == [(1, 9), (12, len(S.SUBMISSION_COLUMNS))]
    assert {rgb for _, rgb in row} == {S.COLOURS[status.rows.status.iloc[0]]}


def test_malformed_email_on_the_organization_sheet_is_named_by_cell(control_copy: Path) -> None:
    wb = openpyxl.load_workbook(control_copy)
    ws = wb["Organization"]
    cell = next(c for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.endswith("@riverbendhealth.org"))  # fmt: skip
    cell.value = "Jane Doe <jane.doe@riverbendhealth.org>"  # a display name: not one address
    wb.save(control_copy)
    with pytest.raises(HybridBudgetError) as caught:
        load_control(control_copy)
    bad = caught.value.findings
    assert [(f.code, f.sheet, f.cell) for f in bad] == [("BAD_EMAIL", "Organization",
                                                        cell.coordinate)]  # fmt: skip

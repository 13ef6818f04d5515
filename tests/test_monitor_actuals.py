"""Issue 7: actuals import, flexible-budget variance and its split, triggers and actions."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hybridbudget.cli import main
from hybridbudget.control import actions_sheet as AS
from hybridbudget.control import actuals_sheets as A
from hybridbudget.control.audit import read_audit
from hybridbudget.control.file_book import FileControlBook
from hybridbudget.engine import triggers as T
from hybridbudget.engine.drivers import Drivers, StaffDrivers
from hybridbudget.engine.variance_split import (
    EFFECT_KEYS,
    FIXED_LINES,
    accuracy_share,
    variance_detail,
)
from hybridbudget.errors import HybridBudgetError
from hybridbudget.model import EscalationLevel
from hybridbudget.model.line_items import LINE_ITEM_CODES, MONTHS
from hybridbudget.paths import BUNDLED_SAMPLE
from hybridbudget.sample import write_actuals
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.sample.workshop import run_workshop
from hybridbudget.steps import plan as P
from hybridbudget.steps.actuals import import_actuals
from hybridbudget.steps.consolidate import consolidate
from hybridbudget.steps.variance import MONTH_BLOCK, VARIANCE_COLUMNS, VARIANCE_SHEET, YTD_BLOCK
from hybridbudget.steps.variance import variance as run_variance
from hybridbudget.workbook.package import sheet_xml
from sheets import block_frame, cents

ACCOUNTS = pd.read_csv(BUNDLED_SAMPLE / "finance/account_map.csv", dtype=str).set_index("account")[
    "line_item"
]
LEVELS = (
    EscalationLevel(level=1, role="Service line director", pct=0.05, amount=50000.0, decides="a"),
    EscalationLevel(level=2, role="VP Finance", pct=0.10, amount=250000.0, decides="b"),
    EscalationLevel(level=3, role="CFO", pct=0.20, amount=1000000.0, decides="c"),
)


def locked_control(root: Path, tmp_path_factory, control_path: Path, templates_dir: Path) -> Path:
    """A copy (in `root`) of a control workbook taken through the cycle to Locked Plan v1, built
    once per test run and shared by the xdist workers (a lock file orders them)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "monitor-locked"
    shared.mkdir(exist_ok=True)
    built = shared / "control.xlsx"
    while True:
        try:
            fd = os.open(shared / ".lock", os.O_CREAT | os.O_EXCL)
            break
        except FileExistsError:
            time.sleep(0.2)
    try:
        if not built.exists():
            work = shared / "work.xlsx"
            shutil.copyfile(control_path, work)
            fill_submissions(templates_dir, shared / "subs", seed=7, control=work)
            consolidate(work, shared / "subs")
            run_workshop(work)
            P.apply_decisions(work)
            P.lock(work, user="test", force_reason="tests")
            work.rename(built)
    finally:
        os.close(fd)
        (shared / ".lock").unlink()
    control = root / "control.xlsx"
    shutil.copyfile(built, control)
    return control


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("actuals")
    write_actuals(BUNDLED_SAMPLE, 2027, [1, 2, 3], out, seed=2027, drift=0.03)
    return out


@pytest.fixture(scope="module")
def monitored(tmp_path_factory, control_path, templates_dir, extracts) -> dict:
    root = tmp_path_factory.mktemp("monitored")
    control = locked_control(root, tmp_path_factory, control_path, templates_dir)
    book = FileControlBook(control)
    before = P.plan_hash(P.read_plan_sheet(book, "Locked Plan v1"))
    xml = sheet_xml(control, "Locked Plan v1")
    clean = root / "clean.xlsx"
    shutil.copyfile(control, clean)
    imports = [import_actuals(control, extracts, f"2027-0{m}") for m in (1, 2)]
    results = [run_variance(control, f"2027-0{m}") for m in (1, 2)]
    return {"control": control, "clean": clean, "hash": before, "xml": xml,
            "imports": imports, "results": results}  # fmt: skip


def gl_totals(path: Path) -> dict[str, int]:
    """Line item -> cents from a GL extract, revenue positive (independent of the engine)."""
    out = dict.fromkeys(LINE_ITEM_CODES, 0)
    for r in csv.DictReader(path.open()):
        li = ACCOUNTS[r["ACCOUNT"]]
        out[li] += cents([r["AMOUNT"]]) * (-1 if li == "REV" else 1)
    return out


def test_import_stores_each_month_tied_to_its_extracts(monitored, extracts):
    control = monitored["control"]
    stored = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    imports = block_frame(control, A.IMPORTS_SHEET, A.IMPORTS_BLOCK, A.IMPORT_COLUMNS)
    for month in ("2027-01", "2027-02"):
        rows = stored[stored.period == month]
        assert len(rows) == 54
        expected = gl_totals(extracts / f"gl_actuals_{month}.csv")
        for li in LINE_ITEM_CODES:
            assert cents(rows[li]) == expected[li], (month, li)
        ehr = pd.read_csv(extracts / f"ehr_volumes_{month}.csv")
        assert rows.UOS.sum() == ehr.VOLUME.sum()
        files = imports[imports.month == month]
        assert sorted(files.kind) == ["ehr", "gl", "payroll"]
        for r in files.itertuples():
            assert r.sha256 == hashlib.sha256(Path(r.file).read_bytes()).hexdigest()
    staff = block_frame(control, A.STAFF_SHEET, A.STAFF_BLOCK, A.STAFF_COLUMNS)
    pay = pd.read_csv(extracts / "payroll_2027-01.csv")
    jan = staff[staff.period == "2027-01"]
    assert cents(jan.OT_AMOUNT) == cents(pay[pay.EARN_TYPE == "OT"].AMOUNT)
    assert round(jan.REG_HOURS.sum(), 2) == round(pay[pay.EARN_TYPE == "REG"].HOURS.sum(), 2)
    assert all(not r.findings for r in monitored["imports"])


def test_locked_plan_hash_unchanged_after_imports_and_variance(monitored):
    control = monitored["control"]
    book = FileControlBook(control)
    assert P.plan_hash(P.read_plan_sheet(book, "Locked Plan v1")) == monitored["hash"]
    assert sheet_xml(control, "Locked Plan v1") == monitored["xml"]
    assert P.locked_versions(book) == [1]


def test_month_already_imported_is_refused_and_reimport_is_idempotent(
    monitored, extracts, tmp_path
):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(monitored["control"], control)
    with pytest.raises(HybridBudgetError, match=r"2027-01 was already imported.*--replace"):
        import_actuals(control, extracts, "2027-01")
    sheets = (A.ACTUALS_SHEET, A.STAFF_SHEET)
    before = {s: sheet_xml(control, s) for s in sheets}
    stored = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    result = import_actuals(control, extracts, "2027-01", replace=True)
    assert result.replaced
    assert {s: sheet_xml(control, s) for s in sheets} == before
    again = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    pd.testing.assert_frame_equal(stored, again)
    audit = read_audit(FileControlBook(control))
    assert "re-imported (files unchanged)" in audit.detail.iloc[-1]
    assert (audit.step == "import actuals").sum() == 3


def test_corrected_month_replaces_that_month_only(monitored, extracts, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(monitored["control"], control)
    fixed = tmp_path / "fixed"
    shutil.copytree(extracts, fixed)
    gl = pd.read_csv(fixed / "gl_actuals_2027-02.csv", dtype=str)
    sup_account = "7000"
    row = gl.index[(sup_account == gl.ACCOUNT)][0]
    gl.loc[row, "AMOUNT"] = f"{float(gl.loc[row, 'AMOUNT']) + 1234.56:.2f}"
    gl.to_csv(fixed / "gl_actuals_2027-02.csv", index=False)
    before = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    import_actuals(control, fixed, "2027-02", replace=True)
    after = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    jan = [f[f.period == "2027-01"].reset_index(drop=True) for f in (before, after)]
    pd.testing.assert_frame_equal(*jan)
    feb = [f[f.period == "2027-02"] for f in (before, after)]
    code = ACCOUNTS[sup_account]
    assert cents(feb[1][code]) - cents(feb[0][code]) == 123456
    assert (
        "re-imported with corrected files" in read_audit(FileControlBook(control)).detail.iloc[-1]
    )


def test_unknown_and_duplicate_rows_are_reported_never_merged(monitored, extracts, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(monitored["clean"], control)
    bad = tmp_path / "bad"
    bad.mkdir()
    for kind in ("ehr_volumes", "payroll", "gl_actuals"):
        shutil.copyfile(extracts / f"{kind}_2027-01.csv", bad / f"{kind}_2027-01.csv")
    gl = pd.read_csv(bad / "gl_actuals_2027-01.csv", dtype=str)
    extra = pd.DataFrame([
        {"PERIOD": "2027-01", "COST_CENTER": "XXX-99999", "ACCOUNT": "7000", "AMOUNT": "500.00"},
        {"PERIOD": "2027-01", "COST_CENTER": gl.COST_CENTER[0], "ACCOUNT": "9999", "AMOUNT": "7.00"},
        gl.iloc[1].to_dict() | {"AMOUNT": "999999.99"},  # a duplicate key with another amount
        gl.iloc[2].to_dict() | {"PERIOD": "2027-02"},
    ])  # fmt: skip
    pd.concat([gl, extra]).to_csv(bad / "gl_actuals_2027-01.csv", index=False)
    pay = pd.read_csv(bad / "payroll_2027-01.csv", dtype=str)
    pd.concat([pay, pay.iloc[[0]].assign(JOB_CODE="ZZZ999")]).to_csv(
        bad / "payroll_2027-01.csv", index=False
    )
    result = import_actuals(control, bad, "2027-01")
    codes = sorted(f.code for f in result.findings if f.code.startswith("UNMAPPED"))
    assert codes == ["UNMAPPED_GL"] * 4 + ["UNMAPPED_PAYROLL"]
    text = " | ".join(f.message for f in result.findings)
    assert "unknown cost center 'XXX-99999'" in text and "account '9999'" in text
    assert "duplicate row" in text and "left out" in text and "not the month imported" in text
    assert "unknown job code 'ZZZ999'" in text
    stored = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    expected = gl_totals(extracts / "gl_actuals_2027-01.csv")
    for li in LINE_ITEM_CODES:
        assert cents(stored[li]) == expected[li], li  # nothing extra merged in
    issues = block_frame(control, A.ISSUES_SHEET, A.ISSUES_BLOCK, A.ISSUE_COLUMNS)
    assert len(issues) == len(result.findings) and set(issues.month) == {"2027-01"}


def test_xlsx_extracts_import_exactly_like_csv(monitored, extracts, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(monitored["clean"], control)
    folder = tmp_path / "xlsx"
    folder.mkdir()
    for kind in ("ehr_volumes", "payroll", "gl_actuals"):
        frame = pd.read_csv(extracts / f"{kind}_2027-01.csv", dtype=str)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([float(v) if k in ("VOLUME", "HOURS", "AMOUNT") else v
                       for k, v in zip(frame.columns, row, strict=True)])  # fmt: skip
        ws["A2" if kind != "ehr_volumes" else "B2"] = pd.Timestamp("2027-01-01").to_pydatetime()
        wb.save(folder / f"{kind}_2027-01.xlsx")
    result = import_actuals(control, folder, "2027-01")
    assert not result.findings
    got = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    want = block_frame(monitored["control"], A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    pd.testing.assert_frame_equal(got, want[want.period == "2027-01"].reset_index(drop=True))


def test_variance_splits_add_up_exactly_month_and_ytd(monitored):
    control = monitored["control"]
    for title in (MONTH_BLOCK, YTD_BLOCK):
        v = block_frame(control, VARIANCE_SHEET, title, VARIANCE_COLUMNS)
        assert len(v) == 54 * 13
        for r in v.itertuples():
            effects = cents([getattr(r, k) for k in EFFECT_KEYS])
            assert cents([r.actual]) - cents([r.plan]) == effects == cents([r.variance])
            assert cents([r.flex]) - cents([r.plan]) == cents([r.volume])
            if r.line_item in FIXED_LINES:
                assert cents([r.flex]) == cents([r.plan]) and r.volume == 0
    result = monitored["results"][1]
    d = result.detail
    ytd = d.groupby(["cost_center", "line_item"])[["plan", "actual", *EFFECT_KEYS]].sum()
    view = result.ytd_view.set_index(["cost_center", "line_item"]).reindex(ytd.index)
    for key in ("plan", "actual", *EFFECT_KEYS):
        assert (ytd[key] == (view[key] * 100).round().astype(int)).all(), key


def test_flexible_budget_and_effects_by_hand():
    volume = (100.0,) * 12
    drivers = Drivers(volume=volume, revenue_per_uos=1000.0, productive_ratio=0.9,
                      benefits_load=0.25, staffing={"RN": StaffDrivers(fte=10, wage_rate=30),
                                                    "MGMT": StaffDrivers(fte=1, wage_rate=45)},
                      supplies_per_uos=120.0, drugs_per_uos=0.0, purchased_services=60000.0,
                      other_expense=0.0)  # fmt: skip
    monthly = {"REV": 100000, "SAL_RN": 52000, "SAL_MGMT": 8000, "BEN": 15600, "SUP": 12000,
               "PUR": 5000}  # fmt: skip
    plan = pd.DataFrame([
        {"cost_center": "CC", "line_item": li, "annual": monthly.get(li, 0) * 12}
        | {f"m{i:02d}": monthly.get(li, 0) for i in range(1, 13)} for li in LINE_ITEM_CODES
    ])  # fmt: skip
    actual = {"REV": 105000, "SAL_RN": 60000, "SAL_MGMT": 8200, "BEN": 16000, "SUP": 13000,
              "PUR": 5500}  # fmt: skip
    act = pd.DataFrame([{"cost_center": "CC", "period": "2027-01", "UOS": 110.0}
                        | {li: float(actual.get(li, 0)) for li in LINE_ITEM_CODES}])  # fmt: skip
    zero = dict.fromkeys(A.STAFFING_COLUMNS, 0.0)
    staff = pd.DataFrame([
        {"cost_center": "CC", "period": "2027-01", "job_class": "RN"} | zero
        | {"REG_HOURS": 1600.0, "OT_HOURS": 100.0},
        {"cost_center": "CC", "period": "2027-01", "job_class": "MGMT"} | zero
        | {"REG_HOURS": 160.0},
    ])  # fmt: skip
    d = variance_detail(plan, {"CC": drivers}, act, staff, ["2027-01"]).set_index("line_item")
    expected = {  # flex, volume, efficiency, rate, spending (cents)
        "REV": (11000000, 1000000, 0, -500000, 0),
        "SAL_RN": (5720000, 520000, -53333, 333333, 0),
        "SAL_MGMT": (800000, 0, 20513, -513, 0),
        "BEN": (1695200, 135200, 0, 0, -95200),  # follows salaries: 15,600 x 65,200 / 60,000
        "SUP": (1320000, 120000, 0, 0, -20000),
        "PUR": (500000, 0, 0, 0, 50000),
    }
    for li, (flex, vol, eff, rate, spend) in expected.items():
        row = d.loc[li]
        assert (row.flex, row.volume, row.efficiency, row.rate, row.spending) == (
            flex, vol, eff, rate, spend), li  # fmt: skip
        assert row.actual - row.plan == vol + eff + rate + spend


@pytest.mark.parametrize(
    ("line", "flex", "actual", "level"),
    [
        ("SUP", 1_000_000.00, 1_049_999.99, 0),  # $ just below 50,000 (5.0%)
        ("SUP", 1_000_000.00, 1_050_000.00, 1),  # at both thresholds
        ("SUP", 1_000_000.00, 1_050_000.01, 1),  # just above
        ("SUP", 2_000_000.00, 2_099_999.99, 0),  # % just below 5% ($ far above)
        ("SUP", 2_000_000.00, 2_100_000.00, 1),
        ("SUP", 2_000_000.00, 2_100_000.01, 1),
        ("SUP", 100_000.00, 149_999.99, 0),  # 50% but $ just below
        ("SUP", 100_000.00, 150_000.00, 3),  # 50%: the CFO's percent ('either'; 'both': 1)
        ("SUP", 2_500_000.00, 2_750_000.00, 2),  # 10% and $250,000: the VP level
        ("SUP", 1_000_000.00, 900_000.00, 0),  # favourable: cost under budget
        ("REV", 1_000_000.00, 950_000.00, 1),  # revenue under budget
        ("REV", 1_000_000.00, 1_100_000.00, 0),  # revenue over budget: favourable
    ],
)
def test_triggers_fire_exactly_at_the_thresholds(line, flex, actual, level):
    rows = pd.DataFrame([{"cost_center": "CC", "line_item": line, "flex": flex, "actual": actual}])
    found = T.find_breaches(rows, "2027-01", LEVELS)
    assert [b.level for b in found] == ([level] if level else [])


def test_actions_carry_over_escalate_and_reopen():
    names = {"CC": ("Unit", "Ann Manager")}

    def breach(month: str, level: int = 1) -> T.Breach:
        return T.Breach("CC", "SUP", month, 1_000_000.0, 1_060_000.0, level)

    acts, changes = T.update_actions(pd.DataFrame(columns=T.ACTION_KEYS), [breach("2027-01")],
                                     LEVELS, names)  # fmt: skip
    assert len(acts) == 1 and changes
    a = acts.iloc[0]
    assert (a.id, a.owner, a.level, a.escalated_to, a.status) == (
        "ACT-0001",
        "Ann Manager",
        1,
        "Service line director",
        "open",
    )
    assert str(a.due) == "2027-03-02" and "6.0% and $60,000 over" in a.trigger
    same, changes = T.update_actions(acts, [breach("2027-01")], LEVELS, names)
    assert not changes and same.iloc[0].level == 1  # re-running a month never escalates
    acts, _ = T.update_actions(acts, [breach("2027-02")], LEVELS, names)
    a = acts.iloc[0]
    assert (len(acts), a.level, a.escalated_to, a.breaches) == (1, 2, "VP Finance", 2)
    assert "escalated to level 2" in a.history and str(a.due) == "2027-03-30"
    acts, _ = T.update_actions(acts, [breach("2027-03")], LEVELS, names)
    acts, _ = T.update_actions(acts, [breach("2027-04")], LEVELS, names)
    assert acts.iloc[0].level == 3  # the top level is the ceiling
    acts.loc[0, "status"] = "closed"
    acts, _ = T.update_actions(acts, [breach("2027-05")], LEVELS, names)
    assert list(acts.id) == ["ACT-0001", "ACT-0002"] and acts.iloc[1].level == 1


def test_actions_sheet_keeps_typed_status_and_notes(monitored, tmp_path):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(monitored["control"], control)
    acts = block_frame(control, AS.ACTIONS_SHEET, AS.ACTIONS_BLOCK, AS.ACTION_COLUMNS)
    assert len(acts) >= 1 and set(acts.status) == {"open"}
    assert set(acts.opened) <= {"2027-01", "2027-02"}

    def type_on_sheet(**cells: str) -> None:  # as a person would, in the first action's row
        book = FileControlBook(control)  # as saved by the last step (a stale one is refused)
        frame = AS.read_actions(book)
        for key, value in cells.items():
            frame.loc[0, key] = value
        book.write_sheets([AS.actions_sheet(frame, "2027-02", LEVELS)], "test")

    type_on_sheet(note="staffing plan agreed", status="closed")
    run_variance(control, "2027-02")
    again = block_frame(control, AS.ACTIONS_SHEET, AS.ACTIONS_BLOCK, AS.ACTION_COLUMNS)
    assert again.note.iloc[0] == "staffing plan agreed" and again.status.iloc[0] == "closed"
    assert len(again) == len(acts)
    type_on_sheet(status="done?")
    with pytest.raises(HybridBudgetError, match="not open or closed") as err:
        run_variance(control, "2027-02")
    column = next(i for i, c in enumerate(AS.ACTION_COLUMNS) if c.key == "status")
    assert err.value.findings[0].cell.startswith(openpyxl.utils.get_column_letter(column + 1))


def test_forecast_accuracy_counts_core_items_within_3_percent():
    rows = [("A", "REV", 10300, 10000), ("A", "SAL_RN", 5000, 4000), ("A", "SAL_CNA", 5300, 6000),
            ("A", "SUP", 0, 0), ("B", "DRG", 10301, 10000), ("B", "PUR", 1, 99)]  # fmt: skip
    view = pd.DataFrame(rows, columns=["cost_center", "line_item", "plan", "actual"])
    # within: A REV (3.00%), A salaries (10,300 vs 10,000); not: B DRG (3.01%); SUP both zero skipped
    assert accuracy_share(view) == pytest.approx(2 / 3)


def test_variance_needs_a_locked_plan_and_the_months(control_copy, monitored, extracts):
    with pytest.raises(HybridBudgetError, match="no locked plan"):
        run_variance(control_copy)
    with pytest.raises(HybridBudgetError, match="not imported"):
        run_variance(monitored["control"], "2027-03")
    with pytest.raises(HybridBudgetError, match="YYYY-MM"):
        import_actuals(monitored["control"], extracts, "2027-1")
    with pytest.raises(HybridBudgetError, match="budget year 2027"):
        import_actuals(monitored["control"], extracts, "2026-12")


def test_cli_imports_and_reports(monitored, extracts, tmp_path, capsys):
    control = tmp_path / "control.xlsx"
    shutil.copyfile(monitored["control"], control)
    args = ["actuals", "import", str(extracts), "--month", "2027-03", "--control", str(control)]
    assert main(args) == 0
    assert "Imported actuals for 2027-03" in capsys.readouterr().out
    assert main(args) == 1
    assert "--replace" in capsys.readouterr().err
    assert main(["variance", "--control", str(control)]) == 0
    out = capsys.readouterr().out
    assert "Variance 2027-03 against Locked Plan v1" in out and MONTHS[2] not in out

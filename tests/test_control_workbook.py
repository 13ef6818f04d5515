"""Issue 2: the control workbook built from the sample, read back and checked against the extracts."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import CLI
from hybridbudget.control import schema as L
from hybridbudget.control.load import load_control
from hybridbudget.engine.targets import build_targets
from hybridbudget.errors import HybridBudgetError
from hybridbudget.model.line_items import HOURS_PER_FTE, JOB_CLASSES, LINE_ITEM_CODES
from hybridbudget.sample import write_sample
from hybridbudget.sources.readers import load_sources
from hybridbudget.steps.init import init_control
from sheets import block_frame, cents


@pytest.fixture(scope="module")
def history_sheet(control_path: Path) -> pd.DataFrame:
    return block_frame(control_path, L.HISTORY, L.HISTORY_BLOCK, L.HISTORY_COLUMNS)


@pytest.fixture(scope="module")
def staffing_sheet(control_path: Path) -> pd.DataFrame:
    return block_frame(control_path, L.STAFFING_HISTORY, L.STAFFING_BLOCK, L.STAFFING_COLUMNS)


def test_history_ties_to_the_gl_extract_to_the_cent(sample_dir, history_sheet):
    gl = pd.read_csv(sample_dir / "extracts/gl_actuals_2026.csv", dtype=str)
    accounts = pd.read_csv(sample_dir / "finance/account_map.csv", dtype=str)
    gl["line_item"] = gl["ACCOUNT"].map(
        dict(zip(accounts.account, accounts.line_item, strict=True))
    )
    assert gl["line_item"].notna().all()
    for code in LINE_ITEM_CODES:
        raw = cents(gl.loc[gl.line_item == code, "AMOUNT"])
        if code == "REV":
            raw = -raw  # GL revenue is a credit
        assert cents(history_sheet[code]) == raw, code
    # and per cost center for one line
    per_cc = gl[gl.line_item == "SUP"].groupby("COST_CENTER")["AMOUNT"].apply(cents)
    sheet = history_sheet.groupby("cost_center")["SUP"].apply(cents)
    assert (sheet[per_cc.index] == per_cc).all()


def test_history_ties_to_the_payroll_and_ehr_extracts(sample_dir, history_sheet, staffing_sheet):
    pay = pd.read_csv(sample_dir / "extracts/payroll_2026.csv", dtype={"AMOUNT": str})
    for earn in ("REG", "OT", "PTO", "AGY"):
        rows = pay[earn == pay.EARN_TYPE]
        assert cents(staffing_sheet[f"{earn}_AMOUNT"]) == cents(rows.AMOUNT), earn
        assert staffing_sheet[f"{earn}_HOURS"].sum() == pytest.approx(rows.HOURS.sum(), abs=0.01)
    ehr = pd.read_csv(sample_dir / "extracts/ehr_volumes_2026.csv")
    assert history_sheet["UOS"].sum() == ehr["VOLUME"].sum()
    assert len(history_sheet) == 12 * history_sheet["cost_center"].nunique()


def test_targets_follow_the_documented_method(control_path, history_sheet, staffing_sheet):
    ref, _ = load_control(control_path)
    g, infl = ref.config.guardrails, ref.config.inflation
    targets = block_frame(control_path, L.TARGETS, L.TARGET_BLOCK, L.TARGET_COLUMNS)
    drivers = block_frame(control_path, L.TARGET_DRIVERS, L.DRIVER_BLOCK, L.DRIVER_COLUMNS)
    staff = block_frame(
        control_path, L.TARGET_STAFFING, L.TARGET_STAFF_BLOCK, L.TARGET_STAFF_COLUMNS
    )
    checked = set()
    for cc in ref.organization.cost_centers:
        kind = cc.cost_center_type.value
        if kind in checked:
            continue
        checked.add(kind)
        code = cc.cost_center_code
        h = history_sheet[history_sheet.cost_center == code].sort_values("period")
        growth = {
            "inpatient": g.inpatient_admissions_growth,
            "support": g.inpatient_admissions_growth,
            "outpatient": g.outpatient_utilization_growth,
            "ancillary": (g.inpatient_admissions_growth + g.outpatient_utilization_growth) / 2,
        }[kind]
        # 1. volume: month by month, whole units
        target_uos = sum(int(Decimal(str(v * (1 + growth))).quantize(Decimal(1), "ROUND_HALF_UP"))
                         for v in h.UOS)  # fmt: skip
        d = drivers[drivers.cost_center == code].iloc[0]
        assert d.uos_target == target_uos
        # 2. net revenue per UOS
        py_rate = round(h.REV.sum() / h.UOS.sum(), 2) if h.UOS.sum() else 0.0
        assert d.rev_per_uos == pytest.approx(round(py_rate * (1 + g.net_revenue_rate_change), 2))
        t = targets[targets.cost_center == code].set_index("line_item")
        assert t.loc["REV", "annual"] == pytest.approx(
            round(target_uos * d.rev_per_uos, 2), abs=0.005
        )
        # 3. staffing: RN FTEs from worked hours per UOS moved by the intensity driver
        s = staffing_sheet[(staffing_sheet.cost_center == code)].set_index("job_class")
        paid = (s.REG_HOURS + s.OT_HOURS + s.PTO_HOURS).sum()
        ratio = round((s.REG_HOURS + s.OT_HOURS).sum() / paid, 4)
        rn_worked = s.loc["RN", "REG_HOURS"] + s.loc["RN", "OT_HOURS"]
        st = staff[staff.cost_center == code].set_index("job_class")
        if h.UOS.sum() and rn_worked:
            expect = rn_worked / h.UOS.sum() * (1 + g.labor_intensity_change) * target_uos
            assert st.loc["RN", "fte"] == pytest.approx(expect / ratio / HOURS_PER_FTE, abs=0.006)
        assert st.loc["MGMT", "fte"] == pytest.approx(
            round((s.loc["MGMT", ["REG_HOURS", "OT_HOURS", "PTO_HOURS"]].sum()) / HOURS_PER_FTE, 2)
        )
        # wages move with wage inflation
        reg_pto = s.loc["RN", "REG_HOURS"] + s.loc["RN", "PTO_HOURS"]
        if reg_pto:
            py_wage = round((s.loc["RN", "REG_AMOUNT"] + s.loc["RN", "PTO_AMOUNT"]) / reg_pto, 2)
            assert st.loc["RN", "wage_rate"] == pytest.approx(round(py_wage * (1 + infl.wages), 2))
        # 5. purchased services and other expense move with their inflation
        assert t.loc["PUR", "annual"] == pytest.approx(
            round(h.PUR.sum() * (1 + infl.purchased_services), 2), abs=0.005
        )
        # months add up to the year
        months = [f"m{i:02d}" for i in range(1, 13)]
        assert cents(t.loc["SUP", months]) == cents([t.loc["SUP", "annual"]])
    assert checked == {"inpatient", "outpatient", "ancillary", "support"}


def test_system_totals_reconcile_with_the_margin_target(control_path):
    ref, history = load_control(control_path)
    targets = block_frame(control_path, L.TARGETS, L.TARGET_BLOCK, L.TARGET_COLUMNS)
    margin = block_frame(control_path, L.TARGETS, L.MARGIN_BLOCK, L.MARGIN_COLUMNS)
    system = margin[margin.level == "System"].iloc[0]
    revenue = cents(targets.loc[targets.line_item == "REV", "annual"])
    expense = cents(targets.loc[targets.line_item != "REV", "annual"])
    assert cents([system.revenue]) == revenue
    assert cents([system.expense]) == expense
    goal = ref.config.guardrails.operating_margin_target
    assert system.gap == pytest.approx((revenue - expense) / 100 - round(revenue / 100 * goal, 2))
    entities = margin[margin.level == "Entity"]
    assert cents(entities.margin) == cents([system.margin])
    # the engine recomputes the same figures from what it reads back
    assert build_targets(ref, history).margin_reconciliation()["gap"] == pytest.approx(system.gap)


def test_control_workbook_has_every_sheet_and_governance_content(control_path):
    wb = openpyxl.load_workbook(control_path, read_only=True)
    names = wb.sheetnames
    wb.close()
    for sheet in (L.GUARDRAILS, L.ORGANIZATION, L.HISTORY, L.TARGETS, L.ASSUMPTIONS, L.GLOSSARY,
                  L.DECISION_GUIDE):  # fmt: skip
        assert sheet in names
    glossary = block_frame(control_path, L.GLOSSARY, L.GLOSSARY_BLOCK, L.GLOSSARY_COLUMNS)
    assert {"FTE", "Worked hours per UOS", "Divergence"} <= set(glossary.field)
    assert glossary[["definition", "owner", "source", "cadence"]].notna().all().all()
    guide = block_frame(control_path, L.DECISION_GUIDE, L.ESCALATION_BLOCK, L.ESCALATION_COLUMNS)
    assert list(guide.level) == [1, 2, 3]


# --- bad edits in Excel are rejected with a clear message -------------------------------------


def edited(control_path: Path, tmp_path: Path, edit) -> Path:
    path = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(control_path)
    edit(wb)
    wb.save(path)
    return path


def find(ws, value) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell.row, cell.column
    raise AssertionError(value)


def _text_in_numeric(wb):
    ws = wb[L.ORGANIZATION]
    r, c = find(ws, "RMC")
    ws.cell(r, c + 3).value = "two hundred fifty"


def _duplicate_cost_center(wb):
    ws = wb[L.ORGANIZATION]
    r, c = find(ws, "RMC-03100")
    ws.cell(r, c).value = "RMC-03000"


def _unknown_service_line(wb):
    ws = wb[L.ORGANIZATION]
    r, c = find(ws, "RMC-03100")
    ws.cell(r, c + 2).value = "RMC-NOPE"


def _missing_sheet(wb):
    del wb[L.GUARDRAILS]


def _missing_column(wb):
    ws = wb[L.ORGANIZATION]
    r, c = find(ws, "Manager email")
    ws.cell(r, c).value = "Email"


def _text_guardrail(wb):
    ws = wb[L.GUARDRAILS]
    r, _ = find(ws, "guardrails.capital_envelope")
    ws.cell(r, 3).value = "lots"


def _text_in_history(wb):
    ws = wb[L.HISTORY]
    ws["E20"] = "n/a"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_text_in_numeric, ["Organization", "cell D", "beds", "two hundred fifty"]),
        (_duplicate_cost_center, ["Organization", "cell A", "duplicate cost center 'RMC-03000'"]),
        (_unknown_service_line, ["Organization", "cell C", "unknown service line 'RMC-NOPE'"]),
        (_missing_sheet, ["the sheet 'Guardrails' is missing"]),
        (_missing_column, ["sheet Organization", "column 'Manager email' is missing"]),
        (_text_guardrail, ["Guardrails", "cell C", "capital_envelope", "lots"]),
        (_text_in_history, ["History", "cell E20", "not a number"]),
    ],
)
def test_bad_edits_are_rejected_with_sheet_and_cell(control_path, tmp_path, edit, expected):
    path = edited(control_path, tmp_path, edit)
    with pytest.raises(HybridBudgetError) as err:
        load_control(path)
    for text in expected:
        assert text in err.value.message


def test_cli_reports_a_bad_edit_in_one_sentence_without_traceback(control_path, tmp_path):
    path = edited(control_path, tmp_path, _duplicate_cost_center)
    run = subprocess.run(
        [*CLI, "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    first = run.stderr.strip().splitlines()[0]
    assert "sheet Organization" in first and "duplicate cost center" in first
    ok = subprocess.run(
        [*CLI, "check", str(control_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr


def test_rows_added_after_a_blank_row_are_not_dropped(control_path, tmp_path):
    def add_after_blank(wb):
        ws = wb[L.ORGANIZATION]
        last = ws.max_row
        src = [c.value for c in ws[last]]
        src[0], src[1] = "RMC-99999", "New Wound Clinic"
        for i, v in enumerate(src, start=1):
            ws.cell(last + 2, i).value = v

    ref, _ = load_control(edited(control_path, tmp_path, add_after_blank))
    assert "RMC-99999" in ref.organization.cost_center_by_code


# --- unmapped extract rows are reported, each one -----------------------------------------------


def test_every_unmapped_extract_row_is_reported(sample_copy, tmp_path):
    gl = sample_copy / "extracts/gl_actuals_2026.csv"
    pay = sample_copy / "extracts/payroll_2026.csv"
    ehr = sample_copy / "extracts/ehr_volumes_2026.csv"
    with gl.open("a") as f:
        f.write("2026-03,RMC-77777,7000,125.00\n")  # unknown cost center
        f.write("2026-03,RMC-03000,9999,10.00\n")  # unknown account
        f.write("2026-03,RMC-03000,7000,abc\n")  # not a number
        f.write("2025-12,RMC-03000,7000,10.00\n")  # outside the fiscal year
    with pay.open("a") as f:
        f.write("2026-04,RMC-03000,ZZ999,REG,10.00,300.00\n")  # unknown job code
    with ehr.open("a") as f:
        f.write("RMC-03000,2026-05,VISIT,Visits,12\n")  # not the unit's statistic
    out = tmp_path / "control.xlsx"
    result = init_control(sample_copy, out)
    codes = sorted(f.code for f in result.unmapped)
    assert codes == ["UNMAPPED_EHR"] + ["UNMAPPED_GL"] * 4 + ["UNMAPPED_PAYROLL"]
    lines = {f.cell.split(",")[0] for f in result.unmapped if f.code == "UNMAPPED_GL"}
    n = sum(1 for _ in gl.open())
    assert lines == {f"line {n - 3}", f"line {n - 2}", f"line {n - 1}", f"line {n}"}
    issues = block_frame(out, L.IMPORT_ISSUES, L.ISSUE_BLOCK, L.ISSUE_COLUMNS)
    assert len(issues) == 6
    assert any("RMC-77777" in m for m in issues.message)
    # History holds exactly the mapped rows
    hist = block_frame(out, L.HISTORY, L.HISTORY_BLOCK, L.HISTORY_COLUMNS)
    raw = pd.read_csv(gl, dtype=str).iloc[:-4]
    sup_accounts = pd.read_csv(sample_copy / "finance/account_map.csv", dtype=str)
    sup = set(sup_accounts.account[sup_accounts.line_item == "SUP"])
    assert cents(hist.SUP) == cents(raw.AMOUNT[raw.ACCOUNT.isin(sup)])


def test_missing_source_file_is_a_plain_error(sample_copy, tmp_path):
    (sample_copy / "extracts/payroll_2026.csv").unlink()
    with pytest.raises(HybridBudgetError, match=r"payroll_2026\.csv: file not found"):
        load_sources(sample_copy)


def test_bad_source_row_names_file_line_and_column(sample_copy):
    path = sample_copy / "organization/cost_centers.csv"
    text = path.read_text().splitlines()
    text[3] = text[3].replace("inpatient", "inpatent", 1)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(HybridBudgetError) as err:
        load_sources(sample_copy)
    assert "cost_centers.csv" in err.value.message and "line 4" in err.value.message


# --- scale -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_2000_cost_center_system_builds(tmp_path):
    sources = tmp_path / "big"
    write_sample(sources, cost_centers=2000, seed=7)
    result = init_control(sources, tmp_path / "big.xlsx")
    assert result.cost_centers == 2000 and not result.unmapped
    ref, history = load_control(tmp_path / "big.xlsx")
    assert len(ref.organization.cost_centers) == 2000
    assert len(history.staffing) == 2000 * len(JOB_CLASSES)


def test_sample_and_init_commands_from_the_cli(tmp_path):
    cmd = CLI
    run = subprocess.run(
        [*cmd, "sample", "--cost-centers", "12", "--seed", "3", "--out", str(tmp_path / "s")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [*cmd, "init", "--sources", str(tmp_path / "s"), "--out", str(tmp_path / "c.xlsx")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Wrote the control workbook" in run.stdout
    missing = subprocess.run(
        [*cmd, "init", "--sources", str(tmp_path / "nope"), "--out", str(tmp_path / "x.xlsx")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "sources folder not found" in missing.stderr

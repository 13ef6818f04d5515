"""Issue 7: the dashboard workbook (LibreOffice renders its charts) and the Power BI export."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from conftest import needs_libreoffice
from hybridbudget.control import actuals_sheets as A
from hybridbudget.control import schema as L
from hybridbudget.engine.variance_split import EFFECT_KEYS
from hybridbudget.paths import BUNDLED_SAMPLE
from hybridbudget.sample import write_actuals
from hybridbudget.steps import plan as P
from hybridbudget.steps.actuals import import_actuals
from hybridbudget.steps.dashboard import build_dashboard
from hybridbudget.steps.export import export_powerbi
from hybridbudget.steps.variance import variance
from hybridbudget.workbook.dashboard_book import CONTROLLER, DATA, EXECUTIVE, FRONTLINE
from hybridbudget.workbook.libreoffice import convert
from hybridbudget.workbook.safe_text import csv_safe
from sheets import block_frame, cents
from test_monitor_actuals import locked_control

MONEY = ["plan", "flexible", "actual", *EFFECT_KEYS]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, control_path, templates_dir) -> dict:
    root = tmp_path_factory.mktemp("outputs")
    control = locked_control(root, tmp_path_factory, control_path, templates_dir)
    write_actuals(BUNDLED_SAMPLE, 2027, [1, 2], root / "actuals", seed=5, drift=0.04)
    for month in ("2027-01", "2027-02"):
        import_actuals(control, root / "actuals", month)
        variance(control, month)
    dash = build_dashboard(control, root / "dashboard.xlsx", cost_center="RMC-03000")
    export = export_powerbi(control, root / "powerbi")
    return {"control": control, "root": root, "dash": dash, "export": export}


def test_every_view_has_charts_and_states_its_lineage(outputs):
    dash = outputs["dash"]
    wb = openpyxl.load_workbook(dash.path)
    assert wb.sheetnames[:3] == [EXECUTIVE, CONTROLLER, FRONTLINE]
    assert wb[DATA].sheet_state == "hidden"
    sha = dash.data.lineage[0].split("SHA-256 ")[1].rstrip(".")
    for name in (EXECUTIVE, CONTROLLER, FRONTLINE):
        ws = wb[name]
        assert len(ws._charts) >= 2, name
        text = " ".join(str(c.value) for row in ws.iter_rows(max_row=6) for c in row if c.value)
        assert "refreshed" in text and str(outputs["control"]) in text and sha in text
        assert "2027-01" in text and "2027-02" in text, name
    book_sha = P.plan_hash(P.read_plan_sheet(__import__(
        "hybridbudget.control.file_book", fromlist=["FileControlBook"]).FileControlBook(
        outputs["control"]), "Locked Plan v1"))  # fmt: skip
    assert sha == book_sha
    dv = wb[FRONTLINE].data_validations.dataValidation
    assert dv and dv[0].showErrorMessage and DATA in dv[0].formula1
    formulas = [c.value for row in wb[FRONTLINE].iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]  # fmt: skip
    assert formulas and all("XLOOKUP" not in f for f in formulas)
    assert any("INDEX(" in f and "MATCH(" in f for f in formulas)


@needs_libreoffice
def test_dashboard_renders_in_libreoffice_with_charts(outputs, tmp_path):
    pdf = convert([outputs["dash"].path], "pdf", tmp_path)[0]
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    text = " ".join(raw.split())  # a long chart title wraps
    for title in ("Operating margin %", "Labor, throughput, accuracy", "Expense variance by cause",
                  "Variance by line item", "Units of service", "Expense: flexible vs actual"):  # fmt: skip
        assert title in text, title  # chart titles are drawn only when the chart renders
    assert "Executive - page 1" in text and "Frontline" in text


@needs_libreoffice
def test_frontline_follows_the_chosen_cost_center(outputs, tmp_path):
    src = outputs["dash"].path
    wb = openpyxl.load_workbook(src)
    ws = wb[FRONTLINE]
    pick = next(c for row in ws.iter_rows() for c in row if c.value == "RMC-03000")
    pick.value = "LCH-03001"
    changed = tmp_path / "frontline.xlsx"
    wb.save(changed)
    out = convert([changed], "xlsx", tmp_path / "calc")[0]
    values = openpyxl.load_workbook(out, data_only=True)[FRONTLINE]
    rows = {r[0].value: [c.value for c in r] for r in values.iter_rows() if r[0].value}
    snap = outputs["dash"].data.snapshot.set_index("cost_center").loc["LCH-03001"]
    assert rows["Units of service"][3] == snap["Units of service|m_actual"]
    assert round(rows["Total expense"][6], 2) == round(snap["Total expense|y_actual"], 2)
    assert "2027-02" in rows and rows["2027-02"][2] == snap["Units of service|m_actual"]


def test_export_tables_load_and_tie_to_the_workbook(outputs):
    out, control = outputs["export"].out, outputs["control"]
    tables = {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}
    csvs = {p.stem: pd.read_csv(p, dtype={"account": str}) for p in out.glob("*.csv")}
    assert set(tables) == set(csvs) == set(outputs["export"].tables)
    assert "## Relationships" in (out / "README.md").read_text()
    plan = block_frame(control, "Locked Plan v1", P.PLAN_BLOCK, P.PLAN_COLUMNS)
    actual = block_frame(control, A.ACTUALS_SHEET, A.ACTUALS_BLOCK, A.ACTUALS_COLUMNS)
    target = block_frame(control, L.TARGETS, L.TARGET_BLOCK, L.TARGET_COLUMNS)
    for frames in (tables, csvs):
        assert cents(frames["fact_plan"].amount) == cents(plan.annual)
        assert cents(frames["fact_target"].amount) == cents(target.annual)
        assert cents(frames["fact_actual"].amount) == sum(
            cents(actual[li]) for li in frames["dim_line_item"].line_item
        )
        feb = frames["fact_actual"][frames["fact_actual"].month == "2027-02"]
        assert cents(feb.amount) == sum(cents(actual[actual.period == "2027-02"][li])
                                        for li in frames["dim_line_item"].line_item)  # fmt: skip
        v = frames["fact_variance"]
        assert cents(v.actual) - cents(v.plan) == sum(cents(v[k]) for k in EFFECT_KEYS)
        for fact in ("fact_target", "fact_plan", "fact_actual", "fact_variance"):
            f = frames[fact]
            assert set(f.cost_center) <= set(frames["dim_cost_center"].cost_center), fact
            assert set(f.line_item) <= set(frames["dim_line_item"].line_item), fact
            assert set(f.month) <= set(frames["dim_month"].month), fact
    readme = (out / "README.md").read_text()
    assert f"| `fact_plan` | {cents(plan.annual) / 100:,.2f} |" in readme


def test_csv_text_that_looks_like_a_formula_is_neutralised(tmp_path):
    from hybridbudget.steps.export import write_tables

    frame = pd.DataFrame({"note": ["=HYPERLINK(\"x\")", "+1", "-2", "@cmd", "plain"],
                          "amount": [-1.5, 2.0, -3.0, 4.0, 5.0]})  # fmt: skip
    write_tables(tmp_path, {"t": frame}, "readme")
    back = pd.read_csv(tmp_path / "t.csv")
    assert list(back.note) == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@cmd", "plain"]
    assert list(back.amount) == [-1.5, 2.0, -3.0, 4.0, 5.0]  # numbers stay numbers
    assert list(pd.read_parquet(tmp_path / "t.parquet").note) == list(frame.note)
    assert csv_safe(-2) == -2 and csv_safe("\tx") == "'\tx"


def test_cli_dashboard_and_export(outputs, tmp_path):
    exe = shutil.which("hybridbudget")
    assert exe
    control = outputs["control"]
    run = subprocess.run([exe, "dashboard", "--control", str(control), "--out",
                          str(tmp_path / "d.xlsx")], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0 and (tmp_path / "d.xlsx").is_file(), run.stderr
    run = subprocess.run([exe, "export", "powerbi", str(tmp_path / "pbi"), "--control",
                          str(control)], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0 and (tmp_path / "pbi" / "fact_plan.parquet").is_file(), run.stderr
    assert "README.md" in run.stdout

"""Issue 7: the dashboard workbook (LibreOffice renders its charts) and the Power BI export."""

from __future__ import annotations

import hashlib
import posixpath
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import CLI, needs_libreoffice
from hybridbudget.control import actuals_sheets as A
from hybridbudget.control import schema as L
from hybridbudget.control.file_book import FileControlBook
from hybridbudget.control.load import load_control
from hybridbudget.engine.dashboard_figures import DEFAULT_THRESHOLDS, fav_amount, favourable
from hybridbudget.engine.favourability import direction
from hybridbudget.engine.variance_split import EFFECT_KEYS, EFFECTS
from hybridbudget.errors import HybridBudgetError
from hybridbudget.paths import BUNDLED_SAMPLE
from hybridbudget.sample import write_actuals
from hybridbudget.steps import plan as P
from hybridbudget.steps import variance as V
from hybridbudget.steps.actuals import import_actuals
from hybridbudget.steps.dashboard import build_dashboard
from hybridbudget.steps.export import export_powerbi
from hybridbudget.steps.variance import variance
from hybridbudget.workbook.dashboard_book import (
    CONTROLLER,
    DATA,
    EXECUTIVE,
    FRONTLINE,
    LINEAGE,
    THRESHOLDS,
)
from hybridbudget.workbook.libreoffice import convert
from hybridbudget.workbook.safe_text import csv_safe
from sheets import assert_difference_format, block_formats, block_frame, cents
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
    plan_sha = P.plan_hash(P.read_plan_sheet(FileControlBook(outputs["control"]),
                                             "Locked Plan v1"))  # fmt: skip
    book_sha = hashlib.sha256(outputs["control"].read_bytes()).hexdigest()
    for name in (EXECUTIVE, CONTROLLER, FRONTLINE):
        ws = wb[name]
        assert len(ws._charts) >= 2, name
        text = " ".join(str(c.value) for row in ws.iter_rows(max_row=7) for c in row if c.value)
        assert "refreshed" in text and "plan Locked Plan v1" in text and plan_sha in text, name
        assert f"control.xlsx (SHA-256 {book_sha[:12]}" in text, name
        assert "gl_actuals_2027-02.csv" in text and "3 files of 2027-01..2027-01" in text, name
    lineage = [[c.value for c in r] for r in wb[LINEAGE].iter_rows()]
    files = {r[2]: r[3] for r in lineage if r[2] and str(r[2]).endswith(".csv")}
    imports = block_frame(outputs["control"], A.IMPORTS_SHEET, A.IMPORTS_BLOCK,
                          A.IMPORT_COLUMNS)  # fmt: skip
    assert files == {Path(f).name: sha for f, sha in zip(imports.file, imports.sha256,
                                                          strict=True)}  # fmt: skip
    assert ["control workbook", None, "control.xlsx", book_sha] == lineage_row(lineage, "control")
    dv = wb[FRONTLINE].data_validations.dataValidation
    assert dv and dv[0].showErrorMessage and DATA in dv[0].formula1
    formulas = [c.value for row in wb[FRONTLINE].iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]  # fmt: skip
    assert formulas and all("XLOOKUP" not in f for f in formulas)
    assert any("INDEX(" in f and "MATCH(" in f for f in formulas)


def lineage_row(rows: list[list], source: str) -> list:
    return next(r[:4] for r in rows if r[0] and str(r[0]).startswith(source))


def test_no_machine_path_in_any_part_of_the_dashboard(outputs):
    """Unzip the workbook and read every part (and the export's text files): file names only,
    never a folder."""
    root = outputs["root"]
    with zipfile.ZipFile(outputs["dash"].path) as z:
        parts = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}
    assert any("control.xlsx" in t for t in parts.values())
    export = outputs["export"].out
    parts |= {p.name: p.read_text() for p in export.iterdir() if p.suffix in (".csv", ".md")}
    for name, text in parts.items():
        assert str(root) not in text and str(root.resolve()) not in text, name
        assert not re.search(r"(/tmp/|/home/|/Users/|/work/|[A-Za-z]:\\[A-Za-z])", text), name


def _tile_cells(ws, label: str) -> dict[str, object]:
    """A tile's month and YTD actual, plan and fav/(unfav), and its status texts."""
    cell = next(c for row in ws.iter_rows() for c in row if c.value == label)
    r, c = cell.row, cell.column

    def v(dr: int, dc: int):
        return ws.cell(r + dr, c + dc).value

    return {"m_actual": v(2, 1), "m_plan": v(2, 2), "m_var": v(2, 3),
            "y_actual": v(3, 1), "y_plan": v(3, 2), "y_var": v(3, 3),
            "m_status": v(2, 0), "y_status": v(3, 0)}  # fmt: skip


def _sheet_tiles(control: Path, month: str, months: list[str]) -> dict[str, tuple]:
    """Each tile worked by hand from the Variance, Variance Summary and Locked Plan sheets:
    key -> (month plan, month actual, YTD plan, YTD actual)."""
    var = {s: block_frame(control, V.VARIANCE_SHEET, b, V.VARIANCE_COLUMNS)
           for s, b in (("m", V.MONTH_BLOCK), ("y", V.YTD_BLOCK))}  # fmt: skip
    staff = {s: block_frame(control, V.SUMMARY_SHEET, b, V.STAFF_COLUMNS)
             for s, b in (("m", V.STAFF_MONTH_BLOCK), ("y", V.STAFF_YTD_BLOCK))}  # fmt: skip
    acc = block_frame(control, V.SUMMARY_SHEET, V.ACCURACY_BLOCK, V.ACCURACY_COLUMNS)
    plan = block_frame(control, "Locked Plan v1", P.PLAN_BLOCK, P.PLAN_COLUMNS)
    cols = {"m": [f"m{int(month[5:]):02d}"], "y": [f"m{int(m[5:]):02d}" for m in months]}
    ref, _ = load_control(FileControlBook(control))
    inpatient = {c.cost_center_code for c in ref.organization.cost_centers
                 if c.cost_center_type == "inpatient" and c.uos == "patient days"}  # fmt: skip
    out: dict[str, list] = {}
    for s in ("m", "y"):
        v, st = var[s], staff[s]
        plan_of = plan[cols[s]].sum(axis=1)
        rev_p = cents(plan_of[plan.line_item == "REV"]) / 100
        exp_p = cents(plan_of[plan.line_item != "REV"]) / 100
        assert cents(v.plan) == cents(plan_of)  # the Variance sheet's plan is the locked plan
        rev_a = cents(v.actual[v.line_item == "REV"]) / 100
        exp_a = cents(v.actual[v.line_item != "REV"]) / 100
        weight = v[v.line_item != "REV"].groupby("cost_center").plan.sum()
        has = st[st.planned_uos > 0].set_index("cost_center")
        w = weight.reindex(has.index)
        ip = st[st.cost_center.isin(inpatient)]
        rev = v[v.line_item == "REV"]
        ip_rev = rev[rev.cost_center.isin(inpatient)]
        n_within = (acc[f"{s}_within"] == "yes").sum()
        n_core = (acc[f"{s}_within"].isin(["yes", "no"])).sum()
        figures = {
            "margin": (rev_p - exp_p, rev_a - exp_a),
            "margin_pct": ((rev_p - exp_p) / rev_p, (rev_a - exp_a) / rev_a),
            "volume": (1.0, (has.actual_uos / has.planned_uos * w).sum() / w.sum()),
            "adjpd": (ip.planned_uos.sum() * rev_p / ip_rev.plan.sum(),
                      ip.actual_uos.sum() * rev_a / ip_rev.actual.sum()),
            "fte": (st.fte_plan.sum(), st.fte_actual.sum()),
            "overtime": (st.ot_hours_plan.sum() / st.worked_hours_plan.sum(),
                         st.ot_hours_actual.sum() / st.worked_hours_actual.sum()),
            "agency": (cents(plan_of[plan.line_item == "AGY"]) / 100,
                       cents(v.actual[v.line_item == "AGY"]) / 100),
            "accuracy": (1.0, n_within / n_core),
        }  # fmt: skip
        for key, pair in figures.items():
            out.setdefault(key, []).extend(pair)
    return {k: tuple(v) for k, v in out.items()}


def _close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-9, abs=0.005)


def test_every_tile_ties_to_the_variance_and_plan_sheets(outputs):
    dash = outputs["dash"]
    hand = _sheet_tiles(outputs["control"], dash.month, dash.data.months)
    ws = openpyxl.load_workbook(dash.path)[EXECUTIVE]
    assert len(dash.data.tiles) == 8
    for t in dash.data.tiles:
        m_plan, m_actual, y_plan, y_actual = hand[t.key]
        cells = _tile_cells(ws, t.label)
        assert _close(cells["m_actual"], m_actual) and _close(cells["y_actual"], y_actual), t.key
        if t.key == "accuracy":
            assert cells["m_plan"] == "core lines within 3%"  # the definition, not a plan
            continue
        assert _close(cells["m_plan"], m_plan) and _close(cells["y_plan"], y_plan), t.key
        more_is_better = t.key in ("margin", "margin_pct", "volume", "adjpd")
        sign = 1 if more_is_better else -1
        assert _close(cells["m_var"], sign * (m_actual - m_plan)), t.key
        assert _close(cells["y_var"], sign * (y_actual - y_plan)), t.key
        assert str(cells["m_status"]).startswith(f"=IFERROR({THRESHOLDS}!$H$"), t.key
        assert str(cells["y_status"]).startswith(f"=IFERROR({THRESHOLDS}!$I$"), t.key
    margin = hand["margin"]
    assert margin[1] < margin[0]  # the sample's February misses plan: shown unfavourable
    assert _tile_cells(ws, "Operating margin $")["m_var"] < 0


def test_the_favourability_rule():
    assert favourable("REV", 30_000) and not favourable("REV", -1)
    assert favourable("SAL_RN", -15_000) and not favourable("SAL_RN", 15_000)
    assert favourable("SUP", -7_000) and favourable("MARGIN", 22_000)
    assert not favourable("MARGIN", -0.01) and not favourable("FTE", 2.5)
    assert fav_amount("SUP", -7_000) == 7_000 and fav_amount("SAL_RN", 15_000) == -15_000


def _charts(path: Path) -> dict[str, list[ET.Element]]:
    """Chart XML of each sheet (sheet -> drawing -> charts, through the parts' relationships)."""
    ns = {"r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}  # fmt: skip

    def rels(z, part: str) -> dict[str, str]:
        folder, name = part.rsplit("/", 1)
        rel = f"{folder}/_rels/{name}.rels"
        if rel not in z.namelist():
            return {}
        root = ET.fromstring(z.read(rel))
        return {r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target"))).lstrip("/")
                for r in root.findall("rel:Relationship", ns)}  # fmt: skip

    out = {}
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        targets = rels(z, "xl/workbook.xml")
        for sheet in book.find("m:sheets", ns):
            part = targets[sheet.get(f"{{{ns['r']}}}id")]
            charts = []
            for drawing in rels(z, part).values():
                if "drawings/" in drawing:
                    charts += [ET.fromstring(z.read(c)) for c in rels(z, drawing).values()]
            out[sheet.get("name")] = charts
    return out


C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A_NS = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _axis(chart: ET.Element) -> tuple[float | None, float | None]:
    scaling = chart.find(f".//{C}valAx/{C}scaling")
    lo, hi = scaling.find(f"{C}min"), scaling.find(f"{C}max")
    return (float(lo.get("val")) if lo is not None else None,
            float(hi.get("val")) if hi is not None else None)  # fmt: skip


def _title_text(chart: ET.Element) -> str:
    return "".join(t.text or "" for t in chart.find(f".//{C}title").iter(f"{A_NS}t"))


def test_chart_xml_series_and_axis_bounds_show_the_deviation(outputs):
    data = outputs["dash"].data
    charts = _charts(outputs["dash"].path)
    ex = {_title_text(c): c for c in charts[EXECUTIVE]}
    assert 1 <= len(ex) <= 4
    s = data.series
    expected = {  # title start -> (series, values the axis must show)
        "Operating margin vs plan": (1, s.margin_variance),
        "Operating margin %": (2, [*s.margin_pct_plan, *s.margin_pct_actual]),
        "Indices, % of plan": (3, [1.0, *s.volume_index, *s.fte_index, *s.labor_index]),
        "Margin variance by cause": (1, data.effects_system.amount),
    }
    for start, (n_series, values) in expected.items():
        chart = next(c for t, c in ex.items() if t.startswith(start))
        assert len(chart.findall(f".//{C}ser")) == n_series, start
        lo, hi = _axis(chart)
        assert lo is not None and hi is not None, start
        assert lo <= min(values) and max(values) <= hi, start
        if "fav/(unfav)" in _title_text(chart):  # variance bars around zero
            assert lo == -hi and lo < 0 < hi, start
            assert hi <= 2.5 * max(abs(v) for v in values), start  # the bars fill the plot
        else:  # indices and shares on a tight axis
            assert (hi - lo) <= max(3 * (max(values) - min(values)), 0.15), start
        if start.startswith("Indices"):
            assert 0.5 < lo < min(values) and max(values) < hi < 1.5  # not from zero
        refs = [f.text for f in chart.iter(f"{C}f")]
        assert refs and all(r.startswith(f"'{DATA}'!") or r.startswith(f"{DATA}!")
                            for r in refs), start  # fmt: skip
    for chart in charts[FRONTLINE]:
        assert _axis(chart)[0] == 0, _title_text(chart)  # Frontline axes start at zero
        assert len(chart.findall(f".//{C}ser")) == 2
    assert len(charts[CONTROLLER]) == 2


def test_no_variance_is_painted_red_by_its_sign_alone(outputs):
    wb = openpyxl.load_workbook(outputs["dash"].path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert "[Red]" not in str(c.number_format), (ws.title, c.coordinate)
    ctl = wb[CONTROLLER]
    header = next(c.row for c in ctl["B"] if c.value == "Revenue plan")
    heads = [c.value for c in ctl[header]]
    rules = {str(r.sqref): r for r in ctl.conditional_formatting}
    for col in ("Revenue fav/(unfav)", "Expense fav/(unfav)", "Margin fav/(unfav)"):
        letter = openpyxl.utils.get_column_letter(heads.index(col) + 1)
        assert any(k.startswith(f"{letter}{header + 1}:") for k in rules), col
    # the expense column of a cost saving is positive (favourable): worked by hand
    org = outputs["dash"].data.organisation[1].set_index("name")
    for name, r in org.iterrows():
        assert round(r.expense_var, 2) == round(r.expense_plan - r.expense_actual, 2), name
        assert round(r.revenue_var, 2) == round(r.revenue_actual - r.revenue_plan, 2), name


def test_actions_show_owner_due_and_dollars_at_stake(outputs):
    control = outputs["control"]
    actions = block_frame(control, "Actions", "Action items (open items carry over until closed)",
                          __import__("hybridbudget.control.actions_sheet",
                                     fromlist=["x"]).ACTION_COLUMNS)  # fmt: skip
    open_ = actions[actions.status == "open"]
    assert len(open_)
    ws = openpyxl.load_workbook(outputs["dash"].path)[EXECUTIVE]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0] == "Level" and "Owner" in r)
    heads = rows[header]
    listed = rows[header + 1 : header + 1 + min(10, len(open_))]
    owners = {r[heads.index("Owner")] for r in listed}
    assert owners <= set(open_.owner) and owners
    stakes = [r[heads.index("$ at stake")] for r in listed]
    levels = [r[0] for r in listed]
    assert levels == sorted(levels, reverse=True)
    top = open_.assign(s=open_.variance.abs()).sort_values(["level", "s"], ascending=False)
    assert [round(x, 2) for x in stakes] == [round(x, 2) for x in top.s.head(len(stakes))]
    by_level = next(i for i, r in enumerate(rows) if r[0] == "Level" and "Open" in r)
    n_open = rows[by_level].index("Open")
    total = sum(r[n_open] for r in rows[by_level + 1 : by_level + 4] if isinstance(r[0], int))
    assert total == len(open_)


def test_tiles_equal_queries_over_the_power_bi_tables(outputs):
    """Each tile is rebuilt from the star schema as the README's measures do, for both months."""
    out = outputs["export"].out
    t = {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}
    kind = t["dim_line_item"].set_index("line_item").kind
    core = t["dim_line_item"].set_index("line_item").core_item
    cc = t["dim_cost_center"].set_index("cost_center")
    inpatient = cc[(cc.cost_center_type == "inpatient") & (cc.uos == "patient days")].index
    readme = (out / "README.md").read_text()
    assert "## Rebuild each dashboard tile" in readme
    for tile in ("margin", "margin_pct", "volume", "adjpd", "fte", "overtime", "agency",
                 "accuracy"):  # fmt: skip
        assert f"(tile {tile}" in readme or "tiles fte, overtime, agency" in readme, tile

    def query(months: list[str]) -> dict[str, tuple[float, float]]:
        v = t["fact_variance"][t["fact_variance"].month.isin(months)]
        v = v.assign(kind=v.line_item.map(kind), core=v.line_item.map(core))
        rev = v[v.kind == "revenue"]
        exp = v[v.kind != "revenue"]
        margin = {c: rev[c].sum() - exp[c].sum() for c in ("plan", "actual")}
        vol = t["fact_volume"][t["fact_volume"].month.isin(months)]
        uos = vol.pivot_table(index="cost_center", columns="scenario", values="uos",
                              aggfunc="sum")  # fmt: skip
        weight = exp.groupby("cost_center").plan.sum()
        has = uos[uos.plan > 0]
        w = weight.reindex(has.index)
        days = uos.reindex(inpatient)
        ip_rev = rev[rev.cost_center.isin(inpatient)]
        sp = t["fact_staffing_plan"][t["fact_staffing_plan"].month.isin(months)]
        n = sp.month.nunique()
        lines = v[v.core != ""].groupby(["cost_center", "core"])[["plan", "actual"]].sum()
        lines = lines[(lines.plan != 0) | (lines.actual != 0)]
        within = ((lines.actual - lines.plan).abs() <= 0.03 * lines.actual.abs() + 1e-9).sum()
        agy = v[v.line_item == "AGY"]
        return {
            "margin": (margin["plan"], margin["actual"]),
            "margin_pct": (margin["plan"] / rev.plan.sum(), margin["actual"] / rev.actual.sum()),
            "volume": (1.0, (has.actual / has.plan * w).sum() / w.sum()),
            "adjpd": (days.plan.sum() * rev.plan.sum() / ip_rev.plan.sum(),
                      days.actual.sum() * rev.actual.sum() / ip_rev.actual.sum()),
            "fte": (sp.fte_plan.sum() / n, sp.fte_actual.sum() / n),
            "overtime": (sp.ot_hours_plan.sum() / sp.worked_hours_plan.sum(),
                         sp.ot_hours_actual.sum() / sp.worked_hours_actual.sum()),
            "agency": (agy.plan.sum(), agy.actual.sum()),
            "accuracy": (1.0, within / len(lines)),
        }  # fmt: skip

    tiles = t["dashboard_tiles"]
    assert set(tiles.month) == {"2027-01", "2027-02"}
    for month, ytd in (("2027-01", ["2027-01"]), ("2027-02", ["2027-01", "2027-02"])):
        q_m, q_y = query([month]), query(ytd)
        table = tiles[tiles.month == month].set_index(["tile", "scope"])
        for key in q_m:
            for scope, q in (("month", q_m), ("year to date", q_y)):
                row = table.loc[(key, scope)]
                assert _close(row.actual, q[key][1]), (month, key, scope)
                assert _close(row.plan, q[key][0]), (month, key, scope)
    dash = {x.key: x for x in outputs["dash"].data.tiles}  # the February dashboard
    feb = tiles[tiles.month == "2027-02"].set_index(["tile", "scope"])
    for key, x in dash.items():
        assert _close(feb.loc[(key, "month")].actual, x.m_actual), key
        assert _close(feb.loc[(key, "year to date")].actual, x.y_actual), key
        assert feb.loc[(key, "month")].status == x.status(outputs["dash"].data.thresholds), key


@needs_libreoffice
def test_dashboard_renders_in_libreoffice_with_charts(outputs, tmp_path):
    pdf = convert([outputs["dash"].path], "pdf", tmp_path)[0]
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    text = " ".join(raw.split())  # a long chart title wraps
    for title in ("Operating margin vs plan by month", "Operating margin %: actual and plan",
                  "Indices, % of plan", "Margin variance by cause, YTD",
                  "Margin variance by cause and service line", "Units of service: plan and actual",
                  "Expense: flexible budget and actual"):  # fmt: skip
        assert title in text, title  # chart titles are drawn only when the chart renders
    executive = text[: text.index("Controller view:")]
    assert executive.count("Executive - page") == 1  # one page
    assert "Frontline - page" in text


@needs_libreoffice
def test_frontline_follows_the_chosen_cost_center_and_status_follows_thresholds(outputs, tmp_path):
    src = outputs["dash"].path
    wb = openpyxl.load_workbook(src)
    ws = wb[FRONTLINE]
    pick = next(c for row in ws.iter_rows() for c in row
                if str(c.value).startswith("RMC-03000 - "))  # fmt: skip
    snap = outputs["dash"].data.frontline.snapshot.set_index("cost_center")
    pick.value = snap.key["LCH-03001"]
    th = wb[THRESHOLDS]
    row = next(c.row for c in th["B"] if c.value == "margin")
    th.cell(row, 4).value, th.cell(row, 5).value = -10.0, -5.0  # everything red
    changed = tmp_path / "frontline.xlsx"
    wb.save(changed)
    out = convert([changed], "xlsx", tmp_path / "calc")[0]
    calc = openpyxl.load_workbook(out, data_only=True)
    values = calc[FRONTLINE]
    rows = {r[0].value: [c.value for c in r] for r in values.iter_rows() if r[0].value}
    s = snap.loc["LCH-03001"]
    assert rows[f"Units of service ({s.unit})"][2] == s["UOS|m_actual"]
    assert round(rows["Total expense"][6], 2) == round(s["EXP|y_actual"], 2)
    assert round(rows["Total expense"][3], 2) == round(s["EXP|m_plan"] - s["EXP|m_actual"], 2)
    assert rows["Total expense"][4] == ("Fav" if s["EXP|m_actual"] < s["EXP|m_plan"] else "Unfav")
    assert "2027-02" in rows and rows["2027-02"][2] == s["UOS|m_actual"]
    assert rows["Year to date:"][1] == s["accuracy|y"]
    ex = calc[EXECUTIVE]
    statuses = {t.key: _tile_cells(ex, t.label) for t in outputs["dash"].data.tiles}
    assert statuses["margin"]["m_status"] == "Red: Month"
    th_rows = {r[1]: r for r in calc[THRESHOLDS].iter_rows(values_only=True) if r[1]}
    for t in outputs["dash"].data.tiles:  # the other tiles: the sheet's status is the code's
        if t.key != "margin":
            assert statuses[t.key]["m_status"] == f"{t.status(DEFAULT_THRESHOLDS)}: Month", t.key
            assert th_rows[t.key][7] == t.status(DEFAULT_THRESHOLDS), t.key


def test_edited_thresholds_survive_a_refresh(outputs, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    shutil.copyfile(outputs["dash"].path, path)
    wb = openpyxl.load_workbook(path)
    th = wb[THRESHOLDS]
    row = next(c.row for c in th["B"] if c.value == "fte")
    th.cell(row, 4).value, th.cell(row, 5).value = 0.5, 0.75
    wb.save(path)
    again = build_dashboard(outputs["control"], path, cost_center="RMC-03000")
    assert again.data.thresholds["fte"] == (0.5, 0.75)
    assert again.data.thresholds["margin"] == DEFAULT_THRESHOLDS["margin"]
    th = openpyxl.load_workbook(path)[THRESHOLDS]
    assert [th.cell(row, 4).value, th.cell(row, 5).value] == [0.5, 0.75]
    wb = openpyxl.load_workbook(path)
    wb[THRESHOLDS].cell(row, 4).value = "five"
    wb.save(path)
    with pytest.raises(HybridBudgetError, match=f"cell D{row}: threshold 'five' is not a number"):
        build_dashboard(outputs["control"], path)


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
            cents(actual[li]) for li in frames["dim_line_item"].line_item if li in actual
        )
        feb = frames["fact_actual"][frames["fact_actual"].month == "2027-02"]
        assert cents(feb.amount) == sum(cents(actual[actual.period == "2027-02"][li])
                                        for li in frames["dim_line_item"].line_item
                                        if li in actual)  # DEP: a plan line only  # fmt: skip
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
    control = outputs["control"]
    run = subprocess.run([*CLI, "dashboard", "--control", str(control), "--out",
                          str(tmp_path / "d.xlsx")], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0 and (tmp_path / "d.xlsx").is_file(), run.stderr
    run = subprocess.run([*CLI, "export", "powerbi", str(tmp_path / "pbi"), "--control",
                          str(control)], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0 and (tmp_path / "pbi" / "fact_plan.parquet").is_file(), run.stderr
    assert "README.md" in run.stdout


def test_variance_columns_are_red_only_when_unfavourable(outputs):
    from hybridbudget.steps import variance as V

    control = outputs["control"]
    differences = ("Variance (actual - plan)", *(label for _, label in EFFECTS),
                   "Actual - flexible", "Actual - flexible %")  # fmt: skip
    header, values, formats = block_formats(control, V.VARIANCE_SHEET, V.MONTH_BLOCK)
    line, flex, fav = (header.index(h) for h in ("Line item", "Actual - flexible",
                                                 "Fav/Unfav vs flexible"))  # fmt: skip
    assert len(values) > 100
    for v, f in zip(values, formats, strict=True):
        for h in differences:
            assert_difference_format(f[header.index(h)], direction(v[line]))
        # the flag is judged on the flexible budget, like the column beside it
        unfav = v[flex] > 0 if direction(v[line]) == "down" else v[flex] < 0
        assert (v[fav] or "") == ("Unfav" if unfav else ("Fav" if v[flex] else "")), v
    header, values, formats = block_formats(control, V.SUMMARY_SHEET, V.SERVICE_LINE_BLOCK)
    for f in formats:
        assert_difference_format(f[header.index("Expense variance (actual - plan)")], "down")
        assert_difference_format(f[header.index("Margin variance (actual - plan)")], "up")
        assert f[header.index("Actual margin")] == "#,##0;(#,##0)"
    for v in values:  # margin variance ties to the margins beside it, to the cent
        plan, actual, var = (
            v[header.index(h)]
            for h in ("Plan margin", "Actual margin", "Margin variance (actual - plan)")
        )
        assert cents([var]) == cents([actual]) - cents([plan])


def test_dashboard_variances_are_red_only_when_unfavourable(outputs):
    # the views sign variances fav/(unfav) (engine/favourability via dashboard_figures), so red
    # is a rule on the sign or the word, never a '[Red]' number format by sign alone
    wb = openpyxl.load_workbook(outputs["dash"].path)
    assert favourable("REV", 1.0) and not favourable("SUP", 1.0) and favourable("SUP", -1.0)
    assert fav_amount("REV", -5.0) == -5.0 and fav_amount("AGY", -5.0) == 5.0
    for name in (EXECUTIVE, CONTROLLER, FRONTLINE):
        ws = wb[name]
        formats = {c.number_format for row in ws.iter_rows() for c in row}
        assert not any("[Red]" in f for f in formats), name
        red = [
            r
            for cf in ws.conditional_formatting
            for r in cf.rules
            if r.dxf is not None
            and r.dxf.font is not None
            and r.dxf.font.color is not None
            and str(r.dxf.font.color.rgb).endswith("C00000")
        ]
        assert all(r.formula in (["0"], ['"Unfav"']) for r in red), name
        assert all(r.operator == "lessThan" for r in red if r.formula == ["0"]), name


@needs_libreoffice
def test_every_dashboard_formula_carries_the_recalculated_value(outputs, tmp_path):
    src = outputs["dash"].path
    out = convert([src], "xlsx", tmp_path / "calc")[0]
    formulas = openpyxl.load_workbook(src)
    cached, calc = (openpyxl.load_workbook(p, data_only=True) for p in (src, out))
    filled = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type != "f":
                    continue
                where = (ws.title, c.coordinate, c.value)
                # an empty text result reads back as None, from our file and LibreOffice's alike
                ours, theirs = (
                    "" if v is None else v
                    for v in (
                        cached[ws.title][c.coordinate].value,
                        calc[ws.title][c.coordinate].value,
                    )
                )
                if isinstance(theirs, int | float) and not isinstance(theirs, bool):
                    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-9), where
                else:
                    assert ours == theirs, where
                filled += ours != ""
    assert filled >= 100  # status cells, Frontline lookups, tile labels

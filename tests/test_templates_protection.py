"""Generated templates: one per cost center; protected, validated, named, fingerprinted, filled."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

from hybridbudget.cli import main
from hybridbudget.engine.drivers import compute
from hybridbudget.model.line_items import JOB_CLASSES
from hybridbudget.templates.contract import (
    BUDGET_SHEET,
    META_KEYS,
    META_SHEET,
    NAMES,
    PRIORITIES,
    SCHEMA_VERSION,
    Role,
)
from hybridbudget.templates.fingerprint import expected_formulas, fingerprint
from hybridbudget.templates.guide import FEEDBACK_SHEET, GUIDE_SHEET
from hybridbudget.templates.layout import layout, variant_of
from hybridbudget.templates.values import (
    drivers_from_values,
    expected_outputs,
    read_meta,
    read_template_values,
)
from hybridbudget.workbook.styles import COMPUTED_FILL, INPUT_FILL, LOCKED_FILL

FILL_OF_ROLE = {
    Role.INPUT: INPUT_FILL.fgColor.rgb,
    Role.GIVEN: LOCKED_FILL.fgColor.rgb,
    Role.OUTPUT: COMPUTED_FILL.fgColor.rgb,
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, control_path: Path):
    """Templates of every cost center of the sample, with the progress messages."""
    from hybridbudget.steps.templates import generate_templates

    out = tmp_path_factory.mktemp("templates")
    messages: list[str] = []
    result = generate_templates(control_path, out, progress=messages.append)
    return out, result, messages


@pytest.fixture(scope="module")
def books(generated) -> dict[str, Workbook]:
    """Every generated template loaded (formula text, not values), by cost center."""
    _, result, _ = generated
    return {p.name.split("_FY")[0]: load_workbook(p) for p in result.paths}


def cells_of(ref: str) -> list[tuple[int, int]]:
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [(r, c) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def covered_by(dv) -> set[tuple[int, int]]:
    return {rc for r in dv.sqref.ranges for rc in cells_of(r.coord)}


def name_cells(wb: Workbook, name: str) -> list[tuple[int, int]]:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    assert sheet == BUDGET_SHEET
    return cells_of(ref)


def test_one_template_per_cost_center_in_a_folder_per_entity(generated, control_targets) -> None:
    out, result, messages = generated
    ref, _ = control_targets
    org, cfg = ref.organization, ref.config
    assert result.count == len(org.cost_centers) == len(set(result.paths))
    expected = {
        out
        / org.entity_of(c.cost_center_code).entity_code
        / f"{c.cost_center_code}_FY{cfg.fiscal_year}_v{cfg.templates.version}.xlsx"
        for c in org.cost_centers
    }
    assert set(result.paths) == expected
    assert all(p.is_file() for p in expected)
    assert not [p for p in out.rglob("*") if p.is_file() and p not in expected]  # no temp files
    written = [m for m in messages if "templates written" in m]
    assert 8 <= len(written) <= 11 and written[-1].startswith(f"{result.count}/")


def test_every_locked_cell_is_locked_and_every_input_cell_unlocked(books, control_targets) -> None:
    _, targets = control_targets
    for code, wb in books.items():
        t = targets.by_cost_center[code]
        lay = layout(variant_of(t))
        ws = wb[BUDGET_SHEET]
        # every input is unlocked, except a hospital-wide volume: finance's, locked
        locked_volume = t.cost_center.hospital_wide_uos
        inputs = {rc for n in NAMES if n.role is Role.INPUT for rc in name_cells(wb, n.name)
                  if not (locked_volume and n.name == "hb_volume_forecast")}  # fmt: skip
        merged_inputs = {
            rc for m in ws.merged_cells.ranges if (m.min_row, m.min_col) in inputs
            for rc in cells_of(m.coord)
        }  # fmt: skip
        unlocked = inputs | merged_inputs
        assert unlocked == lay.input_cells()
        for row in ws.iter_rows(min_row=1, max_row=lay.last_row + 5, max_col=20):
            for cell in row:
                locked = cell.protection.locked
                assert locked is ((cell.row, cell.column) not in unlocked), (code, cell.coordinate)


def test_hospital_wide_volume_is_the_target_and_locked_and_margin_only_with_revenue(
    books, control_targets
) -> None:
    _, targets = control_targets
    kinds = set()
    for code, wb in books.items():
        t = targets.by_cost_center[code]
        ws = wb[BUDGET_SHEET]
        volume = [ws.cell(r, c) for r, c in name_cells(wb, "hb_volume_forecast")]
        hospital_wide = t.cost_center.stat_code == "ADJPD"
        assert all(c.protection.locked is hospital_wide for c in volume), code
        assert [c.value for c in volume] == list(t.drivers.volume), code
        margin = ws[layout().names["hb_out_margin"].ref]
        no_revenue = t.figures.revenue == 0 and t.prior.revenue_per_uos == 0
        assert (margin.number_format == '"n/a";"n/a";"n/a";"n/a"') is no_revenue, code
        kinds.add((hospital_wide, no_revenue))
    assert {(True, True), (False, False)} <= kinds  # the sample has both kinds


def test_inputs_are_shaded_and_givens_and_formulas_coloured_by_role(books) -> None:
    wb = books["RMC-03000"]
    ws = wb[BUDGET_SHEET]
    for n in NAMES:
        for r, c in name_cells(wb, n.name):
            assert ws.cell(r, c).fill.fgColor.rgb == FILL_OF_ROLE[n.role], n.name


def test_every_input_has_a_strict_validation_with_messages(books) -> None:
    for code, wb in books.items():
        ws = wb[BUDGET_SHEET]
        validations = ws.data_validations.dataValidation
        for n in NAMES:
            if n.role is not Role.INPUT:
                continue
            cells = name_cells(wb, n.name)
            covering = [dv for dv in validations if set(cells) <= covered_by(dv)]
            assert len(covering) == 1, (code, n.name)
            dv = covering[0]
            assert dv.showErrorMessage and dv.errorStyle == "stop", (code, n.name)
            assert dv.showInputMessage and dv.prompt and dv.promptTitle and dv.error
            expected_type = {
                "text": {"textLength"},
                "list": {"list"},
                "number": {"whole", "decimal"},
            }
            assert dv.type in expected_type[n.kind], (code, n.name, dv.type)
            rule = layout().rules[n.name]
            if dv.type == "list" and rule.source:  # finance's list, in the template's own cells
                assert dv.formula1 == layout().names[rule.source].absolute, (code, n.name)
            elif dv.type == "list":
                assert dv.formula1 == '"' + ",".join(rule.offered) + '"'
                assert n.name != "hb_capital_priority" or rule.offered == PRIORITIES
            else:
                low, high = float(dv.formula1), float(dv.formula2)
                assert dv.operator == "between" and 0 <= low < high, (code, n.name)
        volume = next(dv for dv in validations if dv.type == "whole")
        prior = read_template_values(wb, data_only=False)["hb_volume_prior"]
        assert float(volume.formula2) >= 10 * max(prior)


def test_sheets_and_structure_are_protected_and_the_password_is_never_stored_plain(
    books, generated, control_targets
) -> None:
    ref, _ = control_targets
    password = ref.config.templates.password
    for wb in books.values():
        budget, meta = wb[BUDGET_SHEET], wb[META_SHEET]
        assert wb.sheetnames == [BUDGET_SHEET, GUIDE_SHEET, META_SHEET]
        assert wb[GUIDE_SHEET].protection.sheet and wb[GUIDE_SHEET].protection.password
        assert budget.protection.sheet and budget.protection.password
        assert meta.protection.sheet and meta.protection.password
        assert meta.sheet_state == "veryHidden"
        assert wb.security is not None and wb.security.lockStructure
    for path in generated[1].paths[:5]:
        with zipfile.ZipFile(path) as z:
            for part in z.namelist():
                assert password.encode() not in z.read(part), (path.name, part)


def test_names_are_workbook_level_and_resolve_to_the_intended_ranges(books) -> None:
    lay = layout()
    for wb in books.values():
        assert set(wb.defined_names) == {n.name for n in NAMES}
        assert not wb[BUDGET_SHEET].defined_names  # nothing sheet-scoped
        for n in NAMES:
            cells = name_cells(wb, n.name)
            assert cells == lay.names[n.name].cells(), n.name
            rows = {r for r, _ in cells}
            cols = {c for _, c in cells}
            assert (len(rows), len(cols)) == (n.rows, n.cols), n.name


def test_metadata_and_fingerprint(books, generated, control_targets) -> None:
    ref, _ = control_targets
    cfg, org = ref.config, ref.organization
    ids = set()
    for path in generated[1].paths:
        code = path.name.split("_FY")[0]
        wb = books[code]
        meta = read_meta(wb)
        assert list(meta) == list(META_KEYS)
        assert meta["cost_center"] == code
        assert meta["entity"] == org.entity_of(code).entity_code == path.parent.name
        assert meta["fiscal_year"] == str(cfg.fiscal_year)
        assert meta["schema_version"] == SCHEMA_VERSION
        assert meta["template_version"] == str(cfg.templates.version)
        assert meta["generator"].startswith("hybridbudget ")
        assert meta["generated_at"].endswith("Z")
        assert len(meta["template_id"]) == 32
        ids.add(meta["template_id"])
        assert fingerprint(wb[BUDGET_SHEET]) == meta["fingerprint"]
    assert len(ids) == len(books)


def test_fingerprint_detects_edits_to_locked_cells_only(generated) -> None:
    path = generated[1].paths[0]
    wb = load_workbook(path)
    ws = wb[BUDGET_SHEET]
    stored = read_meta(wb)["fingerprint"]
    lay = layout()
    ws.cell(*lay.names["hb_volume_forecast"].cells()[0]).value = 1  # an input: allowed
    ws.cell(*lay.names["hb_rationale_volume"].cells()[0]).value = "because"
    assert fingerprint(ws) == stored
    given = ws.cell(*lay.names["hb_target_revenue"].cells()[0])
    given.value = given.value + 1  # a locked given
    assert fingerprint(ws) != stored
    given.value = given.value - 1
    salary = ws.cell(*lay.names["hb_out_salaries"].cells()[0])
    salary.value = 123.45  # a formula overwritten with a number
    assert fingerprint(ws) != stored


def test_formulas_are_the_same_in_every_template(books) -> None:
    expected = expected_formulas()
    for code, wb in books.items():
        ws = wb[BUDGET_SHEET]
        found = {
            c.coordinate: c.value
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and c.data_type == "f"
        }
        assert found == expected, code


def test_prefilled_inputs_are_the_top_down_drivers(books, control_targets) -> None:
    _, targets = control_targets
    for code, wb in books.items():
        t = targets.by_cost_center[code]
        values = read_template_values(wb, data_only=False)
        drivers = drivers_from_values(values)
        assert drivers.volume == t.drivers.volume
        assert dict(drivers.staffing) == dict(t.drivers.staffing)
        assert drivers == t.drivers  # every pre-filled input is the target's driver
        fig = compute(drivers)
        assert fig.lines == t.figures.lines  # so an untouched template shows no gap
        assert values["hb_supplies_prior"] == [t.prior.supplies_per_uos]
        assert values["hb_overtime_prior"] == [t.prior.staff(j).overtime_pct for j in JOB_CLASSES]
        assert values["hb_target_labor"] == [t.figures.labor_cost]
        assert values["hb_volume_prior"] == list(t.prior.volume)
        assert values["hb_capital_item"] == [None] * 5
        flags = expected_outputs(values)
        assert flags["hb_need_rationale_volume"] == [0.0]
        assert flags["hb_need_rationale_staffing"] == [0.0]
        assert flags["hb_need_rationale_nonlabor"] == [0.0]
        assert flags["hb_out_gap_margin"] == [0.0]


def test_header_shows_who_what_and_when(books, control_targets) -> None:
    ref, targets = control_targets
    wb = books["RMC-03000"]
    ws = wb[BUDGET_SHEET]
    text = " ".join(str(c.value) for row in ws.iter_rows(max_row=6) for c in row if c.value)
    cc = targets.by_cost_center["RMC-03000"].cost_center
    for part in (
        ref.config.system_name,
        cc.cost_center_name,
        cc.owner_name,
        cc.service_line_code,
        f"FY{ref.config.fiscal_year}",
        str(ref.config.templates.due_date.year),
        "Riverbend Medical Center",
    ):
        assert part in text, part
    assert ws.freeze_panes == "A11"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_cli_writes_the_listed_cost_centers(tmp_path: Path, control_path: Path, capsys) -> None:
    rc = main(
        [
            "templates",
            "--control",
            str(control_path),
            "--out",
            str(tmp_path),
            "--cost-center",
            "RMC-03000",
            "--cost-center",
            "RPN-04040",
        ]
    )
    assert rc == 0
    assert "Wrote 2 template(s)" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.rglob("*.xlsx")) == [
        "RMC-03000_FY2027_v1.xlsx",
        "RPN-04040_FY2027_v1.xlsx",
    ]
    rc = main(["templates", "--control", str(control_path), "--out", str(tmp_path),
               "--cost-center", "NOPE-1"])  # fmt: skip
    assert rc == 1
    assert "NOPE-1" in capsys.readouterr().err


def test_instructions_say_how_to_return_at_a_readable_size(books, control_targets) -> None:
    ref, targets = control_targets
    cfg = ref.config.templates
    assert "@" in cfg.finance_contact  # the sample names its budget office
    due = f"{cfg.due_date:%B} {cfg.due_date.day}, {cfg.due_date.year}"
    for code, wb in list(books.items())[:5]:
        ws = wb[GUIDE_SHEET]
        lines = [c.value for c in ws["A"] if c.value]
        text = "\n".join(lines)
        name = f"{code}_FY{ref.config.fiscal_year}_v{cfg.version}.xlsx"
        assert f"Keep the file name: {name}" in text
        assert f"Send it to {cfg.finance_contact} by {due}." in text
        assert ".xlsx" in text and "What happens next" in text and FEEDBACK_SHEET in text
        assert min(c.font.sz for c in ws["A"] if c.value) >= 11  # printed at 100%: >= 10 pt
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.orientation == "portrait"
        budget = wb[BUDGET_SHEET]
        assert f"Return it by {due} to {cfg.finance_contact}" in budget["A6"].value
        assert targets.by_cost_center[code].cost_center.cost_center_name in lines[0]

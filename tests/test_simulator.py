"""The manager simulator: clean fills pass every rule; the defect set covers every intake code."""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

from conftest import needs_libreoffice
from hybridbudget.cli import main
from hybridbudget.control.load import load_control
from hybridbudget.intake.checks import named_cost_centers
from hybridbudget.intake.codes import CODE_BY_ID, CODES
from hybridbudget.model.line_items import JOB_CLASSES
from hybridbudget.sample import defects as D
from hybridbudget.sample.defects import make_defects, read_manifest, reserved_cost_centers
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.templates.contract import (
    BUDGET_SHEET,
    INPUT_NAMES,
    META_KEYS,
    META_SHEET,
    NAME_BY_ID,
    OUTPUT_NAMES,
    Role,
)
from hybridbudget.templates.fingerprint import fingerprint
from hybridbudget.templates.layout import Area, layout, variant_of
from hybridbudget.templates.values import expected_outputs, read_meta, read_template_values
from hybridbudget.templates.writer import volume_cap

SECTIONS = ("volume", "staffing", "nonlabor")
NUMERIC_INPUTS = (
    "hb_volume_forecast",
    "hb_fte",
    "hb_wage_rate",
    "hb_overtime_pct",
    "hb_agency_fte",
    "hb_supplies_per_uos",
    "hb_drugs_per_uos",
    "hb_purchased_services",
    "hb_other_expense",
)
CAPITAL = (
    "hb_capital_item",
    "hb_capital_amount",
    "hb_capital_priority",
    "hb_capital_justification",
    "hb_capital_category",
    "hb_capital_life",
    "hb_capital_in_service",
)
OVER_CAP = 300_000_000
ABSENT = {"REQUIRED_BLANK", "RATIONALE_MISSING", "CAPITAL_INCOMPLETE"}  # the cell is left blank


def cost_center_of(path: Path | str) -> str:
    """The cost center a file was made for, from its name (<code>_FY<year>_v<n>.xlsx)."""
    return Path(path).name.split("_FY")[0]


def name_coords(wb: Workbook, name: str) -> list[str]:
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    ws = wb[sheet]
    return [
        c.coordinate
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
        for c in row
    ]


def cells_by_role(wb: Workbook) -> dict[Role, set[str]]:
    out: dict[Role, set[str]] = {r: set() for r in Role}
    for n in NAME_BY_ID.values():
        out[n.role].update(name_coords(wb, n.name))
    return out


def sheet_values(wb: Workbook, sheet: str) -> dict[str, object]:
    if sheet not in wb.sheetnames:
        return {}
    return {
        c.coordinate: c.value for row in wb[sheet].iter_rows() for c in row if c.value is not None
    }


def readable_meta(path: Path) -> dict[str, str] | None:
    """The Meta of a file intake would open (None for what it refuses: links, non-zips, bombs)."""
    if path.is_symlink() or not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as z:
            if sum(i.file_size for i in z.infolist()) > 50_000_000:
                return None
        wb = load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    try:
        return read_meta(wb)
    finally:
        wb.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, control_path: Path):
    """Every template filled cleanly (seed 2027), loaded with formula text, by cost center."""
    out = tmp_path_factory.mktemp("clean")
    paths = fill_submissions(templates_dir, out, control=control_path)
    return out, {cost_center_of(p): load_workbook(p) for p in paths}


@pytest.fixture(scope="module")
def defect_set(
    tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, control_path: Path, clean
):
    """The defect set beside the clean fills of every other cost center, as `sample fill
    --defects` writes it (the clean files are copied from `clean`: a cost center's fill does not
    depend on what else is filled, see test_cli_defect_set_is_deterministic)."""
    out = tmp_path_factory.mktemp("submissions")
    manifest = make_defects(templates_dir, control_path, out)
    reserved = reserved_cost_centers(templates_dir)
    clean_dir, books = clean
    filled = []
    for path in sorted(clean_dir.rglob("*.xlsx")):
        if cost_center_of(path) not in reserved:
            filled.append(out / path.relative_to(clean_dir))
            shutil.copy2(path, filled[-1])
    assert len(filled) == len(books) - len(reserved)
    return out, filled, read_manifest(manifest), reserved


# -- clean fills ----------------------------------------------------------------------------------


def test_fill_is_deterministic_and_does_not_depend_on_skip(
    tmp_path: Path, templates_dir: Path, control_path: Path, clean
) -> None:
    _, books = clean
    codes = sorted(books)
    kept = codes[::9]
    again = fill_submissions(
        templates_dir, tmp_path / "a", skip=set(codes) - set(kept), control=control_path
    )
    assert sorted(cost_center_of(p) for p in again) == kept
    for path in again:
        mine = read_template_values(path, False)
        assert mine == read_template_values(books[cost_center_of(path)], False)
    other = fill_submissions(
        templates_dir, tmp_path / "b", seed=7, skip=set(codes) - set(kept), control=control_path
    )
    first = Area(*layout().names["hb_volume_forecast"].cells()[0]).ref
    for path in other:
        forecast = read_template_values(path, False)["hb_volume_forecast"]
        before = read_template_values(books[cost_center_of(path)], False)["hb_volume_forecast"]
        locked = load_workbook(path)[BUDGET_SHEET][first].protection.locked  # hospital-wide
        assert (forecast == before) is locked, path.name


def test_clean_inputs_stay_inside_every_validation_rule(clean, control_targets) -> None:
    _, books = clean
    _, targets = control_targets
    rules = layout().rules
    for code, wb in books.items():
        cap = volume_cap(targets.by_cost_center[code])
        values = read_template_values(wb, data_only=False)
        for n in INPUT_NAMES:
            rule = rules[n.name]
            for v in values[n.name]:
                if v is None:
                    assert n.name not in NUMERIC_INPUTS, (code, n.name)
                elif rule.kind == "whole":
                    assert isinstance(v, int) and 0 <= v <= cap, (code, n.name, v)
                elif rule.kind == "decimal":
                    assert isinstance(v, int | float) and rule.low <= v <= rule.high, (code, n.name)
                elif rule.kind == "textLength":
                    assert isinstance(v, str) and len(v) <= rule.high, (code, n.name)
                elif rule.source:  # finance's capital categories, as the template lists them
                    assert v in values[rule.source], (code, n.name, v)
                else:
                    assert v in rule.offered, (code, n.name, v)
        dv = next(d for d in wb[BUDGET_SHEET].data_validations.dataValidation if d.type == "whole")
        assert float(dv.formula2) == cap  # the file's own rule is the one checked above


def test_staffing_inside_band_and_wages_inside_tolerance(clean, control_targets) -> None:
    _, books = clean
    ref, _ = control_targets
    band = {c.job_class: c for c in ref.job_classes}
    tolerance = ref.config.guardrails.wage_rate_tolerance_pct
    moved = 0
    for code, wb in books.items():
        v = read_template_values(wb, data_only=False)
        for i, j in enumerate(JOB_CLASSES):
            fte, target = v["hb_fte"][i], v["hb_fte_target"][i]
            wage, prior = v["hb_wage_rate"][i], v["hb_wage_prior"][i]
            if target:
                low, high = band[j].fte_band_low * target, band[j].fte_band_high * target
                assert low <= fte <= high, (code, j, fte, target)
                moved += fte != target
            else:
                assert fte == 0, (code, j)
            if prior:
                assert abs(wage / prior - 1) <= tolerance, (code, j, wage, prior)
            if wage:
                assert band[j].wage_min <= wage <= band[j].wage_max, (code, j, wage)
    assert moved > len(books)  # managers do trim and add staff


def test_save_keeps_protection_names_and_validation(clean, control_targets) -> None:
    _, books = clean
    _, targets = control_targets
    lay = layout()
    names = {name: [(BUDGET_SHEET, area.absolute)] for name, area in lay.names.items()}
    rules = sorted((lay.rules[n].kind, lay.names[n].ref) for n in lay.rules)
    for code, wb in books.items():
        ws = wb[BUDGET_SHEET]
        variant = layout(variant_of(targets.by_cost_center[code]))
        inputs = {f"{get_column_letter(c)}{r}" for r, c in variant.input_cells()}
        assert ws.protection.sheet and ws.protection.password, code
        assert wb.security.lockStructure
        assert wb[META_SHEET].sheet_state == "veryHidden" and wb[META_SHEET].protection.sheet
        assert {k: list(d.destinations) for k, d in wb.defined_names.items()} == names
        kinds = sorted((d.type, str(d.sqref)) for d in ws.data_validations.dataValidation)
        assert kinds == rules, code
        for r, c in lay.cells:
            coord = f"{get_column_letter(c)}{r}"
            assert ws[coord].protection.locked == (coord not in inputs), (code, coord)
        assert fingerprint(ws) == read_meta(wb)["fingerprint"]  # no locked cell touched


def test_rationale_written_wherever_the_engine_requires_one(clean) -> None:
    _, books = clean
    required = optional = moved = 0
    with_capital = 0
    for code, wb in books.items():
        values = read_template_values(wb, data_only=False)
        outputs = expected_outputs(values)
        for s in SECTIONS:
            text = values[f"hb_rationale_{s}"][0]
            if outputs[f"hb_need_rationale_{s}"][0] == 1:
                required += 1
                assert text and len(text.strip()) > 20, (code, s)
            else:
                optional += bool(text)
        forecast, target = (sum(values[n]) for n in ("hb_volume_forecast", "hb_volume_target"))
        moved += abs(forecast / target - 1) > 0.05 if target else 0
        # the in-service month may stay blank (July, the documented default)
        rows = list(zip(*(values[n] for n in CAPITAL if n != "hb_capital_in_service"),
                        strict=True))  # fmt: skip
        with_capital += any(any(r) for r in rows)
        assert all(all(r) or not any(r) for r in rows), (code, rows)  # requests are complete
    n = len(books)
    assert required >= 5 and optional >= 1
    assert 0.05 * n <= moved <= 0.4 * n  # most stay near the target, a few move
    assert 0.15 * n <= with_capital <= 0.55 * n


def test_validator_accepts_every_clean_fill(clean, control_path: Path) -> None:
    from hybridbudget.steps.validate import validate_submissions

    out, books = clean
    result = validate_submissions(control_path, out)
    assert [f.sentence() for f in result.findings] == []
    assert len(result.accepted) == len(books)


# -- the defect set --------------------------------------------------------------------------------


def test_manifest_covers_every_code_and_every_file_exists(defect_set) -> None:
    out, _, rows, _ = defect_set
    header = D.manifest_path(out).read_text(encoding="utf-8").splitlines()[0]
    assert header == "file,code,sheet,cell,cost_center,description"
    assert {c.code for c in CODES} <= {r.code for r in rows} | D.CODES_ELSEWHERE
    assert {r.code for r in rows} <= set(CODE_BY_ID)
    for r in rows:
        assert (out / r.file).is_symlink() or (out / r.file).is_file(), r.file
        assert r.description, r


def test_manifest_cells_resolve(defect_set) -> None:
    out, _, rows, _ = defect_set
    expected_role = {
        "LOCKED_EDITED": Role.GIVEN,
        "FORMULA_CHANGED": Role.OUTPUT,
        "MONTHS_NOT_ANNUAL": Role.OUTPUT,
        "CACHED_MISMATCH": Role.OUTPUT,
    }
    for r in rows:
        if not r.cell:
            assert r.sheet in ("", BUDGET_SHEET), r
            continue
        wb = load_workbook(out / r.file)
        assert r.sheet in wb.sheetnames, r
        coordinate_to_tuple(r.cell)  # a plain coordinate
        if r.sheet == META_SHEET:
            key = wb[META_SHEET][f"A{coordinate_to_tuple(r.cell)[0]}"].value
            assert r.cell.startswith("B") and key in META_KEYS, r
            continue
        role = expected_role.get(r.code, Role.INPUT)
        assert r.cell in cells_by_role(wb)[role], r
        if role is Role.INPUT:
            names = [n.name for n in INPUT_NAMES if r.cell in name_coords(wb, n.name)]
            assert len(names) == 1, r


def test_one_file_per_cost_center_except_the_resubmissions(defect_set) -> None:
    out, filled, rows, reserved = defect_set
    assert not {cost_center_of(p) for p in filled} & reserved
    seen = Counter()
    files: dict[str, list[str]] = {}
    for path in sorted(out.rglob("*.xlsx")):
        code = (readable_meta(path) or {}).get("cost_center")
        if code:
            seen[code] += 1
            files.setdefault(code, []).append(path.relative_to(out).as_posix())
    three = [r for r in rows if r.code in ("SUPERSEDED", "NAME_MISMATCH", "RESUBMISSION_REJECTED")]
    cc = {r.cost_center for r in three}
    assert {c for c, k in seen.items() if k > 1} == cc
    assert sorted(files[cc.pop()]) == sorted(r.file for r in three)


def test_each_defect_breaks_exactly_one_thing(defect_set, clean) -> None:
    out, _, rows, _ = defect_set
    _, books = clean
    lay = layout()
    by_file: dict[str, list] = {}
    for r in rows:
        by_file.setdefault(r.file, []).append(r)
    extra = {
        "RATIONALE_MISSING": ("hb_volume_forecast",),
        "CAPITAL_INCOMPLETE": CAPITAL,
        "CAPITAL_CATEGORY": CAPITAL,
    }
    rationale_cells = {lay.names[f"hb_rationale_{s}"].ref for s in SECTIONS}
    for file, found in by_file.items():
        codes = {r.code for r in found}
        if not any(r.sheet for r in found) and "NOT_TEMPLATE" not in codes:
            continue  # file-level: see test_file_level_defects
        wb, clean_wb = load_workbook(out / file), books[cost_center_of(file)]
        allowed = {(r.sheet, r.cell) for r in found} | {(BUDGET_SHEET, c) for c in rationale_cells}
        for code in codes:
            for name in extra.get(code, ()):
                allowed |= {(BUDGET_SHEET, c) for c in name_coords(wb, name)}
        changed = set()
        for sheet in (BUDGET_SHEET, META_SHEET):
            mine, theirs = sheet_values(wb, sheet), sheet_values(clean_wb, sheet)
            if not mine and sheet == META_SHEET:
                assert codes == {"NOT_TEMPLATE"}
                continue
            changed |= {(sheet, c) for c in set(mine) | set(theirs) if mine.get(c) != theirs.get(c)}
        assert changed <= allowed, (file, codes, changed - allowed)
        for r in found:
            if r.code in ABSENT:
                assert wb[r.sheet][r.cell].value is None, r
            elif r.cell and r.code != "CACHED_MISMATCH":  # a cached value: see the next test
                assert (r.sheet, r.cell) in changed, r
        assert wb[BUDGET_SHEET].protection.sheet == ("PROTECTION_REMOVED" not in codes)
        if "RATIONALE_MISSING" not in codes:
            values = read_template_values(wb, data_only=False)
            need = expected_outputs(values)
            for s in SECTIONS:
                if need[f"hb_need_rationale_{s}"][0] == 1:
                    assert values[f"hb_rationale_{s}"][0], (file, s)


def test_file_level_defects(defect_set, control_path: Path) -> None:
    out, _, rows, _ = defect_set
    for r in rows:
        path = out / r.file
        if r.code == "NOT_WORKBOOK":
            assert not zipfile.is_zipfile(path)
        elif r.code == "CORRUPT":
            assert path.read_bytes()[:4] == b"PK\x03\x04"
            with pytest.raises(zipfile.BadZipFile):
                zipfile.ZipFile(path)
        elif r.code == "ENCRYPTED":
            assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
        elif r.code == "TOO_LARGE":
            with zipfile.ZipFile(path) as z:
                assert "xl/workbook.xml" in z.namelist()
                assert sum(i.file_size for i in z.infolist()) > OVER_CAP
            assert path.stat().st_size < 10_000_000
        elif r.code == "LINK_OUTSIDE":
            assert path.is_symlink() and path.resolve() == control_path.resolve()
        elif r.code in ("SUPERSEDED", "RESUBMISSION_REJECTED"):
            # issue 13: the same template version as the file used, saved earlier (superseded)
            # or later (the rejected resubmission), inside and on disk
            used = out / next(x.file for x in rows if x.code == "NAME_MISMATCH")
            old_meta, used_meta = read_meta(path), read_meta(used)
            assert old_meta["template_version"] == used_meta["template_version"]
            pair = (path, used) if r.code == "SUPERSEDED" else (used, path)
            assert pair[0].stat().st_mtime < pair[1].stat().st_mtime
            saved = [load_workbook(p, read_only=True).properties.modified for p in pair]
            assert saved[0] < saved[1]
            assert read_template_values(path, False) != read_template_values(used, False)
        elif r.code == "NAME_MISMATCH":
            # the file of one cost center named after another (a colleague's file copied)
            known = load_control(control_path)[0].organization.cost_center_by_code
            assert read_meta(path)["cost_center"] == r.cost_center
            assert named_cost_centers(path.name, known) == {min(set(known) - {r.cost_center})}


def test_cached_mismatch_file_differs_in_one_output_only(defect_set) -> None:
    out, _, rows, _ = defect_set
    only = [r for r in rows if r.code == "CACHED_MISMATCH"]
    r = next(r for r in only if len([x for x in rows if x.file == r.file]) == 1)
    wb = load_workbook(out / r.file)
    cached = read_template_values(out / r.file, data_only=True)
    expected = expected_outputs(read_template_values(wb, data_only=False))
    wrong = []
    for n in OUTPUT_NAMES:
        cells = zip(name_coords(wb, n.name), cached[n.name], expected[n.name], strict=True)
        for coord, got, want in cells:
            assert got is not None, (n.name, coord)
            if abs(got - want) > 0.005:
                wrong.append(coord)
    assert wrong == [r.cell]


def parts(path: Path) -> dict[str, bytes]:
    """A package's parts, less the one that carries the save time."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_cli_defect_set_is_deterministic(
    tmp_path: Path,
    templates_dir: Path,
    control_path: Path,
    defect_set,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    fixture_dir, filled, rows, _ = defect_set
    monkeypatch.setattr(D, "OVERSIZE", 2 * 2**20)  # small: the sizes are not the point here
    monkeypatch.setattr(D, "HUGE_ROWS", 100)
    out = tmp_path / "out"
    args = ["sample", "fill", "--templates", str(templates_dir), "--out", str(out)]
    assert main([*args, "--control", str(control_path), "--defects"]) == 0
    assert f"{len(rows)} expected findings" in capsys.readouterr().out
    again = read_manifest(D.manifest_path(out))
    big = {r.file for r in rows if r.code == "TOO_LARGE"}
    assert [r for r in again if r.file not in big] == [r for r in rows if r.file not in big]
    assert {r.file for r in again} == {r.file for r in rows}
    unstable = big | {r.file for r in rows if r.code in ("CORRUPT", "ENCRYPTED", "LINK_OUTSIDE")}
    files = [r.file for r in rows] + [p.relative_to(fixture_dir).as_posix() for p in filled]
    for file in sorted(set(files) - unstable):
        mine, theirs = fixture_dir / file, out / file
        if zipfile.is_zipfile(mine):
            assert parts(mine) == parts(theirs), file
        else:
            assert mine.read_bytes() == theirs.read_bytes(), file
    templates = D.index_templates(templates_dir)
    plans = [{k: t.code for k, t in D.plan_defects(templates, s).items()} for s in (2027, 1)]
    assert plans[0] != plans[1]


# -- command line and LibreOffice -----------------------------------------------------------------


@pytest.fixture()
def three_templates(tmp_path: Path, templates_dir: Path) -> Path:
    """A templates folder with three cost centers (entity folders kept)."""
    out = tmp_path / "three"
    for path in sorted(templates_dir.rglob("*.xlsx"))[-3:]:
        dst = out / path.relative_to(templates_dir)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dst)
    return out


def test_cli_sample_fill(
    tmp_path: Path, three_templates: Path, control_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    args = ["sample", "fill", "--templates", str(three_templates), "--out", str(out)]
    assert main([*args, "--control", str(control_path), "--seed", "5"]) == 0
    assert "Filled 3 submission(s)" in capsys.readouterr().out
    assert len(list(out.rglob("*.xlsx"))) == 3
    for bad, says in (
        (
            ["sample", "--out", str(out), "--templates", str(three_templates)],
            "only with 'sample fill'",
        ),
        (["sample", "fill", "--out", str(out)], "required: --templates"),
        ([*args, "--defects"], "--defects needs --control"),
        ([*args, "--cost-centers", "5"], "unrecognized arguments: --cost-centers"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2
        assert says in capsys.readouterr().err


@needs_libreoffice
def test_recalc_caches_engine_values_and_keeps_protection(
    tmp_path: Path, three_templates: Path, control_path: Path
) -> None:
    paths = fill_submissions(three_templates, tmp_path / "out", control=control_path, recalc=True)
    for path in paths:
        wb = load_workbook(path)
        ws = wb[BUDGET_SHEET]
        assert ws.protection.sheet and wb.security.lockStructure
        assert wb[META_SHEET].sheet_state == "veryHidden"
        assert set(wb.defined_names) == set(NAME_BY_ID)
        assert len(ws.data_validations.dataValidation) == len(layout().rules)
        assert fingerprint(ws) == read_meta(wb)["fingerprint"]
        assert not any(
            ws[c].protection.locked for n in INPUT_NAMES for c in name_coords(wb, n.name)
        )
        cached = read_template_values(path, data_only=True)
        expected = expected_outputs(read_template_values(wb, data_only=False))
        for n in OUTPUT_NAMES:
            assert cached[n.name] == pytest.approx(expected[n.name], abs=0.005), n.name

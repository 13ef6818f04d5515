"""Issue 9: random but well-formed edits of a filled template never crash validate or consolidate,
and every accepted submission's figures tie out."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridbudget.engine.drivers import compute
from hybridbudget.engine.rollup import monthly_lines, rollup
from hybridbudget.intake.files import Candidate
from hybridbudget.intake.submission import read_submission
from hybridbudget.model.line_items import LINE_ITEM_CODES
from hybridbudget.sample.fill import fill_submissions
from hybridbudget.steps.consolidate import bottom_up
from hybridbudget.steps.validate import validate_submissions
from hybridbudget.templates.contract import INPUT_NAMES, NAME_BY_ID
from hybridbudget.templates.values import drivers_from_values

CELL_VALUES = st.one_of(
    st.none(),
    st.floats(min_value=-1e6, max_value=1e7, allow_nan=False, allow_infinity=False),
    st.integers(min_value=-1000, max_value=10**9),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
    st.sampled_from(["High", "Medium", "Low", "n/a", "0", "1e3", "=1+1", "  "]),
)
EDIT = st.tuples(
    st.sampled_from([n.name for n in INPUT_NAMES]),
    st.integers(min_value=0, max_value=11),
    CELL_VALUES,
)


@pytest.fixture(scope="module")
def one_filled(tmp_path_factory, templates_dir, control_path) -> Path:
    out = tmp_path_factory.mktemp("prop")
    src = tmp_path_factory.mktemp("prop-src")
    for code in ("RMC-03100", "RMC-06000"):
        path = next(templates_dir.rglob(f"{code}*.xlsx"))
        (src / path.parent.name).mkdir(exist_ok=True)
        shutil.copyfile(path, src / path.parent.name / path.name)
    fill_submissions(src, out, seed=9, control=control_path)
    return out


def _edit(path: Path, edits: list[tuple[str, int, object]]) -> None:
    wb = openpyxl.load_workbook(path)
    for name, i, value in edits:
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        cells = (
            [c for row in wb[sheet][ref.replace("$", "")] for c in row]
            if ":" in ref
            else [wb[sheet][ref.replace("$", "")]]
        )
        cell = cells[i % NAME_BY_ID[name].cells]
        if cell.coordinate in wb[sheet].merged_cells:
            continue
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    wb.save(path)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(EDIT, min_size=1, max_size=6))
def test_random_edits_never_crash_and_accepted_figures_tie_out(
    edits, one_filled, control_path, tmp_path_factory
):
    folder = tmp_path_factory.mktemp("case")
    shutil.copytree(one_filled, folder / "in")
    target = next((folder / "in").rglob("RMC-03100*.xlsx"))
    _edit(target, edits)
    result = validate_submissions(control_path, folder / "in")
    assert not [f for f in result.findings if f.code == "INTERNAL"], result.findings
    assert {f.file for f in result.files} == {
        p.relative_to(folder / "in").as_posix() for p in (folder / "in").rglob("*.xlsx")
    }
    bus = bottom_up(result)
    ref = result.context.reference
    for cc, bu in bus.items():
        sub = read_submission(Candidate(result.folder / bu.file, bu.file))
        assert compute(drivers_from_values(sub.values)).lines == bu.figures.lines, cc
    cons = rollup(monthly_lines({c: b.figures for c, b in bus.items()}), ref, bus)
    system = cons[cons.level == "System"].set_index("line_item")
    for li in LINE_ITEM_CODES:
        want = sum(round(b.figures.lines[li] * 100) for b in bus.values())
        assert round(system.loc[li, "annual"] * 100) == want

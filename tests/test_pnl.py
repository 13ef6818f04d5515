"""Issue 15: Targets, Consolidated, Plan and Locked Plan open with a P&L that ties to the cent."""

from __future__ import annotations

import openpyxl

from hybridbudget.control import schema as L
from hybridbudget.control.load import load_control
from hybridbudget.control.pnl_sheet import PNL_TITLE
from hybridbudget.engine.pnl import PNL_ROWS
from hybridbudget.engine.rollup import hierarchy
from sheets import assert_pnl_ties, block_frame


def test_targets_pnl_ties_to_its_lines_levels_and_detail(control_path):
    ref, _ = load_control(control_path)
    h = hierarchy(ref)
    detail = block_frame(control_path, L.TARGETS, L.TARGET_BLOCK, L.TARGET_COLUMNS)
    blocks = assert_pnl_ties(control_path, L.TARGETS, PNL_TITLE, h, detail)
    assert len(blocks) == 1 + h.entity_code.nunique() + h.service_line_code.nunique() + len(h)
    assert blocks["System"][0] == f"System: {ref.config.system_name}"
    ws = openpyxl.load_workbook(control_path)[L.TARGETS]
    first = next(r for r in range(1, 20) if ws.cell(r, 1).value == PNL_TITLE) + 2
    header = [c.value for c in ws[first - 1]]
    line, annual = header.index("Line") + 1, header.index("Annual") + 1
    levels: dict[str, set[int]] = {}
    r, code = first, None
    while ws.cell(r, line).value is not None:  # the P&L block, down to the blank row after it
        code = ws.cell(r, 1).value or code  # the code shows once, on the level's heading row
        levels.setdefault(code, set()).add(ws.row_dimensions[r].outlineLevel)
        r += 1
    shown = [row for row in PNL_ROWS if not row.optional]  # depreciation: plans only
    assert r - first == (1 + len(shown)) * len(blocks) == 22 * len(blocks)  # heading + lines
    cc = h.cost_center.iloc[0]
    assert levels["System"] == {0} and levels[cc] == {3}  # outline: collapse to a level
    assert levels[h.entity_code.iloc[0]] == {1} and levels[h.service_line_code.iloc[0]] == {2}
    total = next(r for r in range(first, first + 22) if ws.cell(r, line).value == "Total labor")
    assert ws.cell(total, annual).font.b and ws.cell(total, annual).border.top.style == "thin"
    assert ws.cell(total, annual).number_format == "#,##0;(#,##0)"  # whole dollars, cents kept
    # the P&L sits on the detail block's grid: Annual above Annual, the label above the name
    detail = [c.header for c in L.TARGET_COLUMNS]
    assert annual == detail.index("Annual") + 1 and line == detail.index("Line item name") + 1
    assert ws.freeze_panes == f"{ws.cell(1, line + 1).column_letter}{first}"  # keys in view

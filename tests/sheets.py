"""Test helpers: read a written block back with openpyxl (an independent reader) and sum cents."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd

TOTAL_LABELS = ("Total", "Total requested")


def block_frame(path: Path, sheet: str, title: str, columns) -> pd.DataFrame:
    """A block of a written sheet as a DataFrame keyed by column key (total rows dropped)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = list(rows[start + 1])
    out = []
    for r in rows[start + 2 :]:
        if not r or r[0] is None or r[0] in TOTAL_LABELS:
            break
        out.append({c.key: r[header.index(c.header)] for c in columns})
    return pd.DataFrame(out)


def cents(values) -> int:
    """Exact integer cents of money values."""
    return sum(int(Decimal(str(v or 0)).scaleb(2).to_integral_value()) for v in values)


def block_formats(
    path: Path, sheet: str, title: str
) -> tuple[list[str], list[list[object]], list[list[str]]]:
    """A written block's header, data row values and data cell number formats (total row kept)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb[sheet].iter_rows()]
    wb.close()
    start = next(i for i, r in enumerate(rows) if r and r[0].value == title)
    header = [c.value for c in rows[start + 1]]
    body = []
    for r in rows[start + 2 :]:
        if not r or r[0].value is None:
            break
        body.append(r)
    return (
        header,
        [[c.value for c in r] for r in body],
        [[c.number_format for c in r] for r in body],
    )


def red_side(number_format: str) -> str:
    """Which side of a number format is red: 'positive', 'negative', 'both' or 'none'."""
    sections = number_format.split(";")
    pos = "[Red]" in sections[0]
    neg = len(sections) > 1 and "[Red]" in sections[1]
    return {(True, True): "both", (True, False): "positive", (False, True): "negative"}.get(
        (pos, neg), "none"
    )


def assert_difference_format(number_format: str, way: str) -> None:
    """A gap or variance format: negatives in parentheses, no '[Red]-', red only when unfavourable
    (way 'up': less is unfavourable; 'down': more is; 'neutral': never red)."""
    assert "[Red]-" not in number_format, number_format
    sections = number_format.split(";")
    assert len(sections) >= 2 and "(" in sections[1] and ")" in sections[1], number_format
    want = {"up": "negative", "down": "positive", "neutral": "none"}[way]
    assert red_side(number_format) == want, (number_format, way)
    assert len(sections) < 3 or "[Red]" not in sections[2], number_format  # zero is never red


def pnl_blocks(path: Path, sheet: str, title: str) -> dict[str, tuple[str, dict[str, list]]]:
    """The P&L block of a sheet: code -> (heading, line label -> [annual, Jan..Dec] values)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = list(rows[start + 1])
    at, line, annual = header.index("Code"), header.index("Line"), header.index("Annual")
    out: dict[str, tuple[str, dict[str, list]]] = {}
    code = None
    for r in rows[start + 2 :]:
        if not r or r[line] is None:
            break
        label, values = r[line], list(r[annual : annual + 13])
        if r[at] is not None:  # the heading row names the level; its lines follow
            code = r[at]
            out[code] = (label, {})  # the heading row opens each level's block
        else:
            out[code][1][label] = list(values)
    return out


def assert_pnl_ties(path: Path, sheet: str, title: str, h: pd.DataFrame, detail: pd.DataFrame):
    """Every subtotal equals its lines, every level its children, every cost center its detail
    rows (cost_center, line_item, annual, m01..m12), to the cent; months add up to the year."""
    from hybridbudget.model.line_items import (
        DEPRECIATION,
        JOB_CLASSES,
        LINE_ITEM_NAMES,
        NONLABOR_LINES,
    )

    blocks = pnl_blocks(path, sheet, title)
    name = LINE_ITEM_NAMES | {DEPRECIATION.code: DEPRECIATION.name}  # DEP: plans only
    salaries = [name[f"SAL_{j}"] for j in JOB_CLASSES]
    nonlabor = [name[c] for c in NONLABOR_LINES]
    money = [name["REV"], *salaries, "Total salaries", name["AGY"], name["BEN"], "Total labor",
             *nonlabor, "Total non-labor", "Total expense", "Operating margin"]  # fmt: skip

    def col(lines: dict[str, list], label: str, k: int) -> int:
        return cents([lines[label][k]]) if label in lines else 0

    for code, (_heading, lines) in blocks.items():
        assert list(lines)[:2] == ["Units of service", name["REV"]], code  # finance's order
        assert list(lines)[-3:] == ["Operating margin", "Operating margin %", "Paid FTEs"], code
        for k in range(13):
            c = {label: col(lines, label, k) for label in money}
            assert c["Total salaries"] == sum(c[s] for s in salaries), (code, k)
            assert c["Total labor"] == c["Total salaries"] + c[name["AGY"]] + c[name["BEN"]]
            assert c["Total non-labor"] == sum(c[s] for s in nonlabor), (code, k)
            dep = col(lines, DEPRECIATION.name, k)
            assert c["Total expense"] == c["Total labor"] + c["Total non-labor"] + dep, (code, k)
            assert c["Operating margin"] == c[name["REV"]] - c["Total expense"], (code, k)
        for label in money:
            assert cents([lines[label][0]]) == cents(lines[label][1:]), (code, label)
    present = h[h.cost_center.isin(set(detail.cost_center))]
    groups = [(None, "System", list(present.entity_code.unique()))]
    groups += [
        (e, e, list(p.service_line_code.unique())) for e, p in present.groupby("entity_code")
    ]
    groups += [(s, s, list(p.cost_center)) for s, p in present.groupby("service_line_code")]
    for _, parent, children in groups:
        for label in [*money, "Units of service", DEPRECIATION.name]:
            for k in range(13):
                want = sum(col(blocks[ch][1], label, k) for ch in children)
                assert col(blocks[parent][1], label, k) == want, (parent, label, k)
    keys = ["annual", *(f"m{i:02d}" for i in range(1, 13))]
    for row in detail.itertuples(index=False):
        got = blocks[row.cost_center][1][name[row.line_item]]
        assert [cents([v]) for v in got] == [cents([getattr(row, k)]) for k in keys], row
    return blocks


def cut_text(path: Path, sheets: tuple[str, ...]) -> list[str]:
    """Cells whose text is cut off in print: longer than the column (10-point text, as
    `wrapped_lines` counts) and not wrapped with a cell
    to its right holding a value, or wrapped in a row too short for its lines."""
    from openpyxl.utils import get_column_letter

    from hybridbudget.workbook.spec import LINE_POINTS, wrapped_lines

    wb = openpyxl.load_workbook(path)
    out = []
    for ws in (wb[s] for s in sheets):
        widths = {c: ws.column_dimensions[get_column_letter(c)].width or 8.43
                  for c in range(1, ws.max_column + 1)}  # fmt: skip
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if not isinstance(c.value, str):
                    continue
                width = widths[c.column]
                if c.alignment.wrap_text:
                    lines = wrapped_lines(c.value, width)
                    height = ws.row_dimensions[c.row].height
                    if lines > 1 and (height or LINE_POINTS) < LINE_POINTS * lines:
                        out.append(f"{ws.title}!{c.coordinate} needs {lines} lines: {height}")
                elif len(c.value) > int(width * 1.15) and c.column < ws.max_column:
                    right = ws.cell(c.row, c.column + 1).value
                    if right not in (None, ""):  # text runs on over an empty cell, not beyond
                        out.append(f"{ws.title}!{c.coordinate} cut at {width}: {c.value[:40]}")
    wb.close()
    return out

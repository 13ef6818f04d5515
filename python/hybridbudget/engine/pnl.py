"""P&L blocks: every level (system, entity, service line, cost center) in finance's order.

Each block reads top to bottom as finance does: units of service, net revenue, salaries by job
class and their total, agency, benefits, total labor, the non-labor lines and their total, total
expense, operating margin $ and % of net revenue, paid FTEs; annual and twelve months. Subtotals
and every level are sums in integer cents, so they tie to their lines and children exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import pandas as pd

from ..model.line_items import (
    DEPRECIATION,
    JOB_CLASSES,
    LINE_ITEM_NAMES,
    NONLABOR_LINES,
    salary_line,
)
from .rollup import in_order

MONTH_KEYS = tuple(f"m{i:02d}" for i in range(1, 13))
AMOUNT_KEYS = ("annual", *MONTH_KEYS)
SALARY_LINES = tuple(salary_line(j) for j in JOB_CLASSES)


@dataclass(frozen=True)
class PnlRow:
    key: str  # a line item code, or a subtotal / statistic (engine/favourability.py knows them)
    label: str
    kind: str  # int (units), money, pct, fte
    parts: tuple[str, ...] = ()  # a subtotal: the rows it sums (a leading "-" subtracts)
    optional: bool = False  # shown only where the lines hold it (depreciation: plans only)

    @property
    def subtotal(self) -> bool:
        return bool(self.parts)


PNL_ROWS: tuple[PnlRow, ...] = (
    PnlRow("UOS", "Units of service", "int"),
    PnlRow("REV", LINE_ITEM_NAMES["REV"], "money"),
    *(PnlRow(c, LINE_ITEM_NAMES[c], "money") for c in SALARY_LINES),
    PnlRow("SAL", "Total salaries", "money", SALARY_LINES),
    PnlRow("AGY", LINE_ITEM_NAMES["AGY"], "money"),
    PnlRow("BEN", LINE_ITEM_NAMES["BEN"], "money"),
    PnlRow("LABOR", "Total labor", "money", ("SAL", "AGY", "BEN")),
    *(PnlRow(c, LINE_ITEM_NAMES[c], "money") for c in NONLABOR_LINES),
    PnlRow("NONLABOR", "Total non-labor", "money", NONLABOR_LINES),
    PnlRow(DEPRECIATION.code, DEPRECIATION.name, "money", optional=True),
    PnlRow("EXPENSE", "Total expense", "money", ("LABOR", "NONLABOR", DEPRECIATION.code)),
    PnlRow("MARGIN", "Operating margin", "money", ("REV", "-EXPENSE")),
    PnlRow("MARGIN_PCT", "Operating margin %", "pct"),  # of net revenue
    PnlRow("FTE", "Paid FTEs", "fte"),
)
LEVELS = ("System", "Entity", "Service line", "Cost center")  # outline levels 0..3


def _cents(values: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


MONEY_ROWS = tuple(r.key for r in PNL_ROWS if r.kind == "money" and not r.subtotal)


def _amounts(lines: pd.DataFrame, position: Mapping[str, int]) -> np.ndarray:
    """[cost center, money line, annual + 12 months] in integer cents (from dollars), cost
    centers by `position`; a line given twice keeps its last row."""
    cents = _cents(lines[list(AMOUNT_KEYS)].to_numpy())
    out = np.zeros((len(position), len(MONEY_ROWS), len(AMOUNT_KEYS)), dtype=np.int64)
    column = {key: j for j, key in enumerate(MONEY_ROWS)}
    ccs, items = lines.cost_center.tolist(), lines.line_item.tolist()  # not cell by cell
    for cc, line, row in zip(ccs, items, cents, strict=True):
        i, j = position.get(str(cc)), column.get(str(line))
        if i is not None and j is not None:
            out[i, j] = row
    return out


@dataclass(frozen=True)
class _Level:
    """One P&L block: who it is about and the cost centers it sums."""

    level: int
    code: str
    name: str
    where: tuple[str, str]  # entity code, service line code
    ccs: list[str]


def _values(
    levels: Sequence[_Level],
    amounts: np.ndarray,
    position: Mapping[str, int],
    volume: Mapping[str, Sequence[float]],
    fte: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """Every level's P&L values by row key, [level, annual + 12 months]: amounts in dollars from
    summed cents, NaN where a level has none."""
    members = [[position[c] for c in lv.ccs] for lv in levels]
    sums = np.stack([amounts[m].sum(axis=0) for m in members])  # integer cents: exact sums
    by_key = {key: sums[:, j] for j, key in enumerate(MONEY_ROWS)}
    for row in PNL_ROWS:
        if row.kind == "money" and row.subtotal:
            total = np.zeros_like(sums[:, 0])
            for part in row.parts:
                sign, name = (-1, part[1:]) if part.startswith("-") else (1, part)
                total = total + sign * by_key[name]
            by_key[row.key] = total
    out = {key: v / 100 for key, v in by_key.items()}
    rev, margin = by_key["REV"], by_key["MARGIN"]
    out["MARGIN_PCT"] = np.divide(margin, rev, out=np.full(rev.shape, np.nan), where=rev != 0)
    units = np.zeros((len(position), len(AMOUNT_KEYS)), dtype=np.int64)
    for c, i in position.items():
        months = np.rint(np.asarray(volume.get(c, ()), dtype=float)).astype(np.int64)
        if len(months) == 12:
            units[i] = np.concatenate([[months.sum()], months])
    out["UOS"] = np.full(rev.shape, np.nan)
    out["FTE"] = np.full(rev.shape, np.nan)
    for g, (lv, m) in enumerate(zip(levels, members, strict=True)):
        if any(c in volume for c in lv.ccs):
            out["UOS"][g] = units[m].sum(axis=0)
        if any(c in fte for c in lv.ccs):  # summed in order, as a person adds them up
            out["FTE"][g, 0] = round(sum(fte[c] for c in lv.ccs if c in fte), 2)
    return out


_ORG = ("cost_center", "cost_center_name", "service_line_code", "service_line_name",
        "entity_code", "entity_name")  # fmt: skip
# a hierarchy holds no missing codes: grouped in order as groupby(sort=False) would group it
_ENTITY, _SERVICE_LINE = itemgetter(4, 5), itemgetter(2, 3)


def pnl_frame(
    lines: pd.DataFrame,
    h: pd.DataFrame,
    volume: Mapping[str, Sequence[float]] | None = None,
    fte: Mapping[str, float] | None = None,
    system_name: str = "",
) -> pd.DataFrame:
    """The P&L of every level, totals on top: the system, then each entity, its service lines,
    their cost centers (only cost centers present in `lines`).

    `lines`: cost_center, line_item, annual, m01..m12 (dollars); `volume`: cost center -> its 12
    months of units of service; `fte`: cost center -> paid FTEs. Columns: level, code, name,
    entity_code, service_line_code, key (the row: a line item code or a subtotal), label, annual,
    m01..m12, kind (the row's number kind), outline (0-3), style (head, total or "").
    """
    volume, fte = volume or {}, fte or {}
    present = h[h.cost_center.isin({str(cc) for cc in lines.cost_center.tolist()})]
    position = {cc: i for i, cc in enumerate(present.cost_center.tolist())}
    held = set(lines.line_item.astype(str))
    shown = [row for row in PNL_ROWS if not row.optional or row.key in held]
    org = list(zip(*(present[c].tolist() for c in _ORG), strict=True))
    levels = [_Level(0, "System", system_name, ("", ""), [r[0] for r in org])]
    for (e, e_name), ent in in_order(org, _ENTITY).items():
        levels.append(_Level(1, str(e), str(e_name), (str(e), ""), [r[0] for r in ent]))
        for (sl, sl_name), part in in_order(ent, _SERVICE_LINE).items():
            where = (str(e), str(sl))
            levels.append(_Level(2, str(sl), str(sl_name), where, [r[0] for r in part]))
            levels += [_Level(3, str(cc), str(name), where, [cc]) for cc, name, *_ in part]
    values = _values(levels, _amounts(lines, position), position, volume, fte)
    # each level: its heading row, then a row per P&L line
    per = 1 + len(shown)
    amounts = np.full((len(levels), per, len(AMOUNT_KEYS)), np.nan)
    for j, row in enumerate(shown, 1):
        amounts[:, j] = values[row.key]
    amounts = amounts.reshape(-1, len(AMOUNT_KEYS))

    def each_row(heading: Callable[[_Level], object], line: Callable[[PnlRow], object]) -> list:
        lined = [line(row) for row in shown]
        return [v for lv in levels for v in (heading(lv), *lined)]

    def down(value: Callable[[_Level], object]) -> list:
        return [value(lv) for lv in levels for _ in range(per)]

    return pd.DataFrame(
        {
            "level": down(lambda lv: LEVELS[lv.level]),
            "code": down(lambda lv: lv.code),
            "name": down(lambda lv: lv.name),
            "entity_code": down(lambda lv: lv.where[0]),
            "service_line_code": down(lambda lv: lv.where[1]),
            "key": each_row(lambda lv: np.nan, lambda row: row.key),
            "label": each_row(lambda lv: f"{LEVELS[lv.level]}: {lv.name}", lambda row: row.label),
            **{key: amounts[:, j] for j, key in enumerate(AMOUNT_KEYS)},
            "kind": each_row(lambda lv: "text", lambda row: row.kind),
            "outline": down(lambda lv: lv.level),
            "style": each_row(lambda lv: "head", lambda row: "total" if row.subtotal else ""),
        }
    )

"""P&L blocks: every level (system, entity, service line, cost center) in finance's order.

Each block reads top to bottom as finance does: units of service, net revenue, salaries by job
class and their total, agency, benefits, total labor, the non-labor lines and their total, total
expense, operating margin $ and % of net revenue, paid FTEs; annual and twelve months. Subtotals
and every level are sums in integer cents, so they tie to their lines and children exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.line_items import (
    DEPRECIATION,
    JOB_CLASSES,
    LINE_ITEM_NAMES,
    NONLABOR_LINES,
    salary_line,
)

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


def cost_center_cents(lines: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """cost center -> line item -> annual + 12 months, integer cents (from dollars)."""
    cents = _cents(lines[list(AMOUNT_KEYS)].to_numpy())
    out: dict[str, dict[str, np.ndarray]] = {}
    for cc, line, row in zip(lines.cost_center, lines.line_item, cents, strict=True):
        out.setdefault(str(cc), {})[str(line)] = row
    return out


def _block(
    amounts: Sequence[Mapping[str, np.ndarray]],
    uos: Sequence[np.ndarray],
    fte: Sequence[float],
) -> dict[str, list[object]]:
    """One level's P&L values by row key: amounts in dollars from summed cents."""
    zero = np.zeros(len(AMOUNT_KEYS), dtype=np.int64)
    sums: dict[str, np.ndarray] = {}
    for row in PNL_ROWS:
        if row.kind != "money":
            continue
        if row.subtotal:
            total = zero.copy()
            for part in row.parts:
                sign, name = (-1, part[1:]) if part.startswith("-") else (1, part)
                total = total + sign * sums[name]
            sums[row.key] = total
        else:
            sums[row.key] = sum((a.get(row.key, zero) for a in amounts), zero.copy())
    out: dict[str, list[object]] = {k: (v / 100).tolist() for k, v in sums.items()}
    rev, margin = sums["REV"], sums["MARGIN"]
    out["MARGIN_PCT"] = [float(m / r) if r else None for m, r in zip(margin, rev, strict=True)]
    units = sum(uos, np.zeros(len(AMOUNT_KEYS), dtype=np.int64)) if uos else None
    out["UOS"] = units.tolist() if units is not None else [None] * len(AMOUNT_KEYS)
    out["FTE"] = [round(sum(fte), 2) if fte else None] + [None] * 12
    return out


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
    by_cc = cost_center_cents(lines)
    present = h[h.cost_center.isin(list(by_cc))]
    held = set(lines.line_item.astype(str))
    shown = [row for row in PNL_ROWS if not row.optional or row.key in held]

    def units(cc: str) -> np.ndarray:
        months = np.rint(np.asarray(volume.get(cc, ()), dtype=float)).astype(np.int64)
        if len(months) != 12:
            return np.zeros(len(AMOUNT_KEYS), dtype=np.int64)
        return np.concatenate([[months.sum()], months])

    rows: list[dict[str, object]] = []

    def emit(level: int, code: str, name: str, ccs: list[str], where: tuple[str, str]) -> None:
        has_volume = any(c in volume for c in ccs)
        has_fte = any(c in fte for c in ccs)
        values = _block(
            [by_cc[c] for c in ccs],
            [units(c) for c in ccs] if has_volume else [],
            [fte[c] for c in ccs if c in fte] if has_fte else [],
        )
        ids = {"level": LEVELS[level], "code": code, "name": name, "entity_code": where[0],
               "service_line_code": where[1], "outline": level}  # fmt: skip
        rows.append(ids | {"label": f"{LEVELS[level]}: {name}", "kind": "text", "style": "head"})
        for row in shown:
            vals = values[row.key]
            rows.append(
                ids
                | {"label": row.label, "kind": row.kind, "key": row.key,
                   "style": "total" if row.subtotal else ""}
                | dict(zip(AMOUNT_KEYS, vals, strict=True))
            )  # fmt: skip

    emit(0, "System", system_name, list(present.cost_center), ("", ""))
    for (e, e_name), ent in present.groupby(["entity_code", "entity_name"], sort=False):
        emit(1, str(e), str(e_name), list(ent.cost_center), (str(e), ""))
        for (sl, sl_name), part in ent.groupby(["service_line_code", "service_line_name"],
                                               sort=False):  # fmt: skip
            emit(2, str(sl), str(sl_name), list(part.cost_center), (str(e), str(sl)))
            for cc, cc_name in zip(part.cost_center, part.cost_center_name, strict=True):
                emit(3, str(cc), str(cc_name), [cc], (str(e), str(sl)))
    ids = ["level", "code", "name", "entity_code", "service_line_code"]
    return pd.DataFrame(
        rows, columns=[*ids, "key", "label", *AMOUNT_KEYS, "kind", "outline", "style"]
    )

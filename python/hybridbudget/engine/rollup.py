"""The bottom-up budget: accepted submissions as drivers, recomputed by the engine, and rolled up.

Drivers travel through the control workbook's Bottom-up Drivers sheet (one row per cost center), so
later steps (divergence, apply decisions) recompute every figure from drivers instead of trusting
totals written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import pandas as pd

from ..model.line_items import JOB_CLASSES, LINE_ITEM_CODES, LINE_ITEM_NAMES
from ..model.reference import Reference
from .drivers import Drivers, Figures, StaffDrivers, compute

STAFF_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("fte", "FTEs", "fte"),
    ("wage_rate", "wage", "rate"),
    ("overtime_pct", "OT %", "pct2"),
    ("agency_fte", "agency FTEs", "fte"),
    ("agency_rate", "agency rate", "rate"),
)
SCALARS: tuple[tuple[str, str, str], ...] = (
    ("revenue_per_uos", "Net revenue / UOS", "rate"),
    ("productive_ratio", "Productive ratio", "ratio"),
    ("benefits_load", "Benefits load", "ratio"),
    ("supplies_per_uos", "Supplies / UOS", "rate"),
    ("drugs_per_uos", "Drugs / UOS", "rate"),
    ("purchased_services", "Purchased services", "money"),
    ("other_expense", "Other expense", "money"),
)
RATIONALE_KEYS = ("rationale_volume", "rationale_staffing", "rationale_nonlabor")


def drivers_row(d: Drivers) -> dict[str, float]:
    row: dict[str, float] = {f"v{i:02d}": v for i, v in enumerate(d.volume, 1)}
    row |= {key: getattr(d, key) for key, _, _ in SCALARS}
    for j in JOB_CLASSES:
        s = d.staff(j)
        row |= {f"{j}_{key}": getattr(s, key) for key, _, _ in STAFF_FIELDS}
    return row


def row_drivers(row: Mapping[str, object]) -> Drivers:
    def num(key: str) -> float:
        v = row.get(key)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0.0

    return Drivers(
        volume=tuple(num(f"v{i:02d}") for i in range(1, 13)),
        staffing={
            j: StaffDrivers(**{key: num(f"{j}_{key}") for key, _, _ in STAFF_FIELDS})
            for j in JOB_CLASSES
        },
        **{key: num(key) for key, _, _ in SCALARS},
    )


@dataclass(frozen=True)
class BottomUp:
    """One cost center's accepted submission: drivers, recomputed figures, words, lineage."""

    cost_center: str
    drivers: Drivers
    figures: Figures
    rationale: dict[str, str]
    file: str = ""
    sha256: str = ""

    @classmethod
    def of(cls, cost_center: str, drivers: Drivers, rationale: Mapping[str, str], file: str = "",
           sha256: str = "") -> BottomUp:  # fmt: skip
        return cls(cost_center, drivers, compute(drivers), dict(rationale), file, sha256)


def hierarchy(ref: Reference) -> pd.DataFrame:
    """cost_center, cost_center_name, service_line_code, service_line_name, entity_code, entity_name."""
    org = ref.organization
    rows = []
    for cc in org.cost_centers:
        sl = org.service_line_by_code[cc.service_line_code]
        e = org.entity_by_code[sl.entity_code]
        rows.append(
            {
                "cost_center": cc.cost_center_code,
                "cost_center_name": cc.cost_center_name,
                "service_line_code": sl.service_line_code,
                "service_line_name": sl.service_line_name,
                "entity_code": e.entity_code,
                "entity_name": e.entity_name,
            }
        )
    return pd.DataFrame(rows)


def phase_lines(amounts: Sequence[float], weights: Sequence[float]) -> list[list[float]]:
    """[money.phase(a, weights) for a in amounts], the largest-remainder split done for all
    amounts at once (same arithmetic, element by element)."""
    unit = 100
    w = np.asarray(weights, dtype=float)
    if len(w) == 0:
        return [[] for _ in amounts]
    if w.sum() <= 0:
        w = np.ones_like(w)
    whole = np.array([round(a * unit) for a in amounts], dtype=np.int64)
    raw = whole[:, None] * w[None, :] / w.sum()
    base = np.floor(raw).astype(np.int64)
    short = whole - base.sum(axis=1)
    order = np.argsort(-(raw - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(len(w))[None, :], axis=1)
    # phase adds 1 to order[:short]: a negative short (float noise) leaves out the last |short|
    first = np.where(short >= 0, short, np.maximum(len(w) + short, 0))
    base += rank < first[:, None]
    return [[int(b) / unit for b in row] for row in base.tolist()]


def monthly_lines(figures: Mapping[str, Figures]) -> pd.DataFrame:
    """cost_center, line_item, annual, m01..m12 for every cost center's figures."""
    rows = []
    for code, fig in figures.items():
        amounts = [fig.lines[li] for li in LINE_ITEM_CODES]
        months = phase_lines(amounts, fig.monthly_volume or (1.0,) * 12)
        for li, amount, split in zip(LINE_ITEM_CODES, amounts, months, strict=True):
            rows.append(
                {"cost_center": code, "line_item": li, "annual": amount}
                | dict(zip(MONTH_KEYS, split, strict=True))
            )
    return pd.DataFrame(rows, columns=["cost_center", "line_item", "annual", *MONTH_KEYS])


MONTH_KEYS = tuple(f"m{i:02d}" for i in range(1, 13))
MONEY_KEYS = ("annual", *MONTH_KEYS)


def rollup(lines: pd.DataFrame, ref: Reference, included: Iterable[str]) -> pd.DataFrame:
    """Cost center -> service line -> entity -> system, by line item and month, in integer cents.

    Rows come in outline order (system, then each entity, its service lines, their cost centers),
    with how many of the level's cost centers are included ("n of m").
    """
    h = hierarchy(ref)
    inc = set(included)
    data = lines.merge(h, on="cost_center", how="left")
    cents = data[list(MONEY_KEYS)].mul(100).round().astype("int64")
    data = pd.concat([data.drop(columns=list(MONEY_KEYS)), cents], axis=1)
    data["system"] = ""
    sums: dict[str, dict[tuple[str, str], np.ndarray]] = {}
    for key in ("system", "entity_code", "service_line_code", "cost_center"):
        table = data.groupby([key, "line_item"])[list(MONEY_KEYS)].sum()
        sums[key] = dict(zip(table.index, table.to_numpy(), strict=True))
    zero = np.zeros(len(MONEY_KEYS), dtype=np.int64)
    blocks: list[tuple[str, str, str, str, str]] = []  # (level, key, code, label, included)

    def emit(level: str, key: str, code: str, label: str, members: list[str]) -> None:
        got = sum(1 for c in members if c in inc)
        blocks.append((level, key, code, label, f"{got} of {len(members)}"))

    outline = list(zip(h.cost_center, h.cost_center_name, h.service_line_code,
                       h.service_line_name, h.entity_code, h.entity_name, strict=True))  # fmt: skip
    emit("System", "system", "", ref.config.system_name, [r[0] for r in outline])
    for ent, erows in in_order(outline, itemgetter(4)).items():
        emit("Entity", "entity_code", ent, erows[0][5], [r[0] for r in erows])
        for sl, srows in in_order(erows, itemgetter(2)).items():
            emit("Service line", "service_line_code", sl, srows[0][3], [r[0] for r in srows])
            for code, name, *_ in srows:
                if code in inc:
                    emit("Cost center", "cost_center", code, name, [code])
    # a row per level and line item, in dollars from the summed cents, made a column at a time
    each = len(LINE_ITEM_CODES)
    cents = [sums[key].get((code, li), zero)
             for _, key, code, _, _ in blocks for li in LINE_ITEM_CODES]  # fmt: skip
    dollars = np.stack(cents) / 100  # the system's block at least
    return pd.DataFrame(
        {
            "level": [b[0] for b in blocks for _ in range(each)],
            "code": [b[2] for b in blocks for _ in range(each)],
            "name": [b[3] for b in blocks for _ in range(each)],
            "line_item": list(LINE_ITEM_CODES) * len(blocks),
            "line_item_name": [LINE_ITEM_NAMES[li] for li in LINE_ITEM_CODES] * len(blocks),
            "included": [b[4] for b in blocks for _ in range(each)],
            **{k: dollars[:, j] for j, k in enumerate(MONEY_KEYS)},
        }
    )


def in_order(rows: list[tuple], key: Callable[[tuple], object]) -> dict[object, list[tuple]]:
    """Rows grouped by `key`, groups and rows in order of appearance (groupby sort=False)."""
    out: dict[object, list[tuple]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out

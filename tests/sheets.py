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

"""The fingerprint of a template's locked content, so intake can detect edits to locked cells.

fingerprint = sha256 of one line per non-empty locked cell of the Budget sheet, "A1=value", in
row then column order. Values are normalised so that a save by Excel or openpyxl does not change
them: numbers (and dates, as Excel serials) to 10 significant digits, text stripped, formula text
stripped and upper-cased. A template's fingerprint is stored on its Meta sheet at generation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import numbers
from functools import cache

from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from .layout import layout


def normalise(value: object) -> str | None:
    """A cell value as fingerprinted; None for an empty cell."""
    kind = type(value)
    if kind is float or kind is int:  # most cells, first: isinstance of numbers.Real is slow
        return format(float(value), ".10g")
    if kind is not str:
        if value is None:
            return None
        if isinstance(value, ArrayFormula):  # openpyxl's formula objects: their text, not their id
            value = value.text or ""
        elif isinstance(value, DataTableFormula):
            value = f"=TABLE({', '.join(f'{k}={v}' for k, v in sorted(dict(value).items()))})"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, dt.datetime | dt.date | dt.time):
            value = to_excel(value)
        if isinstance(value, numbers.Real):
            return format(float(value), ".10g")
    text = str(value).strip()
    if not text:
        return None
    return text.upper() if text.startswith("=") else text


def locked_lines(ws: Worksheet) -> list[str]:
    """The "coordinate=value" lines the fingerprint is taken over."""
    lines = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or not cell.protection.locked:
                continue
            text = normalise(cell.value)
            if text is not None:
                lines.append(f"{cell.coordinate}={text}")
    return lines


def fingerprint(ws: Worksheet) -> str:
    """sha256 hex digest of the locked content of a Budget sheet (loaded with data_only=False)."""
    return hashlib.sha256("\n".join(locked_lines(ws)).encode("utf-8")).hexdigest()


def expected_formulas() -> dict[str, str]:
    """Coordinate -> formula text of every Budget sheet formula (the same in every template)."""
    return dict(_formulas())


@cache
def _formulas() -> dict[str, str]:
    return layout().formulas()

"""Read titled blocks back from a sheet, keeping each value's cell address for error messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from ..errors import HybridBudgetError
from .spec import Column


@dataclass(frozen=True)
class TableRead:
    """A block read back: rows keyed by column key, with their Excel row numbers."""

    sheet: str
    file: str
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    column_letters: dict[str, str]  # key -> column letter

    def cell(self, i: int, key: str) -> str:
        letter = self.column_letters.get(key, "A")
        return f"{letter}{self.row_numbers[i]}"


def _blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def read_block(
    rows: Sequence[Sequence[Any]],
    sheet: str,
    file: str,
    title: str,
    columns: Sequence[Column],
    other_titles: Sequence[str] = (),
) -> TableRead:
    """Find the block titled `title` in column A; read every non-blank row up to the next title.

    Missing block or column raises a plain error naming the sheet; blank rows inside a block are
    skipped, never treated as its end, so no row is silently dropped.
    """
    start = next(
        (i for i, r in enumerate(rows) if r and isinstance(r[0], str) and r[0].strip() == title),
        None,
    )
    if start is None or start + 1 >= len(rows):
        raise HybridBudgetError(f"{file}: sheet {sheet}: the block titled '{title}' is missing")
    header = [(_clean(v) if isinstance(v, str) else v) for v in rows[start + 1]]
    letters: dict[str, str] = {}
    index: dict[str, int] = {}
    for col in columns:
        if col.header not in header:
            raise HybridBudgetError(
                f"{file}: sheet {sheet}, row {start + 2}: column '{col.header}' is missing "
                f"from the '{title}' table"
            )
        pos = header.index(col.header)
        index[col.key] = pos
        letters[col.key] = get_column_letter(pos + 1)
    stops = {t for t in other_titles if t != title}
    out: list[dict[str, Any]] = []
    numbers: list[int] = []
    for i in range(start + 2, len(rows)):
        row = rows[i]
        if row and isinstance(row[0], str) and row[0].strip() in stops:
            break
        if _blank(row):
            continue
        out.append(
            {key: _clean(row[pos]) if pos < len(row) else None for key, pos in index.items()}
        )
        numbers.append(i + 1)
    return TableRead(sheet, file, out, numbers, letters)

"""Text that spreadsheets would read as a formula, neutralised for CSV exports."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A leading apostrophe on text that starts like a formula (=, +, -, @, tab, CR); else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

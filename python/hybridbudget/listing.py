"""Shortened lists that say so: the first few lines, then "... and 26 more"."""

from __future__ import annotations

from collections.abc import Sequence


def shortened(lines: Sequence[str], limit: int, where: str = "") -> list[str]:
    """The first `limit` lines and, when some were left out, one line counting them (and where the
    full list is, e.g. "sheet Import Issues")."""
    if len(lines) <= limit:
        return list(lines)
    more = f"... and {len(lines) - limit:,} more"
    return [*lines[:limit], f"{more} ({where})" if where else more]

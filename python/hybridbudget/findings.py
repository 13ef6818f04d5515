"""Findings: problems reported as data (code, severity, location, plain message), never raised."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(BaseModel):
    """One problem: a stable code, where it is, what a person should know."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    cost_center: str = ""
    value: str = ""
    expected: str = ""

    def location(self) -> str:
        """Human location: file, sheet and cell, as far as known."""
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.cell:
            parts.append(f"cell {self.cell}")
        return ", ".join(p for p in parts if p)

    def sentence(self) -> str:
        """One plain sentence naming the place and the problem."""
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


T = TypeVar("T")

FINDING_COLUMNS = list(Finding.model_fields)


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a table (one row each, fixed columns)."""
    rows = [f.model_dump(mode="json") for f in findings]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def run_checks(
    checks: Iterable[Callable[[T], Iterable[Finding]]], subject: T, file: str = ""
) -> list[Finding]:
    """Run every check; a check that crashes becomes one INTERNAL finding and the rest still run."""
    out: list[Finding] = []
    for check in checks:
        try:
            out.extend(check(subject))
        except Exception as exc:
            out.append(
                Finding(
                    code="INTERNAL",
                    severity=Severity.ERROR,
                    message=f"check {check.__name__} failed: {exc!r}",
                    file=file,
                )
            )
    return out


def shortened(lines: Sequence[str], limit: int, where: str = "") -> list[str]:
    """The first `limit` lines and, when some were left out, one line counting them (and where the
    full list is, e.g. "sheet Import Issues")."""
    if len(lines) <= limit:
        return list(lines)
    more = f"... and {len(lines) - limit:,} more"
    return [*lines[:limit], f"{more} ({where})" if where else more]

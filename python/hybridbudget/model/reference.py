"""What a health system's sources hold once read: reference data and raw extracts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..findings import Finding, Severity
from .guardrails import SystemConfig
from .organization import Organization
from .staffing import AccountMapping, JobClass, JobCode

EXTRACTS = {
    "ehr": ("ehr_volumes", ["DEPT_ID", "PERIOD", "STAT_CODE", "STAT_DESC", "VOLUME"]),
    "payroll": ("payroll", ["PERIOD", "COST_CENTER", "JOB_CODE", "EARN_TYPE", "HOURS", "AMOUNT"]),
    "gl": ("gl_actuals", ["PERIOD", "COST_CENTER", "ACCOUNT", "AMOUNT"]),
}


@dataclass(frozen=True)
class Extract:
    """One raw extract: every cell as text, with the file it came from."""

    kind: str
    path: Path
    frame: pd.DataFrame  # columns as in EXTRACTS, dtype str, index = data line number - 2


@dataclass(frozen=True)
class Reference:
    """The master data every step needs: configuration, organization, staffing, account map."""

    config: SystemConfig
    organization: Organization
    job_classes: tuple[JobClass, ...]
    job_codes: tuple[JobCode, ...]
    accounts: tuple[AccountMapping, ...]


@dataclass(frozen=True)
class Sources:
    reference: Reference
    extracts: dict[str, Extract]


def unmapped(kind: str, path: Path, line: int, column: str, message: str, value: str) -> Finding:
    """A finding for an extract row the engine cannot map."""
    return Finding(
        code=f"UNMAPPED_{kind.upper()}",
        severity=Severity.WARNING,
        message=message,
        file=str(path),
        cell=f"line {line}, column {column}",
        value=value,
    )

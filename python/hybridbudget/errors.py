"""The one exception type the CLI and the ribbon turn into a plain message."""

from __future__ import annotations

from collections.abc import Sequence

from .findings import Finding


class HybridBudgetError(Exception):
    """A user-facing failure: a plain sentence, plus the findings behind it when there are several."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = list(findings)

    @classmethod
    def from_findings(cls, findings: Sequence[Finding], what: str) -> HybridBudgetError:
        first = findings[0].sentence()
        more = f" (and {len(findings) - 1} more problems)" if len(findings) > 1 else ""
        return cls(f"{what}: {first}{more}", findings)

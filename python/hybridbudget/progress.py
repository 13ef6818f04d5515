"""Progress reporting: steps call a Progress; the CLI prints it, the ribbon shows it in the status bar."""

from __future__ import annotations

import sys
from collections.abc import Callable

Progress = Callable[[str], None]


def silent(_: str) -> None:
    """A Progress that says nothing."""


def to_stderr(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)

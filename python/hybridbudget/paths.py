"""Where the bundled sample lives."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_SAMPLE = REPO_ROOT / "budget_workbooks" / "sample"

"""The main job: the budget cycle end to end on the bundled sample health system."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..paths import BUNDLED_SAMPLE
from ..progress import Progress, silent
from .init import init_control


@dataclass
class DemoResult:
    out: Path
    control: Path
    outputs: list[tuple[str, Path]] = field(default_factory=list)


def run_demo(out: Path, sources: Path = BUNDLED_SAMPLE, progress: Progress = silent) -> DemoResult:
    """Run every step that exists, in order, leaving each step's output in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    control = out / "control.xlsx"
    progress("step 1: control workbook (guardrails, history, top-down targets)")
    init_control(sources, control, progress=progress)
    result = DemoResult(out, control, [("control workbook", control)])
    return result

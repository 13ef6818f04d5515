"""The main job: the budget cycle end to end on the bundled sample health system."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import BUNDLED_SAMPLE
from ..progress import Progress, silent
from .actuals import import_actuals
from .consolidate import consolidate
from .dashboard import build_dashboard
from .export import export_powerbi
from .init import init_control
from .plan import apply_decisions, lock
from .templates import generate_templates
from .variance import variance


@dataclass
class DemoResult:
    out: Path
    control: Path
    outputs: list[tuple[str, Path]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    locked_sheet: str = ""


def run_demo(
    out: Path, sources: Path = BUNDLED_SAMPLE, progress: Progress = silent, seed: int = 2027
) -> DemoResult:
    """init -> templates -> simulated managers -> validate + consolidate -> divergence ->
    simulated workshop -> apply decisions -> lock; every output stays in `out`."""
    from ..sample import write_actuals
    from ..sample.fill import fill_submissions
    from ..sample.workshop import run_workshop

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "demo.log"
    log = log_path.open("w", encoding="utf-8")

    def say(message: str) -> None:
        log.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {message}\n")
        log.flush()
        progress(message)

    control = out / "control.xlsx"
    templates, submissions = out / "templates", out / "submissions"
    actuals, powerbi, dashboard = out / "actuals", out / "powerbi", out / "dashboard.xlsx"
    # A rerun regenerates these inputs from scratch; outputs (powerbi/, the dashboard) are only
    # replaced once their step succeeds, so a failed rerun never leaves them deleted.
    for folder in (templates, submissions, actuals):
        shutil.rmtree(folder, ignore_errors=True)
    result = DemoResult(out, control)
    try:
        say("step 1: guardrails -> control workbook with history and top-down targets")
        init = init_control(sources, control, progress=say)
        rec = init.targets.margin_reconciliation()
        result.summary.append(
            f"top-down margin {rec['margin_pct']:.2%} vs target {rec['target_margin_pct']:.2%}"
        )
        say("step 2: generate templates")
        made = generate_templates(control, templates, progress=say)
        say("managers fill their templates (simulated)")
        fill_submissions(templates, submissions, seed=seed, progress=say, control=control)
        say("step 3a/3b: validate and consolidate")
        cons = consolidate(control, submissions, progress=say)
        result.summary.append(cons.validation.summary())
        say("step 3c: divergence, then the reconciliation workshop (simulated decisions)")
        div = run_workshop(control, progress=say)
        flagged = int((div.agenda.flag == "Yes").sum()) if len(div.agenda) else 0
        result.summary.append(f"{flagged} items beyond tolerance decided in the workshop")
        say("step 3d: apply decisions")
        plan = apply_decisions(control, progress=say)
        result.summary.append(
            f"plan margin {plan.totals['margin']:,.2f} ({plan.totals['margin_pct']:.2%})"
        )
        say("step 4a: lock the plan")
        locked = lock(control, progress=say, user="demo controller",
                      force_reason="demo" if len(plan.undecided) else None)  # fmt: skip
        result.locked_sheet = locked.sheet
        state = "already locked" if locked.already else "locked"
        result.summary.append(f"{state} as {locked.sheet}, SHA-256 {locked.sha256[:16]}...")
        say("step 4b: monitor: two months of actuals, variance against the locked plan")
        year = init.targets.config.fiscal_year
        write_actuals(sources, year, [1, 2], actuals, seed=seed, drift=0.03)
        for month in (f"{year}-01", f"{year}-02"):
            # replace: a rerun re-imports the same extracts (audited as unchanged files)
            import_actuals(control, actuals, month, progress=say, replace=True)
            var = variance(control, month, progress=say)
        opened = int((var.actions["status"] == "open").sum()) if len(var.actions) else 0
        result.summary.append(f"variance through {month}: {opened} open action items")
        say("step 4c: publish: dashboard and Power BI export")
        build_dashboard(control, dashboard, progress=say)
        export_powerbi(control, powerbi, progress=say)
        say("done")
    finally:
        log.close()
    result.outputs = [
        ("control workbook", control),
        (f"templates ({made.count})", templates),
        ("simulated submissions", submissions),
        ("monthly actuals (extracts)", actuals),
        ("dashboard", dashboard),
        ("Power BI export", powerbi),
        ("log", log_path),
    ]
    return result

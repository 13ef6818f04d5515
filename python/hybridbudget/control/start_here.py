"""The Start here sheet: where the budget cycle stands, a link to every sheet, the next action.

Every step that writes the control workbook rewrites this sheet with its own figures (received,
valid, rejected, missing; items beyond tolerance decided and undecided; the locked version; the
last actuals month). The figures live on the sheet itself, in a small key/value block at its foot,
so a step reads back what earlier steps recorded and changes only its own keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import HybridBudgetError
from ..workbook.blocks import read_block
from ..workbook.spec import Block, Column, Sheet
from .book import ControlBook

START_HERE = "Start here"
NEXT_BLOCK = "What to do next"
CYCLE_BLOCK = "Where the cycle stands"
SHEETS_BLOCK = "Every sheet of this workbook"
FIGURES_BLOCK = "Figures behind this page (kept by each step; do not edit)"
TITLES = (NEXT_BLOCK, CYCLE_BLOCK, SHEETS_BLOCK, FIGURES_BLOCK)
CYCLE_COLUMNS = (
    Column("Step", "step", width=28),
    Column("Status", "status", width=12),
    Column("Figures", "figures", width=64, wrap=True),
    Column("Last run (UTC)", "when", width=18),
    Column("Go to", "sheet", width=22, link_from="link"),
)
# Every block lines up with the cycle's columns (a sheet has one width per column).
NEXT_COLUMNS = (
    Column("Step", "step", width=28),
    Column("Status", "status", width=12),
    Column("What to do", "todo", width=64, wrap=True),
)
SHEETS_COLUMNS = (
    Column("Sheet", "sheet", width=28, link_from="link"),
    Column("Kept by", "owner", width=12),
    Column("What it holds", "about", width=64, wrap=True),
)
FIGURES_COLUMNS = (
    Column("Key", "key", width=28),
    Column("Set by", "by", width=12),
    Column("Value", "value", width=64),
)
# Sheets finance edits (the yellow cells); every other sheet is written by a step.
FINANCE_SHEETS = frozenset(
    {"Guardrails", "Organization", "Job Classes", "Account Map", "Decision Guide"}
)

DONE, NEXT, TO_DO, RERUN = "Done", "Next", "To do", "Rerun"

# What each sheet holds, for the sheet list (a sheet not named here is listed without a line).
ABOUT: dict[str, str] = {
    START_HERE: "This page: where the cycle stands and what to do next.",
    "Guardrails": "The CFO office's settings (yellow cells): strategic drivers, inflation, "
    "margin target, capital envelope, tolerance, due date and contact.",
    "Organization": "Entities, service lines and cost centers with their managers.",
    "Job Classes": "Staffing bands and payroll job codes.",
    "Account Map": "GL accounts mapped to line items.",
    "Decision Guide": "Escalation levels: which gap goes to whom.",
    "History": "Prior-year figures from the EHR, payroll and GL extracts.",
    "Staffing History": "Prior-year staffing by cost center and job class.",
    "Targets": "Top-down targets as a P&L by level, then every cost center by month.",
    "Target Drivers": "The drivers behind each cost center's target.",
    "Target Staffing": "Target FTEs and hours by job class.",
    "Assumptions": "Every assumption with its owner and source.",
    "Glossary": "Every field: definition, owner, source system, refresh cadence.",
    "Import Issues": "Extract rows that could not be mapped.",
    "Issued Templates": "Every template issued: version, time, SHA-256.",
    "Validation": "Every finding of the last validation, by file and cell.",
    "Submissions": "Per cost center: the file used, its status and lineage.",
    "Consolidated": "The bottom-up budget as a P&L by level, then by cost center.",
    "Bottom-up Drivers": "The submitted drivers the engine recomputed.",
    "Capital Requests": "Managers' capital requests against the envelope.",
    "Divergence": "The workshop agenda: gaps beyond tolerance by cost center, with decisions.",
    "Divergence Summary": "Gaps by service line and system, explained by driver.",
    "Plan": "The integrated budget built from the decisions.",
    "Actuals": "Imported monthly actuals by cost center and line item.",
    "Actuals Staffing": "Imported monthly hours and FTEs.",
    "Actuals Imports": "Each imported file with its SHA-256.",
    "Actuals Issues": "Actuals rows that could not be mapped (never merged).",
    "Variance": "Plan, flexible budget and actual, the variance split by effect.",
    "Variance Summary": "Variance by entity and service line, staffing and accuracy.",
    "Actions": "Decision Guide triggers opened or escalated, with owner and due date.",
    "Audit Log": "Every step that changed this workbook, oldest first.",
}


@dataclass(frozen=True)
class Stage:
    """One row of the cycle: the step that completes it, its sheet and what to do when next."""

    key: str
    label: str
    sheet: str
    after: str  # the stage it follows ("" for the first)
    todo: str  # the next action, when this stage is next


STAGES = (
    Stage("init", "1. Guardrails and targets", "Targets", "",
          "Build the control workbook from the sources (Init)."),
    Stage("templates", "2. Templates issued", "Issued Templates", "init",
          "Generate the templates (Generate Templates) and send one to each manager."),
    Stage("consolidate", "3. Submissions in", "Submissions", "templates",
          "Collect the managers' files in the submissions folder, then run Consolidate."),
    Stage("divergence", "4. Reconciliation workshop", "Divergence", "consolidate",
          "Run Divergence to build the workshop agenda."),
    Stage("apply-decisions", "5. Plan from the decisions", "Plan", "divergence",
          "Run Apply decisions to build the Plan from the workshop's decisions."),
    Stage("lock", "6. Plan locked", "Plan", "apply-decisions",
          "Lock the plan (Lock): it becomes the version actuals are compared with."),
    Stage("import-actuals", "7. Actuals imported", "Actuals", "lock",
          "When the first month's books close, import its actuals (Import Actuals)."),
    Stage("variance", "8. Variance", "Variance", "import-actuals",
          "Run Variance for the month just imported."),
)  # fmt: skip


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def read_figures(book: ControlBook | None) -> dict[str, str]:
    """What earlier steps recorded on Start here ({} before the first, or on an older workbook)."""
    if book is None or START_HERE not in book.sheet_names:
        return {}
    try:
        table = read_block(book.rows(START_HERE), START_HERE, book.file, FIGURES_BLOCK,
                           FIGURES_COLUMNS, TITLES)  # fmt: skip
    except HybridBudgetError:  # a damaged page is rebuilt from this step on, never fatal
        return {}
    return {str(r["key"]): "" if r["value"] is None else str(r["value"])
            for r in table.rows if r["key"]}  # fmt: skip


def _int(figures: Mapping[str, str], key: str) -> int | None:
    try:
        return int(float(figures[key]))
    except (KeyError, ValueError):
        return None


def _stage_figures(key: str, f: Mapping[str, str]) -> str:
    """The figures one stage shows, in words."""

    def n(k: str) -> int:
        return _int(f, k) or 0

    if key == "init" and "init.cost_centers" in f:
        return (f"{n('init.cost_centers')} cost centers with targets; {n('init.unmapped')} "
                "extract rows not mapped (Import Issues)")  # fmt: skip
    if key == "templates" and "templates.issued" in f:
        return f"{n('templates.issued')} templates issued (version {f.get('templates.version')})"
    if key == "consolidate" and "intake.received" in f:
        text = (f"received {n('intake.received')}, valid {n('intake.valid')}, rejected "
                f"{n('intake.rejected')}")  # fmt: skip
        if "intake.missing" in f:
            text += f", missing {n('intake.missing')} (cost centers without a valid file)"
        if n("intake.returned"):
            text += f", returned {n('intake.returned')} (finance's review)"
        return text
    if key == "apply-decisions" and "apply-decisions.margin" in f:
        return (f"plan margin {float(f['apply-decisions.margin']):,.0f} "
                f"({float(f['apply-decisions.margin_pct']):.1%} of net revenue); "
                f"{n('workshop.undecided')} material items undecided" + _capital(f))  # fmt: skip
    if key in ("divergence", "apply-decisions") and "workshop.beyond" in f:
        beyond, undecided = n("workshop.beyond"), n("workshop.undecided")
        return (f"{beyond} items beyond tolerance: {max(beyond - undecided, 0)} decided, "
                f"{undecided} undecided")  # fmt: skip
    if key == "lock" and "lock.version" in f:
        return f"version {f['lock.version']} locked ({f.get('lock.sheet', '')})"
    if key == "import-actuals" and "actuals.month" in f:
        return f"last month imported: {f['actuals.month']}"
    if key == "variance" and "variance.month" in f:
        return (f"month {f['variance.month']}: {n('variance.triggers')} triggers, "
                f"{n('variance.open_actions')} open actions")  # fmt: skip
    return ""


def _capital(f: Mapping[str, str]) -> str:
    """Capital approved against the envelope (whole dollars), where capital was requested."""
    requested, approved = _int(f, "capital.requested") or 0, _int(f, "capital.approved") or 0
    if not requested:
        return ""
    envelope = _int(f, "capital.envelope") or 0
    side = "over" if approved > envelope else "within"
    return (f"; capital approved {approved / 100:,.0f} of {requested / 100:,.0f} requested, "
            f"{side} the {envelope / 100:,.0f} envelope ({_int(f, 'capital.undecided') or 0} "
            "requests undecided)")  # fmt: skip


def _status(stage: Stage, f: Mapping[str, str]) -> str:
    at = f.get(f"{stage.key}.at", "")
    if not at:
        return TO_DO
    if any(f.get(f"{d}.at", "") > at for d in _depends(stage)):
        return RERUN
    # undecided items hold the workshop open, unless the plan was locked since (with a reason)
    undecided = _int(f, "workshop.undecided") or 0
    if stage.key in ("divergence", "apply-decisions") and undecided and f.get("lock.at", "") < at:
        return TO_DO if stage.key == "apply-decisions" else NEXT
    return DONE


# What a stage's figures depend on, where that is not just the stage before it: actuals follow
# the calendar, not the plan; the variance compares them with the locked plan.
_DEPENDS = {"import-actuals": (), "variance": ("import-actuals", "lock")}


def _depends(stage: Stage) -> tuple[str, ...]:
    return _DEPENDS.get(stage.key, (stage.after,) if stage.after else ())


def _statuses(f: Mapping[str, str]) -> list[tuple[Stage, str]]:
    """Each stage's status; a stage that ran after a stale one is stale too."""
    out: dict[str, str] = {}
    for stage in STAGES:
        status = _status(stage, f)
        behind = any(out.get(d) == RERUN for d in _depends(stage))
        out[stage.key] = RERUN if behind and status == DONE else status
    return [(s, out[s.key]) for s in STAGES]


def next_action(statuses: Sequence[tuple[Stage, str]], f: Mapping[str, str]) -> str:
    """The one sentence at the top of the page."""
    for stage, status in statuses:
        if status == DONE:
            continue
        if stage.key == "divergence" and status == NEXT:
            u = _int(f, "workshop.undecided") or 0
            return (f"Decide the {u} items still undecided on Divergence (Decision column), then "
                    "run Apply decisions.")  # fmt: skip
        if stage.key == "consolidate" and "intake.received" in f and status != RERUN:
            return "Run Consolidate on the submissions folder (validation has run)."
        if status == RERUN:
            return (f"{stage.label[3:]} is older than the step before it: run "
                    f"{_step_name(stage)} again.")  # fmt: skip
        return stage.todo
    month = f.get("variance.month", "")
    return (f"Publish {month}: build the dashboard (Dashboard) and the Power BI export; import "
            "the next month's actuals when its books close.")  # fmt: skip


def _step_name(stage: Stage) -> str:
    return {"init": "Init", "templates": "Generate Templates", "consolidate": "Consolidate",
            "divergence": "Divergence", "apply-decisions": "Apply decisions", "lock": "Lock",
            "import-actuals": "Import Actuals", "variance": "Variance"}[stage.key]  # fmt: skip


def _sheet(stage: Stage, f: Mapping[str, str]) -> str:
    """The sheet a stage's row links to (the newest locked version, once there is one)."""
    return (f.get("lock.sheet") or stage.sheet) if stage.key == "lock" else stage.sheet


def _link(sheet: str, names: set[str]) -> str:
    return f"#'{sheet}'!A1" if sheet in names else ""


def start_here_sheet(
    book: ControlBook | None,
    step: str,
    figures: Mapping[str, object],
    sheet_names: Sequence[str],
    title: str = "",
) -> Sheet:
    """Start here after `step` ran with these figures (keys without the step prefix where they
    belong to the step, else their full key); `sheet_names` every sheet the workbook will hold."""
    f = read_figures(book)
    f[f"{step}.at"] = _now()
    for key, value in figures.items():
        f[key if "." in key else f"{step}.{key}"] = str(value)
    if title:
        f["title"] = title
    names = set(sheet_names)
    statuses = _statuses(f)
    first_open = next((i for i, (_, st) in enumerate(statuses) if st != DONE), None)
    rows = []
    for i, (stage, status) in enumerate(statuses):
        shown = NEXT if i == first_open else (status if status in (DONE, RERUN)
                                              else TO_DO)  # fmt: skip
        rows.append({"step": stage.label, "status": shown,
                     "figures": _stage_figures(stage.key, f),
                     "when": f.get(f"{stage.key}.at", ""), "sheet": _sheet(stage, f),
                     "link": _link(_sheet(stage, f), names),
                     "style": "head" if i == first_open else ""})  # fmt: skip
    opened = statuses[first_open][0].label if first_open is not None else "Monthly cycle"
    todo = pd.DataFrame(
        [{"step": opened, "status": NEXT, "todo": next_action(statuses, f), "style": "head"}]
    )
    listed = [n for n in sheet_names if n != START_HERE]
    sheets = pd.DataFrame(
        [
            {
                "sheet": n,
                "link": _link(n, names),
                "about": ABOUT.get(n, _about(n)),
                "owner": "Finance" if n in FINANCE_SHEETS else "Engine",
            }
            for n in listed
        ]
    )
    kept = pd.DataFrame(
        [
            {"key": k, "by": k.partition(".")[0] if "." in k else "", "value": v}
            for k, v in sorted(f.items())
        ]
    )
    return Sheet(
        START_HERE,
        f.get("title") or "Start here",
        (
            Block(NEXT_BLOCK, NEXT_COLUMNS, todo, style_from="style"),
            Block(CYCLE_BLOCK, CYCLE_COLUMNS, pd.DataFrame(rows), style_from="style"),
            Block(SHEETS_BLOCK, SHEETS_COLUMNS, sheets),
            Block(FIGURES_BLOCK, FIGURES_COLUMNS, kept),
        ),
        notes=(
            "Every step updates this page. Click a sheet name to go there; Finance edits the "
            "yellow cells of the sheets it keeps, the engine writes the others.",
        ),
        freeze_block=None,
        tab_color="1F4E78",
    )


def _about(name: str) -> str:
    if name.startswith("Locked Plan v"):
        return f"Plan version {name.removeprefix('Locked Plan v')} as locked (never changed)."
    return ""


def with_start_here(
    book: ControlBook | None,
    sheets: Sequence[Sheet],
    step: str,
    figures: Mapping[str, object],
    title: str = "",
) -> list[Sheet]:
    """The step's sheets plus Start here, listing the workbook's sheets as they will be."""
    existing = list(book.sheet_names) if book is not None else []
    names = existing + [s.name for s in sheets if s.name not in existing]
    if START_HERE not in names:
        names.insert(0, START_HERE)
    return [*sheets, start_here_sheet(book, step, figures, names, title)]

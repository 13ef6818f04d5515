"""The `hybridbudget` command: a thin layer that parses arguments, calls a step, reports plainly."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import HybridBudgetError
from .findings import shortened
from .paths import BUNDLED_SAMPLE
from .progress import to_stderr

Handler = Callable[[argparse.Namespace], int]

# Exit codes (README "Exit codes"): one scheme for every command.
EXIT_OK = 0
EXIT_REFUSED = (
    1  # a problem in your files or folders: the step said why and changed nothing it refused
)
EXIT_USAGE = 2  # the command line itself is wrong (argparse's own code)
EXIT_INTERNAL = 3  # a defect in hybridbudget: report it with the --debug output
EXIT_INTERRUPTED = 130


def _print_list(
    lines: Sequence[str], limit: int, where: str = "", file: TextIO | None = None
) -> None:
    """Up to `limit` lines as a bulleted list; the rest are counted, never silently left out."""
    shown = shortened(lines, limit, where)
    for line in shown[:limit]:
        print(f"  - {line}", file=file)
    for line in shown[limit:]:
        print(f"  {line}", file=file)


def cmd_sample(args: argparse.Namespace) -> int:
    fill_only = [
        f"--{k}" for k in ("templates", "control", "defects", "recalc") if getattr(args, k)
    ]
    if fill_only:
        args.usage_error(f"{', '.join(fill_only)}: only with 'sample fill'")
    if args.out is None:
        args.usage_error("the following arguments are required: --out")
    from .sample import write_sample

    counts = write_sample(
        args.out, cost_centers=args.cost_centers, seed=args.seed, progress=to_stderr
    )
    summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
    print(f"Wrote the sample health system to {args.out}: {summary}.")
    return 0


def _sample_fill(args: argparse.Namespace) -> int:
    if args.defects and args.control is None:
        args.usage_error("--defects needs --control (the control workbook)")
    from .sample.defects import make_defects, read_manifest, reserved_cost_centers
    from .sample.fill import fill_submissions

    skip = reserved_cost_centers(args.templates, args.seed) if args.defects else set()
    paths = fill_submissions(
        args.templates,
        args.out,
        seed=args.seed,
        progress=to_stderr,
        skip=skip,
        recalc=args.recalc,
        control=args.control,
    )
    message = f"Filled {len(paths)} submission(s) into {args.out}"
    if args.defects:
        to_stderr("writing the labelled defect set")
        manifest = make_defects(args.templates, args.control, args.out, seed=args.seed)
        rows = read_manifest(manifest)
        files = len({r.file for r in rows})
        message += f"; {files} broken file(s) with {len(rows)} expected findings in {manifest}"
    print(message + ".")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from .steps.init import init_control

    result = init_control(args.sources, args.out, progress=to_stderr)
    rec = result.targets.margin_reconciliation()
    print(f"Wrote the control workbook {result.path} ({result.cost_centers} cost centers).")
    print(
        f"Top-down system margin {rec['margin']:,.2f} ({rec['margin_pct']:.2%}) against a target "
        f"of {rec['target_margin_pct']:.2%}: gap {rec['gap']:,.2f}."
    )
    if result.unmapped:
        print(f"{len(result.unmapped)} extract rows could not be mapped (sheet Import Issues):")
        _print_list([f.sentence() for f in result.unmapped], 10, "sheet Import Issues")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from .steps.templates import generate_templates

    result = generate_templates(
        args.control, args.out, progress=to_stderr, cost_centers=args.cost_center
    )
    folders = sorted({p.parent.name for p in result.paths})
    print(
        f"Wrote {result.count} template(s) to {args.out} "
        f"({len(folders)} entity folder(s): {', '.join(folders)})."
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .control.load import load_control
    from .engine.targets import build_targets

    ref, history = load_control(args.control)
    rec = build_targets(ref, history).margin_reconciliation()
    org = ref.organization
    print(
        f"{args.control}: OK. {len(org.entities)} entities, {len(org.service_lines)} service lines, "
        f"{len(org.cost_centers)} cost centers; fiscal year {ref.config.fiscal_year}; top-down "
        f"margin {rec['margin_pct']:.2%} against {rec['target_margin_pct']:.2%} "
        f"(gap {rec['gap']:,.2f})."
    )
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from .workbook.libreoffice import render_png

    pages = render_png(args.workbook, args.out)
    print(f"Rendered {len(pages)} page(s) of {args.workbook} to {args.out}.")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from .control.store import undo

    restored = undo(args.control)
    print(f"Restored {args.control} from {restored.name}.")
    return 0


def _add_undo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "undo",
        help="restore the control workbook as it was before the last step",
        description="Every step that rewrites the control workbook first keeps the previous "
        "version in .hybridbudget-backups beside it; undo restores the newest one.",
    )
    p.add_argument("control", type=Path, help="the control workbook (.xlsx)")
    p.set_defaults(handler=cmd_undo)


def cmd_validate(args: argparse.Namespace) -> int:
    from .steps.validate import findings_json, validate

    result = validate(
        args.control,
        args.folder,
        progress=to_stderr,
        findings_out=args.findings,
        feedback=args.feedback,
        write_sheet=not args.no_sheet,
    )
    if args.json:
        print(findings_json(result))
    else:
        for f in result.findings:
            if f.severity == "error":
                print(f"  {f.code:<20} {f.sentence()}")
        print(result.summary() + ".")
    return 1 if result.has_errors else 0


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check every returned template in a folder (never modifies them)",
        description="Read every file under FOLDER (recursively), check it (docs/findings.md) and "
        "write the Validation sheet into the control workbook. Exit code 1 when any error exists.",
    )
    p.add_argument("folder", type=Path, help="the submissions folder")
    p.add_argument("--control", type=Path, required=True, help="the control workbook (.xlsx)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--findings", type=Path, help="also write the findings to this .csv or .json")
    p.add_argument("--feedback", type=Path, help="write marked-up copies of rejected files here")
    p.add_argument("--no-sheet", action="store_true", help="do not write the Validation sheet")
    p.set_defaults(handler=cmd_validate)


def cmd_consolidate(args: argparse.Namespace) -> int:
    from .steps.consolidate import consolidate

    result = consolidate(args.control, args.folder, progress=to_stderr)
    print(result.validation.summary() + ".")
    included = len(result.bottom_up)
    total = included + len(result.missing) + len(result.returned)
    print(f"Consolidated {included} of {total} cost centers.")
    if result.missing:
        print(f"Not included (no valid submission): {', '.join(result.missing)}.")
    if result.returned:
        print(f"Not included (returned by finance): {', '.join(result.returned)}.")
    return 0


def cmd_divergence(args: argparse.Namespace) -> int:
    from .steps.divergence import divergence

    result = divergence(args.control, progress=to_stderr)
    flagged = int((result.agenda.flag == "Yes").sum()) if len(result.agenda) else 0
    print(f"Divergence written: {len(result.agenda)} lines, {flagged} beyond tolerance.")
    return 0


def cmd_apply_decisions(args: argparse.Namespace) -> int:
    from .steps.plan import apply_decisions

    result = apply_decisions(args.control, progress=to_stderr)
    t = result.totals
    print(f"Plan written: margin {t['margin']:,.2f} ({t['margin_pct']:.2%}).")
    if len(result.undecided):
        print(f"{len(result.undecided)} material items still undecided:")
        items = [f"{r.cost_center} {r.line_item}: gap {r.gap:,.2f} (Divergence {r.cell})"
                 for r in result.undecided.itertuples()]  # fmt: skip
        _print_list(items, 20, "all of them below the plan on sheet Plan")
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    from .steps.plan import lock

    result = lock(args.control, progress=to_stderr, force_reason=args.force, user=args.user)
    if result.already:
        print(f"{args.control}: the plan is already locked as version {result.version} "
              f"({result.sheet}, SHA-256 {result.sha256}); no new version was made.")  # fmt: skip
        return 0
    print(f"Locked plan version {result.version} ({result.sheet}), SHA-256 {result.sha256}.")
    return 0


def _control_step(sub: argparse._SubParsersAction, name: str, handler: Handler, help_: str,
                  description: str, **kwargs: Any) -> argparse.ArgumentParser:  # fmt: skip
    p = sub.add_parser(name, help=help_, description=description, **kwargs)
    p.add_argument("--control", type=Path, required=True, help="the control workbook (.xlsx)")
    p.set_defaults(handler=handler)
    return p


def _add_reconcile(sub: argparse._SubParsersAction) -> None:
    p = _control_step(
        sub,
        "consolidate",
        cmd_consolidate,
        "roll up the newest valid submission of every cost center",
        "Validate the submissions folder, take the newest valid submission per cost center, "
        "recompute it from its drivers and roll it up (cost center, service line, entity, system) "
        "into the Submissions, Consolidated, Bottom-up Drivers and Capital Requests sheets.",
    )
    p.add_argument("folder", type=Path, help="the submissions folder")
    _control_step(
        sub,
        "divergence",
        cmd_divergence,
        "write the Divergence sheet (the workshop agenda)",
        "The workshop agenda: cost centers with items beyond tolerance, largest material gap "
        "first; per line top-down vs bottom-up, gap in $ and %, UOS and FTE gap, the driver "
        "bridge, the manager's rationale, escalation (Decision Guide), decision columns. "
        "Decisions already typed are kept; a decision whose submission changed is flagged.",
    )
    _control_step(
        sub,
        "apply-decisions",
        cmd_apply_decisions,
        "build the Plan from the decisions",
        "Read the decisions typed on the Divergence sheet and write the Plan sheet; report bad "
        "decision input by cell and list material items still undecided.",
    )
    p = _control_step(
        sub,
        "lock",
        cmd_lock,
        "freeze the plan as a new version",
        "Refuse while material items are undecided (unless --force gives a reason), then write a "
        "protected Locked Plan vN sheet with its SHA-256 and an Audit Log entry.",
    )
    p.add_argument("--force", metavar="REASON", help="lock despite undecided items, recording why")
    p.add_argument("--user", help="who locks (default: the login name)")


def cmd_chase(args: argparse.Namespace) -> int:
    from .steps.chase import LATE, REJECTED, RETURNED_KIND, chase

    result = chase(args.control, args.submissions, args.out, progress=to_stderr,
                   templates=args.templates, as_of=args.as_of, sender=args.sender or "")  # fmt: skip
    for kind in (LATE, REJECTED, RETURNED_KIND):
        ccs = sorted(result.covered(kind))
        listed = f" ({', '.join(ccs)})" if ccs else ""
        print(f"{kind.capitalize()}: {len(ccs)} cost center{'' if len(ccs) == 1 else 's'}{listed}.")
    if result.not_due:
        print(f"Not received, not yet due (not chased): {', '.join(result.not_due)}.")
    if result.unclaimed:
        print("Files no cost center could be found for (not chased):")
        _print_list(result.unclaimed, 10, "on the Submissions sheet")
    print(f"Wrote {len(result.drafts)} e-mail drafts to {args.out}; nothing was sent.")
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _add_chase(sub: argparse._SubParsersAction) -> None:
    p = _control_step(
        sub,
        "chase",
        cmd_chase,
        "write one e-mail draft per manager who is late, rejected or returned",
        "Validate the submissions folder, read finance's reviews on the Submissions sheet and "
        "write one .eml draft per manager to chase into --out (Outlook opens it as a draft; any "
        "mail client opens it): late managers get the blank template, rejected ones the feedback "
        "copy of their file (written to OUT/feedback), returned ones their submission and "
        "finance's comment. Nothing is sent. Drafts an earlier chase wrote into --out are "
        "replaced.",
    )
    p.add_argument("--submissions", type=Path, required=True, help="the submissions folder")
    p.add_argument("--out", type=Path, required=True, help="folder for the .eml drafts")
    p.add_argument("--templates", type=Path,
                   help="where hybridbudget templates wrote the blank templates (default: the "
                   "folder templates beside the control workbook)")  # fmt: skip
    p.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                   help="count lateness to this day (default: today)")  # fmt: skip
    p.add_argument("--from", dest="sender", metavar="ADDRESS",
                   help="the From address of the drafts (default: none; the mail client "
                   "uses your account)")  # fmt: skip


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="read the control workbook back and report bad edits",
        description="Read the control workbook as every later step does (Guardrails, Decision "
        "Guide, Organization, Job Classes, Account Map, History, Staffing History) and report the "
        "first problem by sheet and cell; prints the top-down margin when all is well.",
    )
    p.add_argument("control", type=Path, help="the control workbook (.xlsx)")
    p.set_defaults(handler=cmd_check)


def _add_render(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="render a workbook to PNG pages (LibreOffice -> PDF -> pdftoppm)",
        description="Look at a workbook as a manager would print it: one PNG per page.",
    )
    p.add_argument("workbook", type=Path)
    p.add_argument("--out", type=Path, required=True, help="folder for the PDF and PNG pages")
    p.set_defaults(handler=cmd_render)


def cmd_demo(args: argparse.Namespace) -> int:
    from .steps.demo import run_demo

    result = run_demo(args.out, args.sources, progress=to_stderr)
    print(f"The budget cycle ran on {args.sources}:")
    for line in result.summary:
        print(f"  - {line}")
    print("Where to look:")
    for label, path in result.outputs:
        print(f"  {label:<28} {path}")
    print(
        "Open the control workbook: Targets, Validation, Submissions, Consolidated, Divergence, Plan, "
        f"{result.locked_sheet}, Variance, Actions and Audit Log; then dashboard.xlsx."
    )
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole budget cycle on the bundled sample (the main job)",
        description="Run every step of the cycle on a sample health system and leave each "
        "step's output in one folder, then print where to look.",
    )
    p.add_argument("--out", type=Path, required=True, help="folder for everything the run writes")
    p.add_argument(
        "--sources",
        type=Path,
        default=BUNDLED_SAMPLE,
        help="sources folder (default: bundled sample)",
    )
    p.set_defaults(handler=cmd_demo)


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _add_sample(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="write a sample health system, or fill templates as managers would",
        description="Write a fictional health system's sources (organization, staffing, account "
        "map and the prior-year EHR, payroll and GL extracts; docs/data-formats.md) into --out. "
        "'sample fill' (its own --help) fills generated templates the way managers would.",
    )
    p.add_argument("--out", type=Path, help="folder to write (required)")
    p.add_argument("--cost-centers", type=_at_least_one, default=None,
                   help="size, at least 1 (default: the curated bundled system)")  # fmt: skip
    p.add_argument("--seed", type=int, default=2027, help="random seed (default 2027)")
    for flag in ("--templates", "--control"):  # accepted only to say they belong to 'sample fill'
        p.add_argument(flag, type=Path, help=argparse.SUPPRESS)
    for flag in ("--defects", "--recalc"):
        p.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_sample, usage_error=p.error)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    f = actions.add_parser(
        "fill",
        help="fill generated templates as managers would",
        description="Fill generated templates the way managers would (realistic variation, "
        "capital requests, rationales where required); with --defects also write a labelled set "
        "of broken submissions and DEFECTS.csv listing the findings expected.",
    )
    f.add_argument("--templates", type=Path, required=True, help="folder of generated templates")
    f.add_argument("--out", type=Path, required=True, help="folder to write the submissions into")
    f.add_argument("--seed", type=int, default=2027, help="random seed (default 2027)")
    f.add_argument(
        "--control",
        type=Path,
        help="the control workbook (staffing bands, wage tolerance; needed for --defects)",
    )
    f.add_argument("--defects", action="store_true", help="also write the labelled defect set")
    f.add_argument(
        "--recalc",
        action="store_true",
        help="recalculate the clean submissions with LibreOffice (cached values, as Excel)",
    )
    f.set_defaults(handler=_sample_fill, usage_error=f.error)


def _add_init(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init",
        help="build the control workbook (guardrails, organization, history, targets)",
        description="Build the finance team's control workbook from a sources folder: Guardrails, "
        "Organization, Job Classes, Account Map, History, Staffing History, Targets, Target "
        "Drivers, Target Staffing, Assumptions, Glossary, Decision Guide, Import Issues.",
    )
    p.add_argument(
        "--sources",
        type=Path,
        default=BUNDLED_SAMPLE,
        help="sources folder (default: bundled sample)",
    )
    p.add_argument("--out", type=Path, required=True, help="control workbook to write (.xlsx)")
    p.set_defaults(handler=cmd_init)


def _add_templates(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "templates",
        help="generate the protected one-page driver template of every cost center",
        description="Write one protected .xlsx driver template per cost center, in a folder per "
        "entity (<out>/<entity>/<cost center>_FY<year>_v<version>.xlsx), pre-filled with the "
        "prior year and the top-down targets of the control workbook.",
    )
    p.add_argument("--control", type=Path, required=True, help="the control workbook (.xlsx)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the templates into")
    p.add_argument(
        "--cost-center",
        action="append",
        metavar="CODE",
        help="only this cost center (repeat for several; default: all)",
    )
    p.set_defaults(handler=cmd_templates)


def cmd_addin_build(args: argparse.Namespace) -> int:
    from .addin.build import DEFAULT_OUT, build_addin

    result = build_addin(args.out or DEFAULT_OUT, dict(args.set or []))
    print(f"Wrote {result.path}: ribbon tab Hybrid Budget with {len(result.buttons)} buttons, "
          f"VBA modules {', '.join(result.modules)}.")  # fmt: skip
    for key, value in result.settings.items():
        print(f"  hybridbudget.conf  {key} = {value}")
    from .addin.build import machine_paths

    if machine_paths(result.settings):
        print(f"Fixed paths: {', '.join(machine_paths(result.settings))} (every computer needs them "
              "at exactly that place).")  # fmt: skip
    print("Each user: hybridbudget addin install (docs/deploy.md).")
    return 0


def _machine(args: argparse.Namespace):  # -> Machine, imported late as every handler does
    from .addin.machine import Machine

    if (args.home is None) != (args.platform is None):
        args.usage_error("--home and --platform go together")
    return Machine.current() if args.home is None else Machine.fake(args.platform, args.home)


def cmd_addin_install(args: argparse.Namespace) -> int:
    from .addin.install import install, uninstall

    machine = _machine(args)
    done = uninstall(machine) if args.addin_command == "uninstall" else install(machine, args.file)
    print("\n".join(done.lines or ["Nothing to undo."]))
    return 0


def cmd_addin_doctor(args: argparse.Namespace) -> int:
    from .addin.doctor import FAIL, checklist, report

    checks = checklist(_machine(args))
    print(report(checks))
    return 1 if any(c.status == FAIL for c in checks) else 0


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key.strip(), value.strip()


def _add_addin(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "addin",
        help="the Excel add-in: build, install, uninstall, doctor",
        description="The Excel add-in (a Hybrid Budget ribbon tab): 'addin build' assembles it, "
        "'addin install' puts it where Excel loads it, 'addin doctor' checks what it needs.",
    )
    steps = p.add_subparsers(dest="addin_command", metavar="ACTION", required=True)
    b = steps.add_parser(
        "build",
        help="assemble HybridBudget.xlam from the ribbon XML, vba/*.bas and xlwings' VBA",
        description="Build the add-in from its text sources (no Excel needed). The build holds "
        "no path of this machine: one file for every user (Python and folders are per-user "
        "settings written by 'addin install').",
    )
    b.add_argument("--out", type=Path, help="default: xlwings_addin/HybridBudget.xlam")
    b.add_argument("--set", type=_setting, action="append", metavar="KEY=VALUE",
                   help="a hybridbudget.conf setting, e.g. INTERPRETER_WIN=C:\\py\\python.exe "
                   "(KEY= removes it); repeat for several")  # fmt: skip
    b.set_defaults(handler=cmd_addin_build)
    for name, help_, description, handler in (
        ("install", "put the add-in where Excel loads it, for this user",
         "Check this Python environment, put HybridBudget.xlam where Excel opens it at start "
         "(Windows: XLSTART; Mac: Excel's startup folder, plus xlwings' RunPython helper), point "
         "the per-user settings at this Python, and say what was written.", cmd_addin_install),
        ("uninstall", "undo 'addin install' for this user",
         "Remove every file and folder 'addin install' wrote and restore the settings it "
         "replaced (from ~/.hybridbudget/install.json).", cmd_addin_install),
        ("doctor", "check what the add-in needs: a pass/fail list with the fix for each",
         "Python and package versions, the add-in and xlwings matching, the settings Excel will "
         "use, folders, the log file, and the policies known to block the add-in. Exit code 1 "
         "when an item fails. The About button shows the same list.", cmd_addin_doctor),
    ):  # fmt: skip
        a = steps.add_parser(name, help=help_, description=description)
        if name == "install":
            a.add_argument("--file", type=Path, help="a built (signed) .xlam; default: build now")
        a.add_argument("--home", type=Path, help="another home folder (with --platform; testing)")
        a.add_argument("--platform", choices=["windows", "mac"], help="with --home")
        a.set_defaults(handler=handler, usage_error=a.error)


def cmd_actuals(args: argparse.Namespace) -> int:
    from .steps.actuals import import_actuals

    r = import_actuals(args.control, args.folder, args.month, progress=to_stderr,
                       replace=args.replace, user=args.user)  # fmt: skip
    verb = "Replaced" if r.replaced else "Imported"
    print(f"{verb} actuals for {r.month}: {r.rows_imported:,} extract rows from {args.folder}.")
    if r.findings:
        print(f"{len(r.findings)} issues reported, not imported (sheet Actuals Issues):")
        _print_list([f.sentence() for f in r.findings], 10, "sheet Actuals Issues")
    return 0


def cmd_variance(args: argparse.Namespace) -> int:
    from .steps.variance import variance

    r = variance(args.control, month=args.month, progress=to_stderr)
    m, y = r.indicators
    print(f"Variance {r.month} against {r.inputs.sheet}: margin {m.margin_pct[2]:.2%} (plan "
          f"{m.margin_pct[0]:.2%}); forecast accuracy {m.accuracy:.0%} (YTD {y.accuracy:.0%}); "
          f"{len(r.breaches)} triggers.")  # fmt: skip
    for line in r.changes:
        print(f"  - {line}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from .steps.dashboard import build_dashboard

    r = build_dashboard(args.control, args.out, args.month, args.cost_center, progress=to_stderr)
    print(f"Wrote the dashboard for {r.month} to {r.path} (Executive, Controller, Frontline).")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .steps.export import export_powerbi

    r = export_powerbi(args.control, args.out, progress=to_stderr)
    print(f"Wrote {len(r.tables)} tables (CSV and Parquet) and README.md to {r.out}.")
    return 0


def _with_action(sub: argparse._SubParsersAction, name: str, help_: str, action: str,
                 description: str, handler: Handler, **kwargs: Any) -> argparse.ArgumentParser:  # fmt: skip
    """A command whose one action is a subcommand of its own (`actuals import`, `export powerbi`),
    so that `hybridbudget actuals import --help` is that action's page."""
    p = sub.add_parser(name, help=help_, description=description, **kwargs)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    return _control_step(actions, action, handler, help_, description, **kwargs)


def _add_monitor(sub: argparse._SubParsersAction) -> None:
    """actuals import, variance, dashboard, export powerbi (step 4b/4c)."""
    from .engine.star_schema import DESCRIPTIONS

    p = _with_action(sub, "actuals", "import a month's actuals (GL, payroll, EHR)", "import",
                     "'actuals import FOLDER --month YYYY-MM': read gl_actuals_YYYY-MM, "
                     "payroll_YYYY-MM and ehr_volumes_YYYY-MM (.csv or .xlsx) from FOLDER into the "
                     "Actuals sheets; unmapped and duplicate rows are reported, not merged; a month "
                     "already imported is refused unless --replace.",
                     cmd_actuals)  # fmt: skip
    p.add_argument("folder", type=Path, help="folder holding the month's extracts")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--replace", action="store_true", help="replace a month already imported")
    p.add_argument("--user", help="who imports (default: the login name)")
    p = _control_step(sub, "variance", cmd_variance, "variance against the locked plan, actions",
                      "Locked plan, flexible budget and actual by cost center and line item, "
                      "month and year to date, the variance split into volume, efficiency, rate "
                      "and spending; staffing and forecast accuracy; Decision Guide triggers "
                      "open or escalate items on the Actions sheet.")  # fmt: skip
    p.add_argument("--month", help="YYYY-MM (default: the newest imported)")
    p = _control_step(sub, "dashboard", cmd_dashboard, "write the dashboard workbook",
                      "Executive, Controller and Frontline views with native charts and their "
                      "lineage, in a workbook of their own (the control workbook is only read).")  # fmt: skip
    p.add_argument("--out", type=Path, help="default: dashboard.xlsx beside the control workbook")
    p.add_argument("--month", help="YYYY-MM (default: the newest imported)")
    p.add_argument("--cost-center", help="Frontline's cost center at first (default: the first)")
    intro = textwrap.fill(
        "'export powerbi DIR': star-schema tables for Power BI, each as CSV and Parquet, with a README.md of the model "
        "and its control totals, into DIR (the control workbook is only read). Before the first "
        "actuals import, fact_actual, fact_variance and fact_staffing are written empty.",
        78,
    )
    width = max(map(len, DESCRIPTIONS))
    tables = "\n".join(
        textwrap.fill(what, 78, initial_indent=f"  {name:<{width}}  ",
                      subsequent_indent=" " * (width + 4))
        for name, what in DESCRIPTIONS.items())  # fmt: skip
    p = _with_action(sub, "export", "export tables for Power BI", "powerbi",
                     f"{intro}\n\ntables:\n{tables}", cmd_export,
                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("out", type=Path, help="folder to write")


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_demo,
    _add_sample,
    _add_init,
    _add_validate,
    _add_reconcile,
    _add_chase,
    _add_check,
    _add_undo,
    _add_render,
    _add_templates,
    _add_addin,
    _add_monitor,
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hybridbudget",
        description="Hybrid hospital budgeting: top-down targets meet bottom-up submissions.",
    )
    p.add_argument("--version", action="version", version=f"hybridbudget {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code follows the EXIT_* scheme (argparse exits with 2 itself)."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    try:
        return args.handler(args)
    except HybridBudgetError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"hybridbudget {args.command}: {exc.message}", file=sys.stderr)
        _print_list([f.sentence() for f in exc.findings[1:]], 19, file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        if exc.filename is None:  # not about a file of yours: a defect, reported below
            return _internal(args, exc)
        if args.debug:
            traceback.print_exc()
        reason = (exc.strerror or str(exc)).lower()
        print(f"hybridbudget {args.command}: {exc.filename}: {reason}; check that the path names "
              "what the command expects (a file or a folder) and that you may write there",
              file=sys.stderr)  # fmt: skip
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("hybridbudget: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _internal(args, exc)


def _internal(args: argparse.Namespace, exc: Exception) -> int:
    if args.debug:
        traceback.print_exc()
    print(
        f"hybridbudget {args.command}: internal error {exc!r}; this is a defect in "
        "hybridbudget: run again with --debug and report the output",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

"""The `hybridbudget` command: a thin layer that parses arguments, calls a step, reports plainly."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import HybridBudgetError
from .paths import BUNDLED_SAMPLE
from .progress import to_stderr

Handler = Callable[[argparse.Namespace], int]


def cmd_sample(args: argparse.Namespace) -> int:
    if args.action == "fill":
        return _sample_fill(args)
    fill_only = {
        "--templates": args.templates,
        "--control": args.control,
        "--defects": args.defects,
        "--recalc": args.recalc,
    }
    used = [flag for flag, value in fill_only.items() if value]
    if used:
        args.usage_error(f"{', '.join(used)}: only with 'sample fill'")
    from .sample import write_sample

    counts = write_sample(
        args.out, cost_centers=args.cost_centers, seed=args.seed, progress=to_stderr
    )
    summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
    print(f"Wrote the sample health system to {args.out}: {summary}.")
    return 0


def _sample_fill(args: argparse.Namespace) -> int:
    if args.templates is None:
        args.usage_error("sample fill needs --templates DIR")
    if args.cost_centers is not None:
        args.usage_error("--cost-centers: not with 'sample fill'")
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
        for f in result.unmapped[:10]:
            print(f"  - {f.sentence()}")
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
    print(f"Consolidated {included} of {included + len(result.missing)} cost centers.")
    if result.missing:
        print(f"Not included (no valid submission): {', '.join(result.missing)}.")
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
        for row in result.undecided.head(20).itertuples():
            print(
                f"  - {row.cost_center} {row.line_item}: gap {row.gap:,.2f} (Divergence {row.cell})"
            )
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    from .steps.plan import lock

    result = lock(args.control, progress=to_stderr, force_reason=args.force, user=args.user)
    print(f"Locked plan version {result.version} ({result.sheet}), SHA-256 {result.sha256}.")
    return 0


def _control_step(sub: argparse._SubParsersAction, name: str, handler: Handler, help_: str,
                  description: str) -> argparse.ArgumentParser:  # fmt: skip
    p = sub.add_parser(name, help=help_, description=description)
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
        "Locked Plan v1, Variance, Actions and Audit Log; then dashboard.xlsx."
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


def _add_sample(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="write a sample health system, or fill templates as managers would",
        description="Without an action: write a fictional health system's sources "
        "(organization, staffing, account map and the prior-year EHR, payroll and GL extracts; "
        "docs/data-formats.md). 'sample fill': fill generated templates the way managers would "
        "(realistic variation, capital requests, rationales where required); with --defects also "
        "write a labelled set of broken submissions and DEFECTS.csv listing the findings expected.",
    )
    p.add_argument("action", nargs="?", choices=["fill"], help="fill: fill generated templates")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument(
        "--cost-centers", type=int, default=None, help="size (default: the curated bundled system)"
    )
    p.add_argument("--seed", type=int, default=2027, help="random seed (default 2027)")
    p.add_argument("--templates", type=Path, help="fill: folder of generated templates")
    p.add_argument(
        "--control",
        type=Path,
        help="fill: the control workbook (staffing bands, wage tolerance; needed for --defects)",
    )
    p.add_argument(
        "--defects", action="store_true", help="fill: also write the labelled defect set"
    )
    p.add_argument(
        "--recalc",
        action="store_true",
        help="fill: recalculate the clean submissions with LibreOffice (cached values, as Excel)",
    )
    p.set_defaults(handler=cmd_sample, usage_error=p.error)


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
    print("Install it as README.md 'Excel add-in' says.")
    return 0


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key.strip(), value.strip()


def _add_addin(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "addin",
        help="the Excel add-in: build HybridBudget.xlam",
        description="The Excel add-in (a Hybrid Budget ribbon tab): 'addin build' assembles it.",
    )
    steps = p.add_subparsers(dest="addin_command", metavar="ACTION", required=True)
    b = steps.add_parser(
        "build",
        help="assemble HybridBudget.xlam from the ribbon XML, vba/*.bas and xlwings' VBA",
        description="Build the add-in from its text sources (no Excel needed). Its settings "
        "sheet hybridbudget.conf gets this machine's Python when built on Windows or Mac.",
    )
    b.add_argument("--out", type=Path, help="default: xlwings_addin/HybridBudget.xlam")
    b.add_argument("--set", type=_setting, action="append", metavar="KEY=VALUE",
                   help="a hybridbudget.conf setting, e.g. INTERPRETER_WIN=C:\\py\\python.exe "
                   "(KEY= removes it); repeat for several")  # fmt: skip
    b.set_defaults(handler=cmd_addin_build)


def cmd_actuals(args: argparse.Namespace) -> int:
    from .steps.actuals import import_actuals

    r = import_actuals(args.control, args.folder, args.month, progress=to_stderr,
                       replace=args.replace, user=args.user)  # fmt: skip
    verb = "Replaced" if r.replaced else "Imported"
    print(f"{verb} actuals for {r.month}: {r.rows_imported:,} extract rows from {args.folder}.")
    if r.findings:
        print(f"{len(r.findings)} issues reported, not imported (sheet Actuals Issues):")
        for f in r.findings[:10]:
            print(f"  - {f.sentence()}")
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


def _add_monitor(sub: argparse._SubParsersAction) -> None:
    """actuals import, variance, dashboard, export powerbi (step 4b/4c)."""
    p = _control_step(sub, "actuals", cmd_actuals, "import a month's actuals (GL, payroll, EHR)",
                      "'actuals import FOLDER --month YYYY-MM': read gl_actuals_YYYY-MM, "
                      "payroll_YYYY-MM and ehr_volumes_YYYY-MM (.csv or .xlsx) from FOLDER into "
                      "the Actuals sheets; unmapped and duplicate rows are reported, not merged; "
                      "a month already imported is refused unless --replace.")  # fmt: skip
    p.add_argument("action", choices=["import"])
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
    p = _control_step(sub, "export", cmd_export, "export tables for Power BI",
                      "'export powerbi DIR': star-schema tables (facts: target, submission, "
                      "plan, actual, variance; dimensions: cost center, line item, account, month, "
                      "job class) as CSV and Parquet, with a README of the model.")  # fmt: skip
    p.add_argument("format", choices=["powerbi"])
    p.add_argument("out", type=Path, help="folder to write")


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_demo,
    _add_sample,
    _add_init,
    _add_validate,
    _add_reconcile,
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
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    try:
        return args.handler(args)
    except HybridBudgetError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"hybridbudget {args.command}: {exc.message}", file=sys.stderr)
        for f in exc.findings[1:20]:
            print(f"  - {f.sentence()}", file=sys.stderr)
        if len(exc.findings) > 20:
            print(f"  ... and {len(exc.findings) - 20} more", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hybridbudget: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"hybridbudget {args.command}: unexpected error: {exc!r} (run again with --debug for "
            "the details)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Build the control workbook's sheets from the sources, the history and the targets."""

from __future__ import annotations

import csv
from importlib import resources

import pandas as pd

from ..engine.escalation import EscalationRule
from ..engine.history import History
from ..engine.targets import Targets, volume_growth
from ..findings import Finding, findings_frame
from ..model import SystemConfig
from ..model.guardrails import MAX_CAPITAL_PRIORITIES
from ..model.line_items import HOURS_PER_FTE, JOB_CLASSES, LINE_ITEMS, OVERTIME_PREMIUM
from ..model.reference import Reference
from ..workbook.spec import Block, Sheet
from . import schema as L
from .pnl_sheet import PNL_NOTE, key_columns, pnl_block


def _frame(models) -> pd.DataFrame:
    return pd.DataFrame([m.model_dump(mode="json") for m in models])


def config_values(config: SystemConfig) -> dict[str, object]:
    """Guardrail key -> value, for the Guardrails sheet."""
    data = config.model_dump()
    data["system"] = {"name": config.system_name, "fiscal_year": config.fiscal_year}
    out: dict[str, object] = {}
    for key, *_ in L.GUARDRAIL_SETTINGS:
        group, field = key.split(".")
        out[key] = data[group][field]
    return out


def guardrails_sheet(config: SystemConfig) -> Sheet:
    values = config_values(config)
    rows = pd.DataFrame(
        [
            {"key": k, "group": g, "label": lbl, "value": values[k], "unit": u, "meaning": m,
             "kind": kind}
            for k, g, lbl, kind, u, m in L.GUARDRAIL_SETTINGS
        ]
    )  # fmt: skip
    columns = tuple(
        c if c.key != "value" else type(c)(**{**c.__dict__, "kind_from": "kind"})
        for c in L.GUARDRAIL_COLUMNS
    )
    return Sheet(
        L.GUARDRAILS,
        f"{config.system_name}: guardrails for fiscal year {config.fiscal_year}",
        (
            Block(L.GUARDRAIL_BLOCK, columns, rows),
            Block(
                L.CAPITAL_PRIORITY_BLOCK,
                L.CAPITAL_PRIORITY_COLUMNS,
                _frame(config.capital_priorities),
            ),
        ),
        notes=(
            "Set by the CFO office. Edit the yellow Value cells; every later step reads them back "
            "and recomputes the targets.",
            "Capital priorities: the categories a manager picks from on the template (at most "
            f"{MAX_CAPITAL_PRIORITIES}) and their weights in the capital score (Capital Requests "
            "sheet). Regenerate the templates after a change to the categories.",
            L.PASSWORD_NOTE,
        ),
        tab_color="C00000",
    )


def decision_guide_sheet(config: SystemConfig) -> Sheet:
    """The levels, how their thresholds combine, and the rule in words from that same setting."""
    rule = EscalationRule.of(config)
    setting = pd.DataFrame(
        [{"label": "Thresholds combine", "value": rule.combine, "key": "combine",
          "meaning": "either: a level is reached by its $ or its % threshold; both: only by "
                     "both. Level 1 always needs both. Re-run Divergence after a change."}]
    )  # fmt: skip
    return Sheet(
        L.DECISION_GUIDE,
        "Decision guide: which gap escalates to whom",
        (
            Block(L.ESCALATION_BLOCK, L.ESCALATION_COLUMNS, _frame(config.escalation)),
            Block(L.ESCALATION_RULE_BLOCK, L.ESCALATION_RULE_COLUMNS, setting),
        ),
        notes=(rule.text(), "Repeated breaches of a monitoring trigger escalate one level up."),
    )


def organization_sheet(ref: Reference) -> Sheet:
    org = ref.organization
    return Sheet(
        L.ORGANIZATION,
        "Organization: entities, service lines, cost centers",
        (
            Block(L.ENTITY_BLOCK, L.ENTITY_COLUMNS, _frame(org.entities)),
            Block(L.SERVICE_LINE_BLOCK, L.SERVICE_LINE_COLUMNS, _frame(org.service_lines)),
            Block(L.COST_CENTER_BLOCK, L.COST_CENTER_COLUMNS, _frame(org.cost_centers)),
        ),
        notes=(
            "Finance maintains this hierarchy. Codes must be unique; every service line names an "
            "entity above it and every cost center a service line.",
        ),
        freeze_block=None,
    )


def job_classes_sheet(ref: Reference) -> Sheet:
    return Sheet(
        L.JOB_CLASSES_SHEET,
        "Job classes, staffing bands and payroll job codes",
        (
            Block(L.JOB_CLASS_BLOCK, L.JOB_CLASS_COLUMNS, _frame(ref.job_classes)),
            Block(L.JOB_CODE_BLOCK, L.JOB_CODE_COLUMNS, _frame(ref.job_codes)),
        ),
        notes=("The staffing band bounds budget FTEs as a multiple of the top-down target FTEs.",),
        freeze_block=None,
    )


def account_map_sheet(ref: Reference) -> Sheet:
    items = pd.DataFrame([li.__dict__ for li in LINE_ITEMS])
    return Sheet(
        L.ACCOUNT_MAP,
        "Account map: GL accounts rolled into budget line items",
        (
            Block(L.ACCOUNT_BLOCK, L.ACCOUNT_COLUMNS, _frame(ref.accounts)),
            Block(L.LINE_ITEM_BLOCK, L.LINE_ITEM_COLUMNS, items),
        ),
        notes=("Rarely used accounts fold into OTH (other expense) to keep templates short.",),
        freeze_block=None,
    )


def history_sheets(history: History) -> tuple[Sheet, Sheet]:
    monthly = Sheet(
        L.HISTORY,
        f"History: fiscal year {history.year} actuals by cost center and month",
        (Block(L.HISTORY_BLOCK, L.HISTORY_COLUMNS, history.monthly, total_label="Total"),),
        notes=("Built from the EHR volume extract and the GL actuals extract (revenue positive).",),
    )
    staffing = Sheet(
        L.STAFFING_HISTORY,
        f"Staffing history: fiscal year {history.year} payroll by cost center and job class",
        (Block(L.STAFFING_BLOCK, L.STAFFING_COLUMNS, history.staffing, total_label="Total"),),
        notes=("Built from the payroll export: hours and earnings by earnings type.",),
    )
    return monthly, staffing


def _target_frames(ref: Reference, targets: Targets):
    org = ref.organization
    lines, drivers, staff = [], [], []
    for code, t in targets.by_cost_center.items():
        cc = t.cost_center
        sl = org.service_line_by_code[cc.service_line_code]
        monthly = t.figures.monthly()
        for li in LINE_ITEMS:
            row = {
                "cost_center": code,
                "cost_center_name": cc.cost_center_name,
                "service_line_code": sl.service_line_code,
                "entity_code": sl.entity_code,
                "line_item": li.code,
                "line_item_name": li.name,
                "annual": t.figures.lines[li.code],
            }
            row.update({f"m{i:02d}": v for i, v in enumerate(monthly[li.code], start=1)})
            lines.append(row)
        p, d, f = t.prior, t.drivers, t.figures
        py_worked = sum(
            p.staff(j).fte * HOURS_PER_FTE * p.productive_ratio
            + p.staff(j).agency_fte * HOURS_PER_FTE
            for j in JOB_CLASSES
        )
        drivers.append(
            {
                "cost_center": code,
                "cost_center_name": cc.cost_center_name,
                "cost_center_type": cc.cost_center_type.value,
                "uos": cc.uos,
                "py_uos": p.annual_volume,
                "growth": volume_growth(cc, ref.config),
                "uos_target": d.annual_volume,
                "py_rev_per_uos": p.revenue_per_uos,
                "rev_per_uos": d.revenue_per_uos,
                "productive_ratio": d.productive_ratio,
                "py_whpuos": py_worked / p.annual_volume if p.annual_volume else 0.0,
                "whpuos": f.worked_hours_per_uos,
                "py_benefits_load": p.benefits_load,
                "benefits_load": d.benefits_load,
                "py_supplies_per_uos": p.supplies_per_uos,
                "supplies_per_uos": d.supplies_per_uos,
                "py_drugs_per_uos": p.drugs_per_uos,
                "drugs_per_uos": d.drugs_per_uos,
                "py_purchased_services": p.purchased_services,
                "purchased_services": d.purchased_services,
                "py_other_expense": p.other_expense,
                "other_expense": d.other_expense,
                "fte": f.fte,
                "revenue": f.revenue,
                "expense": f.expense,
                "margin": f.margin,
            }
        )
        for j in JOB_CLASSES:
            ps, ts = p.staff(j), d.staff(j)
            staff.append(
                {
                    "cost_center": code,
                    "job_class": j,
                    "py_fte": ps.fte,
                    "fte": ts.fte,
                    "py_wage_rate": ps.wage_rate,
                    "wage_rate": ts.wage_rate,
                    "overtime_pct": ts.overtime_pct,
                    "py_agency_fte": ps.agency_fte,
                    "agency_fte": ts.agency_fte,
                    "py_agency_rate": ps.agency_rate,
                    "agency_rate": ts.agency_rate,
                    "salaries": f.lines[f"SAL_{j}"],
                }
            )
    return pd.DataFrame(lines), pd.DataFrame(drivers), pd.DataFrame(staff)


def margin_frame(ref: Reference, targets: Targets) -> pd.DataFrame:
    """System and entity margin against the target margin."""
    org = ref.organization
    goal = ref.config.guardrails.operating_margin_target
    rows = [{"level": "System", "name": ref.config.system_name} | targets.margin_reconciliation()]
    for e in org.entities:
        codes = [c for c in targets.by_cost_center if org.entity_of(c).entity_code == e.entity_code]
        t = targets.totals(codes)
        need = round(t["revenue"] * goal, 2)
        rows.append(
            {"level": "Entity", "name": e.entity_name}
            | t
            | {
                "margin_pct": t["margin"] / t["revenue"] if t["revenue"] else 0.0,
                "target_margin_pct": goal,
                "target_margin": need,
                "gap": round(t["margin"] - need, 2),
            }
        )
    return pd.DataFrame(rows)


def target_pnl(ref: Reference, targets: Targets, lines: pd.DataFrame) -> Block:
    """The Targets sheet's P&L: the target lines, volume and FTEs of every cost center."""
    figures = {code: t.figures for code, t in targets.by_cost_center.items()}
    return pnl_block(
        ref,
        lines,
        L.TARGET_COLUMNS,
        {c: f.monthly_volume for c, f in figures.items()},
        {c: f.fte for c, f in figures.items()},
    )


def target_sheets(ref: Reference, targets: Targets) -> tuple[Sheet, Sheet, Sheet]:
    lines, drivers, staff = _target_frames(ref, targets)
    rec = targets.margin_reconciliation()
    verdict = (
        "The drivers reach the margin target."
        if rec["gap"] >= 0
        else f"The drivers leave the system {-rec['gap']:,.2f} short of the margin target: "
        "close the gap in the reconciliation sprint or revise the guardrails."
    )
    fy = ref.config.fiscal_year
    return (
        Sheet(
            L.TARGETS,
            f"Top-down targets, fiscal year {fy}",
            (
                target_pnl(ref, targets, lines),
                Block(L.MARGIN_BLOCK, L.MARGIN_COLUMNS, margin_frame(ref, targets)),
                Block(L.TARGET_BLOCK, L.TARGET_COLUMNS, lines),
            ),
            notes=(
                "Computed by the engine from Guardrails and History (method: Assumptions sheet). "
                "Months follow each cost center's volume seasonality.",
                verdict,
                PNL_NOTE,
            ),
            freeze_block=0,
            freeze_columns=key_columns(L.TARGET_COLUMNS),
        ),
        Sheet(
            L.TARGET_DRIVERS,
            f"Top-down drivers by cost center, fiscal year {fy}",
            (Block(L.DRIVER_BLOCK, L.DRIVER_COLUMNS, drivers, total_label="Total"),),
            notes=("Prior year from the extracts; target = prior year moved by the guardrails.",),
        ),
        Sheet(
            L.TARGET_STAFFING,
            f"Top-down staffing by cost center and job class, fiscal year {fy}",
            (Block(L.TARGET_STAFF_BLOCK, L.TARGET_STAFF_COLUMNS, staff, total_label="Total"),),
        ),
    )


def assumptions_sheet(config: SystemConfig) -> Sheet:
    g, i = config.guardrails, config.inflation
    fin, fpa, hr = "CFO office", "Finance (FP&A)", "HR / payroll"
    pct = "{:.1%}".format
    rows = [
        ("Hours per FTE", f"{HOURS_PER_FTE:,}", "FTE = paid hours / 2,080.", hr, "Industry standard"),
        ("Overtime premium", f"{OVERTIME_PREMIUM:.0%}",
         "Overtime hours are paid at 1.5x: salaries = paid hours x rate + overtime hours x rate x 0.5.",
         hr, "FLSA"),
        ("Target volume", f"IP {pct(g.inpatient_admissions_growth)}, OP "
         f"{pct(g.outpatient_utilization_growth)}",
         "Each month's prior-year UOS x (1 + growth), rounded to whole units. Inpatient and support "
         "cost centers grow with admissions, outpatient with utilization, ancillary with the "
         "average of both.", fin, "Guardrails"),
        ("Net revenue per UOS", pct(g.net_revenue_rate_change),
         "Prior-year net revenue / UOS x (1 + rate change), rounded to the cent.", fin,
         "Guardrails, GL, EHR"),
        ("Labor intensity", pct(g.labor_intensity_change),
         "Target worked hours per UOS = prior-year worked hours per UOS x (1 + change), by job class; "
         "paid FTEs = worked hours / productive ratio / 2,080. Clerical and management FTEs stay "
         "at prior year (fixed staff).", "CNO", "Guardrails, payroll"),
        ("Wage and agency rates", pct(i.wages),
         "Prior-year straight-time rate (regular + PTO earnings / hours) x (1 + wage inflation); "
         "agency rate the same. Overtime share stays at prior year; agency FTEs flex with volume.",
         hr, "Guardrails, payroll"),
        ("Benefits load", pct(i.benefits),
         "Benefits per salary dollar x (1 + benefits inflation) / (1 + wage inflation).", hr,
         "Guardrails, GL"),
        ("Supplies and drugs per UOS", f"{pct(i.supplies)} / {pct(i.drugs)}",
         "Prior-year cost per UOS x (1 + inflation) x target volume.", "Supply chain",
         "Guardrails, GL"),
        ("Purchased services and other", f"{pct(i.purchased_services)} / {pct(i.other)}",
         "Prior-year amount x (1 + inflation); not volume driven.", fpa, "Guardrails, GL"),
        ("Operating margin target", pct(g.operating_margin_target),
         "System margin is compared with net revenue x target; the gap is shown on Targets.", fin,
         "Guardrails"),
        ("Divergence tolerance", f"{pct(g.divergence_tolerance_pct)} and "
         f"{g.divergence_tolerance_amount:,.0f}",
         "A submission needs a rationale where it departs from the target by more than both.",
         fin, "Guardrails"),
        ("Rounding", "to the cent",
         "Money is rounded half away from zero to the cent per line item; totals add rounded lines.",
         fpa, "Engine"),
        ("Monthly phasing", "volume seasonality",
         "Annual amounts are spread over months in proportion to the cost center's monthly volume.",
         fpa, "Engine"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["assumption", "value", "method", "owner", "source"])
    return Sheet(
        L.ASSUMPTIONS,
        "Assumptions: every assumption in one place",
        (Block(L.ASSUMPTION_BLOCK, L.ASSUMPTION_COLUMNS, frame),),
        notes=("Values follow the Guardrails sheet at the time the workbook was written.",),
        landscape=True,
    )


def glossary_sheet() -> Sheet:
    text = resources.files("hybridbudget").joinpath("data/glossary.csv").read_text("utf-8")
    frame = pd.DataFrame(list(csv.DictReader(text.splitlines())))
    return Sheet(
        L.GLOSSARY,
        "Glossary: every field, its owner, source and refresh cadence",
        (Block(L.GLOSSARY_BLOCK, L.GLOSSARY_COLUMNS, frame),),
    )


def issues_sheet(findings: list[Finding]) -> Sheet:
    frame = findings_frame(findings)
    note = (
        f"{len(findings)} extract rows could not be mapped; they are not in History."
        if findings
        else "Every extract row was mapped."
    )
    return Sheet(
        L.IMPORT_ISSUES,
        "Import issues",
        (Block(L.ISSUE_BLOCK, L.ISSUE_COLUMNS, frame),),
        notes=(note,),
    )


def control_sheets(
    ref: Reference, history: History, targets: Targets, findings: list[Finding]
) -> list[Sheet]:
    monthly, staffing = history_sheets(history)
    targets_sheet, drivers_sheet, staff_sheet = target_sheets(ref, targets)
    return [
        guardrails_sheet(ref.config),
        organization_sheet(ref),
        job_classes_sheet(ref),
        account_map_sheet(ref),
        monthly,
        staffing,
        targets_sheet,
        drivers_sheet,
        staff_sheet,
        assumptions_sheet(ref.config),
        glossary_sheet(),
        decision_guide_sheet(ref.config),
        issues_sheet(findings),
    ]

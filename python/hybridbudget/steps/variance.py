"""Step 4b: the month's variance against the locked plan, flexed for volume, and its actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..control.actions_sheet import actions_sheet, read_actions
from ..control.actuals_sheets import read_actuals
from ..control.audit import audit_sheet, entry, read_audit
from ..control.book import ControlBook, open_control
from ..control.load import load_control
from ..control.start_here import with_start_here
from ..engine.actuals_map import Actuals
from ..engine.drivers import Drivers
from ..engine.escalation import EscalationRule
from ..engine.favourability import COLUMN_NOTE
from ..engine.money import phase
from ..engine.rollup import BottomUp, hierarchy
from ..engine.targets import Targets, build_targets
from ..engine.triggers import OPEN, Breach, find_breaches, update_actions
from ..engine.variance_split import (
    ACCURACY_BAND,
    CORE_ITEMS,
    EFFECTS,
    Indicators,
    core_items,
    in_dollars,
    staffing_view,
    summed,
    variance_detail,
)
from ..errors import HybridBudgetError
from ..findings import Finding, Severity
from ..model.line_items import LINE_ITEM_NAMES, periods
from ..model.reference import Reference
from ..progress import Progress, silent
from ..workbook.spec import Block, Column, Sheet
from .consolidate import DRIVERS_SHEET
from .divergence import read_bottom_up
from .plan import LOCKED_PREFIX, locked_versions, plan_hash, read_plan_sheet

VARIANCE_SHEET = "Variance"
SUMMARY_SHEET = "Variance Summary"
MONTH_BLOCK = "Month: variance by cost center and line item"
YTD_BLOCK = "Year to date: variance by cost center and line item"
VARIANCE_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=34),
    Column("Service line", "service_line_code", width=11),
    Column("Line item", "line_item", width=9),
    Column("Line item name", "line_item_name", width=22),
    Column("Behaviour", "behaviour", width=15),
    Column("Plan", "plan", "money", width=14),
    Column("Flexible budget", "flex", "money", width=14),
    Column("Actual", "actual", "money", width=14),
    Column("Variance (actual - plan)", "variance", "money", width=14, kind_from="fav_kind"),
    *(Column(label, key, "money", width=13, kind_from="fav_kind") for key, label in EFFECTS),
    Column("Actual - flexible", "flex_variance", "money", width=13, kind_from="fav_kind"),
    Column("Actual - flexible %", "flex_variance_pct", "pct", width=9, kind_from="fav_pct_kind"),
    Column("Fav/Unfav vs flexible", "favourable", width=10),
)
KPI_BLOCK = "Shared indicators (system)"
KPI_COLUMNS = (
    Column("Indicator", "indicator", width=34),
    Column("Month plan", "m_plan", "money", width=15, kind_from="kind"),
    Column("Month flexible", "m_flex", "money", width=15, kind_from="kind"),
    Column("Month actual", "m_actual", "money", width=15, kind_from="kind"),
    Column("YTD plan", "y_plan", "money", width=15, kind_from="kind"),
    Column("YTD flexible", "y_flex", "money", width=15, kind_from="kind"),
    Column("YTD actual", "y_actual", "money", width=15, kind_from="kind"),
    # narrow on purpose: the text runs on over the empty cells to its right, so the blocks below
    # keep even columns (a sheet's column widths are shared by all its blocks)
    Column("How it is measured", "how", width=14),
)
SERVICE_LINE_BLOCK = "Expense variance by service line"
SERVICE_LINE_COLUMNS = (
    Column("Scope", "scope", width=12),
    Column("Service line", "service_line_code", width=11),
    Column("Service line name", "service_line_name", width=24),
    Column("Plan expense", "plan", "dollars"),
    Column("Flexible budget", "flex", "dollars"),
    Column("Actual expense", "actual", "dollars"),
    Column("Expense variance (actual - plan)", "variance", "dollars_down", width=14),
    *(Column(label, key, "dollars_down", width=13) for key, label in EFFECTS),
    Column("Plan margin", "plan_margin", "dollars"),
    Column("Actual margin", "actual_margin", "dollars"),
    Column("Margin variance (actual - plan)", "margin_variance", "dollars_up", width=14),
)
STAFF_MONTH_BLOCK = "Month: staffing against plan by cost center"
STAFF_YTD_BLOCK = "Year to date: staffing against plan by cost center"
STAFF_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Cost center name", "cost_center_name", width=34),
    Column("Planned UOS", "planned_uos", "int"),
    Column("Actual UOS", "actual_uos", "int"),
    Column("Worked hours plan", "worked_hours_plan", "int"),
    Column("Worked hours actual", "worked_hours_actual", "int"),
    Column("Overtime hours plan", "ot_hours_plan", "int"),
    Column("Overtime hours actual", "ot_hours_actual", "int"),
    Column("FTEs plan", "fte_plan", "fte"),
    Column("FTEs actual", "fte_actual", "fte"),
    Column("Overtime % plan", "ot_plan", "pct"),
    Column("Overtime % actual", "ot_actual", "pct"),
    Column("Agency FTEs plan", "agency_fte_plan", "fte"),
    Column("Agency FTEs actual", "agency_fte_actual", "fte"),
    Column("Worked hrs / UOS plan", "whpuos_plan", "ratio"),
    Column("Worked hrs / UOS actual", "whpuos_actual", "ratio"),
)
ACCURACY_BLOCK = f"Forecast accuracy: core line items within {ACCURACY_BAND:.0%} of actual"
ACCURACY_COLUMNS = (
    Column("Cost center", "cost_center", width=12),
    Column("Core item", "item_name", width=20),
    Column("Month plan", "m_plan", "dollars"),
    Column("Month actual", "m_actual", "dollars"),
    Column("Month within", "m_within", width=9),
    Column("YTD plan", "y_plan", "dollars"),
    Column("YTD actual", "y_actual", "dollars"),
    Column("YTD within", "y_within", width=9),
)


@dataclass
class MonitorInputs:
    """What monitoring reads from the control workbook: the newest locked plan and its basis."""

    ref: Reference
    plan: pd.DataFrame
    version: int
    sheet: str
    sha256: str
    basis: dict[str, Drivers]  # the drivers each cost center's plan was phased with
    basis_source: dict[str, str]  # "accepted submission" or "top-down target"
    actuals: Actuals
    targets: Targets
    bottom_up: dict[str, BottomUp]
    findings: list[Finding] = field(default_factory=list)
    file: str = ""  # the control workbook, for messages

    @property
    def year(self) -> int:
        return self.ref.config.fiscal_year

    def pick_month(self, month: str | None) -> str:
        """`month`, or the newest imported; refuse a month not imported."""
        imported = self.actuals.months
        if not imported:
            raise HybridBudgetError(
                f"{self.file}: no actuals imported yet; import a month first (hybridbudget "
                "actuals import FOLDER --month YYYY-MM)"
            )
        month = month or imported[-1]
        if month not in imported:
            raise HybridBudgetError(
                f"{self.file}: actuals for {month} are not imported (imported: "
                f"{', '.join(imported)}); import that month first or choose an imported one"
            )
        return month

    def ytd_months(self, month: str) -> list[str]:
        """The budget year's months up to `month`, each of which must have been imported."""
        months = periods(self.year)[: periods(self.year).index(month) + 1]
        missing = [m for m in months if m not in self.actuals.months]
        if missing:
            raise HybridBudgetError(
                f"actuals for {', '.join(missing)} are not imported; year to date needs every "
                f"month from {months[0]} (run hybridbudget actuals import)"
            )
        return months


def _locked_sha(book: ControlBook, version: int) -> str:
    audit = read_audit(book)
    rows = audit[(audit.step == "lock") & audit.detail.str.startswith(f"plan version {version} ")]
    return str(rows.sha256.iloc[-1]) if len(rows) else ""


def _basis_findings(plan: pd.DataFrame, basis: dict[str, Drivers]) -> list[Finding]:
    """Cost centers whose drivers no longer phase the locked plan as it was locked."""
    out = []
    months = [f"m{i:02d}" for i in range(1, 13)]
    for cc, part in plan.groupby("cost_center", sort=False):
        row = part.loc[part.annual.abs().idxmax()]
        weights = basis[cc].volume if sum(basis[cc].volume) else (1.0,) * 12
        if phase(float(row.annual), weights) != [float(row[m]) for m in months]:
            out.append(Finding(code="PLAN_BASIS_CHANGED", severity=Severity.WARNING,
                               cost_center=cc, sheet=DRIVERS_SHEET,
                               message=f"{cc}: the planned volume on {DRIVERS_SHEET} no longer "
                               "phases the locked plan (Consolidate ran after the lock?); the "
                               "flexible budget uses the current drivers"))  # fmt: skip
    return out


def monitor_inputs(control: Path | ControlBook) -> MonitorInputs:
    """The newest locked plan (its hash checked against the Audit Log), the drivers it was
    phased with, and the imported actuals."""
    book = open_control(control)
    versions = locked_versions(book)
    if not versions:
        raise HybridBudgetError(
            f"{book.file}: no locked plan: variance compares actuals with the newest "
            f"'{LOCKED_PREFIX}N' sheet (run Lock plan first)"
        )
    version = versions[-1]
    sheet = f"{LOCKED_PREFIX}{version}"
    plan = read_plan_sheet(book, sheet)
    digest = plan_hash(plan)
    recorded = _locked_sha(book, version)
    if recorded and recorded != digest:
        raise HybridBudgetError(
            f"{book.file}: sheet {sheet} differs from the plan locked (SHA-256 {digest[:12]}... "
            f"instead of {recorded[:12]}...): restore it (hybridbudget undo) or lock a new version"
        )
    ref, history = load_control(book)
    targets = build_targets(ref, history)
    bus = read_bottom_up(book) if DRIVERS_SHEET in book.sheet_names else {}
    basis, source = {}, {}
    for cc in plan.cost_center.unique():
        accepted = cc in bus
        basis[cc] = bus[cc].drivers if accepted else targets.by_cost_center[cc].drivers
        source[cc] = "accepted submission" if accepted else "top-down target"
    return MonitorInputs(ref, plan, version, sheet, digest, basis, source, read_actuals(book),
                         targets, bus, _basis_findings(plan, basis), book.file)  # fmt: skip


@dataclass
class VarianceResult:
    month: str
    months: list[str]  # year to date
    inputs: MonitorInputs
    detail: pd.DataFrame  # per cost center, line item and month, cents
    month_view: pd.DataFrame  # dollars
    ytd_view: pd.DataFrame
    staffing_month: pd.DataFrame
    staffing_ytd: pd.DataFrame
    indicators: tuple[Indicators, Indicators]  # month, year to date
    breaches: list[Breach]
    actions: pd.DataFrame
    changes: list[str]


def compute_variance(inputs: MonitorInputs, month: str) -> VarianceResult:
    """Everything the Variance sheets show for `month` (no writing; actions not updated)."""
    months = inputs.ytd_months(month)
    a = inputs.actuals
    detail = variance_detail(inputs.plan, inputs.basis, a.monthly, a.staffing, months)
    m_sum, y_sum = summed(detail, [month]), summed(detail, months)
    levels = EscalationRule.of(inputs.ref.config)
    month_view = in_dollars(m_sum)
    return VarianceResult(
        month=month,
        months=months,
        inputs=inputs,
        detail=detail,
        month_view=month_view,
        ytd_view=in_dollars(y_sum),
        staffing_month=staffing_view(inputs.basis, a.staffing, a.monthly, [month]),
        staffing_ytd=staffing_view(inputs.basis, a.staffing, a.monthly, months),
        indicators=(Indicators.of(m_sum), Indicators.of(y_sum)),
        breaches=find_breaches(month_view, month, levels),
        actions=pd.DataFrame(),
        changes=[],
    )


def _named(view: pd.DataFrame, h: pd.DataFrame) -> pd.DataFrame:
    out = view.merge(h, on="cost_center", how="left")
    return out.assign(line_item_name=out.line_item.map(LINE_ITEM_NAMES))


def service_lines(view: pd.DataFrame, h: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Expense plan, flexible, actual and effects, and margins, per service line (dollars)."""
    data = view.merge(h, on="cost_center", how="left")
    keys = ["plan", "flex", "actual", "variance", *(k for k, _ in EFFECTS)]
    cents = data[keys].mul(100).round().astype("int64")
    data = pd.concat([data.drop(columns=keys), cents], axis=1)
    rev = data.line_item.eq("REV")
    sl = ["service_line_code", "service_line_name"]
    exp = data[~rev].groupby(sl, sort=False)[keys].sum()
    revenue = data[rev].groupby(sl, sort=False)[["plan", "actual"]].sum().reindex(exp.index)
    out = exp.assign(
        plan_margin=revenue.plan.fillna(0) - exp.plan,
        actual_margin=revenue.actual.fillna(0) - exp.actual,
    )
    out["margin_variance"] = out.actual_margin - out.plan_margin
    return (out / 100).reset_index().assign(scope=scope)


def kpi_rows(result: VarianceResult, open_actions: int) -> pd.DataFrame:
    m, y = result.indicators

    def row(name: str, kind: str, mv: tuple, yv: tuple, how: str) -> dict:
        return {"indicator": name, "kind": kind, "how": how,
                "m_plan": mv[0], "m_flex": mv[1], "m_actual": mv[2],
                "y_plan": yv[0], "y_flex": yv[1], "y_actual": yv[2]}  # fmt: skip

    def margin(i: Indicators) -> tuple:
        return tuple(round(r - e, 2) for r, e in zip(i.revenue, i.expense, strict=True))

    return pd.DataFrame([
        row("Net revenue", "dollars", m.revenue, y.revenue, "GL net patient revenue"),
        row("Expense", "dollars", m.expense, y.expense, "every expense line"),
        row("Operating margin", "dollars", margin(m), margin(y), "net revenue - expense"),
        row("Operating margin %", "pct2", m.margin_pct, y.margin_pct, "margin / net revenue"),
        row("Labor cost", "dollars", m.labor, y.labor, "salaries, agency and benefits"),
        row("Labor cost per UOS, % of plan", "pct", (1.0, 1.0, m.labor_index),
            (1.0, 1.0, y.labor_index), "actual labor / flexible labor budget (planned labor "
            "cost per UOS x actual UOS)"),
        row("Throughput against target", "pct", (1.0, None, m.throughput),
            (1.0, None, y.throughput), "actual / planned UOS per cost center, weighted by "
            f"planned expense; at or above target: {m.at_target[0]} of {m.at_target[1]} cost "
            f"centers this month, {y.at_target[0]} of {y.at_target[1]} year to date"),
        row("Forecast accuracy", "pct", (None, None, m.accuracy), (None, None, y.accuracy),
            f"share of core line items (per cost center: {', '.join(n for _, n in CORE_ITEMS)}) "
            f"whose locked plan is within {ACCURACY_BAND:.0%} of actual"),
        row("Open actions", "int", (None, None, open_actions), (None, None, None),
            "Actions sheet, status open"),
    ])  # fmt: skip


def accuracy_frame(result: VarianceResult) -> pd.DataFrame:
    names = dict(CORE_ITEMS)
    m = core_items(summed(result.detail, [result.month])).set_index(["cost_center", "item"])
    y = core_items(summed(result.detail, result.months)).set_index(["cost_center", "item"])
    both = y.merge(m, how="left", left_index=True, right_index=True, suffixes=("_y", "_m"))
    both = both.reset_index()
    yes = {True: "yes", False: "no"}
    return pd.DataFrame({
        "cost_center": both.cost_center, "item_name": both.item.map(names),
        "m_plan": both.plan_m / 100, "m_actual": both.actual_m / 100,
        "m_within": both.within_m.map(yes).fillna(""),
        "y_plan": both.plan_y / 100, "y_actual": both.actual_y / 100,
        "y_within": both.within_y.map(yes),
    })  # fmt: skip


def variance_sheets(result: VarianceResult) -> list[Sheet]:
    inputs = result.inputs
    h = hierarchy(inputs.ref)
    hn = h[["cost_center", "cost_center_name"]]
    m, y = result.indicators
    open_n = int((result.actions.status == "open").sum()) if len(result.actions) else 0
    lineage = (
        f"Locked plan: {inputs.sheet} (SHA-256 {inputs.sha256[:16]}...); actuals imported: "
        f"{', '.join(inputs.actuals.months)}; year to date {result.months[0]}..{result.month}."
    )
    headline = (
        f"{result.month}: margin {m.margin_pct[2]:.2%} against a plan of {m.margin_pct[0]:.2%}; "
        f"labor cost per UOS {m.labor_index:.1%} of plan; forecast accuracy {m.accuracy:.0%} "
        f"(year to date {y.accuracy:.0%}); {len(result.breaches)} triggers this month."
    )
    staff = [v.merge(hn, on="cost_center", how="left") for v in (result.staffing_month,
                                                                result.staffing_ytd)]  # fmt: skip
    lines = pd.concat([service_lines(result.month_view, h, result.month),
                       service_lines(result.ytd_view, h, "year to date")])  # fmt: skip
    return [
        Sheet(VARIANCE_SHEET, f"Variance {result.month}: locked plan, flexible budget, actual",
              (Block(MONTH_BLOCK, VARIANCE_COLUMNS, _named(result.month_view, h)),
               Block(YTD_BLOCK, VARIANCE_COLUMNS, _named(result.ytd_view, h))),
              notes=(headline, lineage, "Variance = volume + efficiency + rate + spending, to "
                     "the cent. Flexible budget: variable lines x actual / planned UOS; benefits "
                     "follow flexed salaries; fixed lines do not flex (README, Monitoring).",
                     COLUMN_NOTE)),
        Sheet(SUMMARY_SHEET, f"Variance summary {result.month}",
              (Block(KPI_BLOCK, KPI_COLUMNS, kpi_rows(result, open_n)),
               Block(SERVICE_LINE_BLOCK, SERVICE_LINE_COLUMNS, lines),
               Block(STAFF_MONTH_BLOCK, STAFF_COLUMNS, staff[0]),
               Block(STAFF_YTD_BLOCK, STAFF_COLUMNS, staff[1]),
               Block(ACCURACY_BLOCK, ACCURACY_COLUMNS, accuracy_frame(result))),
              notes=(headline, lineage, "Whole dollars shown; the cells keep the cents. "
                     + COLUMN_NOTE), freeze_block=None),
    ]  # fmt: skip


def variance(
    control: Path | ControlBook, month: str | None = None, progress: Progress = silent
) -> VarianceResult:
    """Write Variance, Variance Summary and Actions for `month` (default: the newest imported);
    actions already on the sheet are kept, repeated breaches escalate."""
    book = open_control(control)
    progress(f"reading the locked plan and the actuals in {book.file}")
    inputs = monitor_inputs(book)
    month = inputs.pick_month(month)
    progress(f"flexing the plan and splitting the variance for {month}")
    result = compute_variance(inputs, month)
    ref = inputs.ref
    names = {c.cost_center_code: (c.cost_center_name, c.owner_name)
             for c in ref.organization.cost_centers}  # fmt: skip
    result.actions, result.changes = update_actions(
        read_actions(book), result.breaches, EscalationRule.of(ref.config), names
    )
    m = result.indicators[0]
    detail = (
        f"variance {month} against {inputs.sheet}: margin {m.margin_pct[2]:.2%} (plan "
        f"{m.margin_pct[0]:.2%}); {len(result.breaches)} triggers; "
        + ("; ".join(result.changes) if result.changes else "no action opened or escalated")
    )
    sheets = [
        *variance_sheets(result),
        actions_sheet(result.actions, month, EscalationRule.of(ref.config)),
        audit_sheet(book, entry("variance", detail, inputs.sha256)),
    ]
    progress(f"writing {', '.join(s.name for s in sheets)}")
    figures = {
        "month": month,
        "triggers": len(result.breaches),
        "open_actions": int((result.actions["status"] == OPEN).sum()),
    }
    book.write_sheets(with_start_here(book, sheets, "variance", figures), "variance")
    return result

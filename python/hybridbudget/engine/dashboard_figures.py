"""The numbers behind the dashboard views, computed from a variance result (no workbook here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..model.line_items import LABOR_LINES, LINE_ITEM_CODES, LINE_ITEM_NAMES
from .escalation import EscalationRule
from .rollup import hierarchy
from .triggers import OPEN, find_breaches
from .variance_split import EFFECT_KEYS, Indicators, core_items, in_dollars, summed

# Frontline snapshot rows: label, line items (None = units of service)
SNAPSHOT_METRICS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("Units of service", None),
    ("Net revenue", ("REV",)),
    ("Labor cost", tuple(LABOR_LINES)),
    ("Supplies and drugs", ("SUP", "DRG")),
    ("Purchased services and other", ("PUR", "OTH")),
    ("Total expense", tuple(li for li in LINE_ITEM_CODES if li != "REV")),
)
SCOPES: tuple[tuple[str, str], ...] = (
    ("m_plan", "Month plan"),
    ("m_flex", "Month flexible"),
    ("m_actual", "Month actual"),
    ("y_plan", "YTD plan"),
    ("y_flex", "YTD flexible"),
    ("y_actual", "YTD actual"),
)
STAFF_METRICS: tuple[tuple[str, str, str], ...] = (
    ("FTEs (paid)", "fte", "0.0"),
    ("Overtime % of worked hours", "ot", "0.0%"),
    ("Agency FTEs", "agency_fte", "0.0"),
    ("Worked hours per UOS", "whpuos", "0.00"),
)
MAX_FRONTLINE_ACTIONS = 6


@dataclass
class DashboardData:
    """Everything the three views show, in dollars and shares."""

    system_name: str
    month: str
    lineage: list[str]  # one line per source, shown on every view
    refreshed: str
    trend: pd.DataFrame  # one row per month
    indicators: tuple[Indicators, Indicators]  # month, year to date
    service_lines: pd.DataFrame  # year to date, expense
    line_items: pd.DataFrame  # year to date, system
    snapshot: pd.DataFrame  # one row per cost center, wide (Frontline lookups)
    cc_monthly: pd.DataFrame  # one row per cost center and month (Frontline trend)
    actions: pd.DataFrame  # the Actions sheet
    cost_centers: list[str]


def trend(detail: pd.DataFrame, months: list[str], levels: EscalationRule) -> pd.DataFrame:
    rows = []
    for m in months:
        view = summed(detail, [m])
        i = Indicators.of(view)
        rows.append({
            "month": m, "margin_plan": i.margin_pct[0], "margin_actual": i.margin_pct[2],
            "labor_index": i.labor_index, "throughput": i.throughput, "accuracy": i.accuracy,
            "revenue_plan": i.revenue[0], "revenue_actual": i.revenue[2],
            "expense_plan": i.expense[0], "expense_flex": i.expense[1],
            "expense_actual": i.expense[2],
            "triggers": len(find_breaches(in_dollars(view), m, levels)),
        })  # fmt: skip
    return pd.DataFrame(rows)


def by(view: pd.DataFrame, key: str, h: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expense (or line item) totals and effects in dollars, grouped by `key`."""
    data = view.merge(h, on="cost_center", how="left") if h is not None else view
    if key != "line_item":
        data = data[data.line_item != "REV"]
    keys = ["plan", "flex", "actual", *EFFECT_KEYS]
    out = data.groupby(key, sort=False)[keys].sum() / 100
    out["variance"] = out.actual - out.plan
    return out.reset_index()


def _metric(view: pd.DataFrame, lines: tuple[str, ...] | None, col: str) -> pd.Series:
    if lines is None:
        per = view.groupby("cost_center", sort=False).agg(
            planned_uos=("planned_uos", "first"), actual_uos=("actual_uos", "first")
        )
        return per["actual_uos" if col == "actual" else "planned_uos"]
    part = view[view.line_item.isin(lines)]
    return part.groupby("cost_center", sort=False)[col].sum() / 100


def snapshot(m_view, y_view, staff_m, h, actions) -> pd.DataFrame:
    """One row per cost center: every Frontline figure in its own column."""
    out = h.set_index("cost_center")[["cost_center_name", "service_line_name"]].copy()
    for label, lines in SNAPSHOT_METRICS:
        for key, _ in SCOPES:
            view = m_view if key.startswith("m") else y_view
            col = {"plan": "plan", "flex": "flex", "actual": "actual"}[key[2:]]
            if lines is None and col == "flex":
                col = "actual"  # the flexible budget's volume is the actual volume
            out[f"{label}|{key}"] = _metric(view, lines, col)
    s = staff_m.set_index("cost_center")
    for label, key, _ in STAFF_METRICS:
        out[f"{label}|plan"] = s[f"{key}_plan"]
        out[f"{label}|actual"] = s[f"{key}_actual"]
    acc = core_items(y_view).groupby("cost_center").within.mean()
    out["accuracy"] = acc.reindex(out.index)
    open_ = actions[actions.status == OPEN] if len(actions) else actions
    out["open_actions"] = (
        open_.groupby("cost_center").size().reindex(out.index).fillna(0).astype(int)
        if len(open_) else 0
    )  # fmt: skip
    return out.reset_index()


def cc_monthly(detail: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Per cost center and month: UOS and expense plan, flexible, actual (key 'CC|YYYY-MM')."""
    exp = detail[detail.line_item != "REV"]
    keys = ["cost_center", "period"]
    money = exp.groupby(keys, sort=False)[["plan", "flex", "actual"]].sum() / 100
    uos = detail.groupby(keys, sort=False)[["planned_uos", "actual_uos"]].first()
    out = money.join(uos).reset_index()
    out = out[out.period.isin(months)]
    out.insert(0, "key", out.cost_center + "|" + out.period)
    return out.reset_index(drop=True)


def frontline_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """Open actions numbered within their cost center (key 'CC|n') for Frontline lookups."""
    cols = ["key", "id", "line_item", "trigger", "level", "escalated_to", "due"]
    if not len(actions):
        return pd.DataFrame(columns=cols)
    open_ = actions[actions.status == OPEN].copy()
    open_["n"] = open_.groupby("cost_center").cumcount() + 1
    open_["key"] = open_.cost_center + "|" + open_.n.astype(str)
    open_["line_item"] = open_.line_item.map(LINE_ITEM_NAMES).fillna(open_.line_item)
    return open_[open_.n <= MAX_FRONTLINE_ACTIONS][cols].reset_index(drop=True)


def dashboard_data(result, actions: pd.DataFrame, lineage: list[str]) -> DashboardData:
    """The views' numbers from a VarianceResult (steps/variance.py) and the Actions sheet."""
    inputs = result.inputs
    ref = inputs.ref
    h = hierarchy(ref)
    m_view = summed(result.detail, [result.month])
    y_view = summed(result.detail, result.months)
    levels = EscalationRule.of(ref.config)
    return DashboardData(
        system_name=ref.config.system_name,
        month=result.month,
        lineage=lineage,
        refreshed=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        trend=trend(result.detail, result.months, levels),
        indicators=result.indicators,
        service_lines=by(y_view, "service_line_name", h),
        line_items=by(y_view, "line_item").assign(
            line_item_name=lambda f: f.line_item.map(LINE_ITEM_NAMES)
        ),
        snapshot=snapshot(m_view, y_view, result.staffing_month, h, actions),
        cc_monthly=cc_monthly(result.detail, result.months),
        actions=actions,
        cost_centers=list(h.cost_center),
    )

"""The numbers behind the dashboard views, computed from a variance result (no workbook here).

Every figure a view shows is computed here once, in dollars (sums taken in integer cents), so
the dashboard, its tests and the Power BI tile table read the same values. Variances are shown
"fav/(unfav)": favourable positive, unfavourable negative (in parentheses on the sheets); the one
rule that decides which is `favourable`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..model.line_items import JOB_CLASSES, LINE_ITEM_NAMES, salary_line
from .capital import CapitalSummary
from .favourability import is_favourable
from .rollup import hierarchy
from .triggers import OPEN
from .variance_split import (
    ACCURACY_BAND,
    CORE_ITEMS,
    EFFECT_KEYS,
    EFFECTS,
    Indicators,
    core_items,
    summed,
)


def favourable(line_item: str, actual_minus_plan: float) -> bool:
    """True when the difference helps the operating margin (engine/favourability.py, the one
    rule): revenue or margin above plan, expense or staffing below it; no difference counts as
    favourable. A tile judges volume (neutral on the sheets) as more is favourable."""
    fav = is_favourable(line_item, actual_minus_plan)
    return actual_minus_plan >= 0 if fav is None else fav


def fav_amount(line_item: str, actual_minus_plan: float) -> float:
    """The difference signed fav/(unfav): positive when favourable."""
    size = abs(actual_minus_plan)
    return size if favourable(line_item, actual_minus_plan) else -size


def fav_label(line_item: str, actual_minus_plan: float) -> str:
    if actual_minus_plan == 0:
        return ""
    return "Fav" if favourable(line_item, actual_minus_plan) else "Unfav"


# P&L order of a cost center block (FINANCE-SHEETS.md): (key, label, line items, bold)
SALARY_LINES = tuple(salary_line(j) for j in JOB_CLASSES)
LABOR_ALL = (*SALARY_LINES, "AGY", "BEN")
NONLABOR = ("SUP", "DRG", "PUR", "OTH")
EXPENSE_ALL = (*LABOR_ALL, *NONLABOR)
PNL_ROWS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("REV", "Net patient revenue", ("REV",), False),
    *((li, LINE_ITEM_NAMES[li], (li,), False) for li in SALARY_LINES),
    ("SAL", "Total salaries", SALARY_LINES, True),
    ("AGY", LINE_ITEM_NAMES["AGY"], ("AGY",), False),
    ("BEN", LINE_ITEM_NAMES["BEN"], ("BEN",), False),
    ("LAB", "Total labor", LABOR_ALL, True),
    *((li, LINE_ITEM_NAMES[li], (li,), False) for li in NONLABOR),
    ("NLB", "Total non-labor", NONLABOR, True),
    ("EXP", "Total expense", EXPENSE_ALL, True),
    ("MARGIN", "Operating margin", (), True),
)

# Status thresholds: the unfavourable gap at which a tile turns amber and red, in the unit the
# tile's gap is measured in. Defaults; the Executive sheet holds them as input cells.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "margin": (0.05, 0.10),
    "margin_pct": (0.0025, 0.005),
    "volume": (0.02, 0.05),
    "adjpd": (0.02, 0.05),
    "fte": (0.02, 0.05),
    "overtime": (0.005, 0.01),
    "agency": (0.10, 0.25),
    "accuracy": (0.25, 0.50),
}
GREEN, AMBER, RED = "Green", "Amber", "Red"
MAX_FRONTLINE_ACTIONS = 6
AGE_BUCKETS: tuple[tuple[int, str], ...] = (
    (30, "0-30 days"), (60, "31-60 days"), (90, "61-90 days"), (10**6, "over 90 days"),
)  # fmt: skip


def status(gap: float, amber: float, red: float) -> str:
    """Red from `red`, amber from `amber`, else green (gap: unfavourable deviation, >= 0 bad)."""
    return RED if gap >= red else AMBER if gap >= amber else GREEN


@dataclass(frozen=True)
class Tile:
    """One Executive tile: actual against plan for the month and the year to date."""

    key: str
    label: str
    metric: str  # the favourability key (engine/favourability.py)
    fmt: str  # number format of the values
    m_plan: float
    m_actual: float
    y_plan: float
    y_actual: float
    gap_basis: str  # "of plan" (relative), "points" (absolute), "outside" (accuracy)
    gap_label: str  # how the status gap is measured, in words
    note: str  # definition, shown under the value

    def variance(self, scope: str = "m") -> float:
        """Actual - plan, fav/(unfav)."""
        plan, actual = (
            (self.m_plan, self.m_actual) if scope == "m" else (self.y_plan, self.y_actual)
        )
        return fav_amount(self.metric, actual - plan)

    def gap(self, scope: str = "m") -> float:
        """The unfavourable deviation the status is judged on (negative when favourable)."""
        plan, actual = (
            (self.m_plan, self.m_actual) if scope == "m" else (self.y_plan, self.y_actual)
        )
        if self.gap_basis == "outside":
            return 1.0 - actual
        unfav = -fav_amount(self.metric, actual - plan)
        if self.gap_basis == "points":
            return unfav
        if plan == 0:
            return 0.0 if unfav <= 0 else float("inf")
        return unfav / abs(plan)

    def status(self, thresholds: Mapping[str, tuple[float, float]], scope: str = "m") -> str:
        amber, red = thresholds[self.key]
        return status(self.gap(scope), amber, red)


def _cents(series: pd.Series) -> int:
    return int(series.sum())


def _money(view: pd.DataFrame, lines: Sequence[str], col: str) -> float:
    return _cents(view.loc[view.line_item.isin(lines), col]) / 100


def margin_of(view: pd.DataFrame, col: str) -> float:
    rev = _cents(view.loc[view.line_item.eq("REV"), col])
    exp = _cents(view.loc[view.line_item.ne("REV"), col])
    return (rev - exp) / 100


def margin_pct_of(view: pd.DataFrame, col: str) -> float:
    rev = _cents(view.loc[view.line_item.eq("REV"), col])
    return margin_of(view, col) * 100 / rev if rev else 0.0


def inpatient_days_units(ref) -> list[str]:
    """Cost centers whose unit of service is the inpatient day."""
    return [c.cost_center_code for c in ref.organization.cost_centers
            if str(c.cost_center_type) == "inpatient" and c.uos.lower() == "patient days"]  # fmt: skip


def adjusted_patient_days(view: pd.DataFrame, inpatient: Sequence[str], col: str) -> float:
    """Inpatient days x net patient revenue / net revenue of the inpatient-day units (`col`:
    'plan' or 'actual')."""
    uos = "planned_uos" if col == "plan" else "actual_uos"
    units = view[view.cost_center.isin(inpatient)]
    days = float(units.groupby("cost_center", sort=False)[uos].first().sum())
    rev = view[view.line_item.eq("REV")]
    total = _cents(rev[col])
    inpatient_rev = _cents(rev.loc[rev.cost_center.isin(inpatient), col])
    return days * total / inpatient_rev if inpatient_rev else 0.0


def staffing_totals(staff: pd.DataFrame) -> dict[str, float]:
    """System paid FTEs, overtime share and agency FTEs, plan and actual, from staffing_view."""
    s = staff.sum(numeric_only=True)

    def share(num: str, den: str) -> float:
        return float(s[num] / s[den]) if s[den] else 0.0

    return {
        "fte_plan": float(s.fte_plan), "fte_actual": float(s.fte_actual),
        "ot_plan": share("ot_hours_plan", "worked_hours_plan"),
        "ot_actual": share("ot_hours_actual", "worked_hours_actual"),
        "agency_fte_plan": float(s.agency_fte_plan),
        "agency_fte_actual": float(s.agency_fte_actual),
    }  # fmt: skip


def accuracy_count(view: pd.DataFrame) -> tuple[int, int]:
    """(core lines within the band, core lines) over the cost centers of `view`."""
    core = core_items(view)
    return int(core.within.sum()), len(core)


def tiles(m_view, y_view, staff_m, staff_y, ind: tuple[Indicators, Indicators], inpatient):
    """The eight Executive tiles."""
    m, y = ind
    sm, sy = staffing_totals(staff_m), staffing_totals(staff_y)
    am, ay = accuracy_count(m_view), accuracy_count(y_view)
    band = f"{ACCURACY_BAND:.0%}"
    return [
        Tile("margin", "Operating margin $", "MARGIN", "#,##0;(#,##0)",
             margin_of(m_view, "plan"), margin_of(m_view, "actual"),
             margin_of(y_view, "plan"), margin_of(y_view, "actual"),
             "of plan", "unfavourable variance, % of plan margin",
             "net patient revenue - total expense"),
        Tile("margin_pct", "Operating margin %", "MARGIN_PCT", "0.00%",
             m.margin_pct[0], m.margin_pct[2], y.margin_pct[0], y.margin_pct[2],
             "points", "percentage points below plan", "margin / net patient revenue"),
        Tile("volume", "Volume (UOS), % of plan", "UOS", "0.0%",
             1.0, m.throughput, 1.0, y.throughput, "of plan", "% below plan",
             f"actual / planned UOS by cost center, weighted by planned expense; "
             f"{m.at_target[0]} of {m.at_target[1]} cost centers at or above plan"),
        Tile("adjpd", "Adjusted patient days", "ADJPD", "#,##0",
             adjusted_patient_days(m_view, inpatient, "plan"),
             adjusted_patient_days(m_view, inpatient, "actual"),
             adjusted_patient_days(y_view, inpatient, "plan"),
             adjusted_patient_days(y_view, inpatient, "actual"), "of plan", "% below plan",
             "inpatient days x net patient revenue / inpatient units' net revenue"),
        Tile("fte", "Paid FTEs", "FTE", "#,##0.0", sm["fte_plan"], sm["fte_actual"],
             sy["fte_plan"], sy["fte_actual"], "of plan", "% above plan",
             "paid hours (worked + paid time off) / 173.33 a month; YTD: monthly average"),
        Tile("overtime", "Overtime % of worked hours", "OT", "0.0%", sm["ot_plan"],
             sm["ot_actual"], sy["ot_plan"], sy["ot_actual"], "points",
             "percentage points above plan", "overtime hours / worked hours (employees)"),
        Tile("agency", "Agency (contract labor) $", "AGY", "#,##0;(#,##0)",
             _money(m_view, ["AGY"], "plan"), _money(m_view, ["AGY"], "actual"),
             _money(y_view, ["AGY"], "plan"), _money(y_view, ["AGY"], "actual"),
             "of plan", "% above plan",
             f"agency FTEs {sm['agency_fte_actual']:,.1f} against {sm['agency_fte_plan']:,.1f}"
             " planned this month"),
        Tile("accuracy", "Forecast accuracy", "ACCURACY", "0%",
             1.0, am[0] / am[1] if am[1] else 0.0, 1.0, ay[0] / ay[1] if ay[1] else 0.0,
             "outside", f"share of core lines outside {band}",
             f"{am[0]} of {am[1]} core lines within {band} this month; {ay[0]} of {ay[1]} "
             f"year to date (plan within {band} of actual; core lines per cost center: "
             f"{', '.join(n for _, n in CORE_ITEMS)})"),
    ]  # fmt: skip


def month_tiles(result) -> list[Tile]:
    """The tiles of a VarianceResult (steps/variance.py)."""
    m_view = summed(result.detail, [result.month])
    y_view = summed(result.detail, result.months)
    return tiles(m_view, y_view, result.staffing_month, result.staffing_ytd, result.indicators,
                 inpatient_days_units(result.inputs.ref))  # fmt: skip


def monthly_series(detail: pd.DataFrame, months: list[str], basis, staffing, monthly,
                   staffing_view) -> pd.DataFrame:  # fmt: skip
    """One row per month: margin fav/(unfav), margin % plan and actual, indices against plan."""
    rows = []
    for mo in months:
        view = summed(detail, [mo])
        i = Indicators.of(view)
        staff = staffing_totals(staffing_view(basis, staffing, monthly, [mo]))
        plan_m, act_m = margin_of(view, "plan"), margin_of(view, "actual")
        rows.append({
            "month": mo,
            "margin_plan": plan_m, "margin_actual": act_m,
            "margin_variance": fav_amount("MARGIN", act_m - plan_m),
            "margin_pct_plan": i.margin_pct[0], "margin_pct_actual": i.margin_pct[2],
            "volume_index": i.throughput,
            "fte_index": staff["fte_actual"] / staff["fte_plan"] if staff["fte_plan"] else 0.0,
            "labor_index": i.labor_index,
        })  # fmt: skip
    return pd.DataFrame(rows)


def fav_frame(frame: pd.DataFrame, metric_col: str | None, metric: str = "") -> pd.DataFrame:
    """Add 'variance' (fav/(unfav)) and 'fav' (Fav/Unfav) from plan and actual; the effects
    (volume..spending, actual - plan parts) are turned fav/(unfav) the same way."""
    out = frame.copy()
    metrics = out[metric_col] if metric_col else pd.Series(metric, index=out.index)
    diff = out.actual - out.plan
    sign = [1 if favourable(m, 1.0) else -1 for m in metrics]
    out["variance"] = [fav_amount(m, d) for m, d in zip(metrics, diff, strict=True)]
    out["fav"] = [fav_label(m, d) for m, d in zip(metrics, diff, strict=True)]
    for key in EFFECT_KEYS:
        if key in out:
            out[key] = out[key] * sign
    return out


def by_organisation(view: pd.DataFrame, h: pd.DataFrame) -> pd.DataFrame:
    """Revenue, expense and margin plan / actual / fav/(unfav) per entity and service line,
    entity rows first (level 'entity', then its service lines), system last (dollars)."""
    data = view.merge(h, on="cost_center", how="left")
    data["kind"] = data.line_item.where(data.line_item.eq("REV"), "EXP")
    rows = []

    def row(level: str, code: str, name: str, part: pd.DataFrame) -> dict:
        out = {"level": level, "code": code, "name": name}
        for kind, label in (("REV", "revenue"), ("EXP", "expense")):
            p = part[part.kind.eq(kind)]
            plan, actual = _cents(p.plan) / 100, _cents(p.actual) / 100
            out |= {f"{label}_plan": plan, f"{label}_actual": actual,
                    f"{label}_var": fav_amount(kind, actual - plan)}  # fmt: skip
        plan = margin_of(part, "plan")
        actual = margin_of(part, "actual")
        out |= {"margin_plan": plan, "margin_actual": actual,
                "margin_var": fav_amount("MARGIN", actual - plan)}  # fmt: skip
        return out

    for (ecode, ename), e in data.groupby(["entity_code", "entity_name"], sort=False):
        rows.append(row("entity", ecode, ename, e))
        for (scode, sname), s in e.groupby(["service_line_code", "service_line_name"], sort=False):
            rows.append(row("service line", scode, sname, s))
    rows.append(row("system", "", "System total", data))
    return pd.DataFrame(rows)


def largest_variances(view: pd.DataFrame, h: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The `n` largest variances (cost center x line item, by size) with their split, fav/(unfav)."""
    cols = ["cost_center", "line_item", "plan", "flex", "actual", *EFFECT_KEYS]
    part = view[cols].copy()
    for key in ["plan", "flex", "actual", *EFFECT_KEYS]:
        part[key] = part[key] / 100
    part = fav_frame(part, "line_item")
    part = part.reindex(part.variance.abs().sort_values(ascending=False, kind="stable").index)
    part = part.head(n).merge(h[["cost_center", "cost_center_name"]], on="cost_center")
    return part.assign(line_item_name=part.line_item.map(LINE_ITEM_NAMES)).reset_index(drop=True)


def effects_by(view: pd.DataFrame, h: pd.DataFrame, key: str) -> pd.DataFrame:
    """The variance split fav/(unfav) summed per `key` of the hierarchy (dollars)."""
    data = fav_frame(view, "line_item").merge(h, on="cost_center", how="left")
    out = data.groupby(key, sort=False)[list(EFFECT_KEYS)].sum() / 100
    return out.reset_index()


def system_effects(view: pd.DataFrame) -> pd.DataFrame:
    """effect, amount: the system's variance split fav/(unfav) (dollars)."""
    sums = fav_frame(view, "line_item")[list(EFFECT_KEYS)].sum() / 100
    return pd.DataFrame({"effect": [label for _, label in EFFECTS], "amount": sums.to_numpy()})


def month_end(month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def open_actions(actions: pd.DataFrame, month: str) -> pd.DataFrame:
    """Open actions with $ at stake (the unfavourable variance that opened or last escalated
    them), age in days at the end of `month` since the end of the month they opened, overdue."""
    cols = [*actions.columns, "at_stake", "age_days", "age", "overdue", "line_item_name"]
    if not len(actions):
        return pd.DataFrame(columns=cols)
    # the Actions sheet is as of the newest variance run: an earlier month's view leaves out
    # what opened later
    out = actions[(actions.status == OPEN) & (actions.opened.astype(str) <= month)].copy()
    asof = month_end(month)
    out["at_stake"] = out.variance.astype(float).abs()
    out["age_days"] = [(asof - month_end(str(o))).days for o in out.opened]
    out["age"] = [next(label for top, label in AGE_BUCKETS if d <= top) for d in out.age_days]
    due = pd.to_datetime(out.due).dt.date
    out["overdue"] = ["yes" if d < asof else "" for d in due]
    out["due"] = due
    out["line_item_name"] = out.line_item.map(LINE_ITEM_NAMES).fillna(out.line_item)
    return out.sort_values(["level", "at_stake"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def actions_by(open_: pd.DataFrame, key: str, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Count, $ at stake and overdue count of open actions per `key` (level or age)."""
    if not len(open_):
        return pd.DataFrame(columns=[key, "open", "at_stake", "overdue"])
    out = (
        open_.assign(late=open_.overdue.eq("yes"))
        .groupby(key, sort=False)
        .agg(open=("id", "size"), at_stake=("at_stake", "sum"), overdue=("late", "sum"))
    )
    out = out.reindex(order).dropna() if order is not None else out.sort_index(ascending=False)
    return out.reset_index().astype({"open": int, "overdue": int})


@dataclass
class Frontline:
    """Per cost center, every Frontline figure: one wide row per cost center (keyed by the
    label 'code - name' the picker shows), monthly rows, open actions, accuracy lines."""

    snapshot: pd.DataFrame
    monthly: pd.DataFrame
    actions: pd.DataFrame
    accuracy: pd.DataFrame


STAFF_ROWS: tuple[tuple[str, str, str, str], ...] = (
    # key, label, number format, favourability metric
    ("fte", "Paid FTEs", "#,##0.00", "FTE"),
    ("whpuos", "Worked hours per UOS", "#,##0.00", "WHPUOS"),
    ("ot", "Overtime % of worked hours", "0.0%", "OT"),
    ("agency_fte", "Agency FTEs", "#,##0.00", "AGY"),
)


def cc_label(code: str, name: str) -> str:
    return f"{code} - {name}"


def _by_cost_center(frame: pd.DataFrame) -> dict[str, dict[str, object]]:
    """The first row of each cost center, as a dict of its columns."""
    return frame.drop_duplicates("cost_center").set_index("cost_center").to_dict("index")


class _Sums:
    """Cents of plan and actual per cost center and line item, and the core lines within the
    band: what the Frontline snapshot shows for every cost center, grouped once (not filtered
    per cost center, which grows with the square of the system)."""

    def __init__(self, view: pd.DataFrame) -> None:
        sums = view.groupby(["cost_center", "line_item"], sort=False)[["plan", "actual"]].sum()
        self.cents: dict[str, dict[str, dict[str, int]]] = {}
        for (cc, line), plan, actual in zip(sums.index, sums.plan, sums.actual, strict=True):
            self.cents.setdefault(cc, {})[line] = {"plan": int(plan), "actual": int(actual)}
        core = core_items(view)
        counts = core.groupby("cost_center", sort=False).within.agg(["sum", "size"])
        self.core = {cc: (int(w), int(n)) for cc, w, n in zip(counts.index, counts["sum"],
                                                             counts["size"], strict=True)}  # fmt: skip

    def money(self, cc: str, lines: Sequence[str], col: str) -> float:
        got = self.cents.get(cc, {})
        return sum(got[li][col] for li in lines if li in got) / 100

    def margin(self, cc: str, col: str) -> float:
        got = self.cents.get(cc, {})
        rev = sum(v[col] for li, v in got.items() if li == "REV")
        exp = sum(v[col] for li, v in got.items() if li != "REV")
        return (rev - exp) / 100


def frontline(m_view, y_view, staff_m, staff_y, h, ref, actions_open, detail, months) -> Frontline:
    cc = {c.cost_center_code: c for c in ref.organization.cost_centers}
    hier = _by_cost_center(h)
    scopes = (("m", _Sums(m_view), _by_cost_center(staff_m)),
              ("y", _Sums(y_view), _by_cost_center(staff_y)))  # fmt: skip
    rows = []
    for code in h.cost_center:
        info = hier[code]
        r: dict[str, object] = {
            "key": cc_label(code, info["cost_center_name"]), "cost_center": code,
            "cost_center_name": info["cost_center_name"],
            "service_line": info["service_line_name"], "entity": info["entity_name"],
            "unit": cc[code].uos, "manager": cc[code].owner_name,
        }  # fmt: skip
        for scope, sums, staff in scopes:
            s = staff[code]
            plan_uos, act_uos = float(s["planned_uos"]), float(s["actual_uos"])
            r |= {f"UOS|{scope}_plan": plan_uos, f"UOS|{scope}_actual": act_uos,
                  f"UOS|{scope}_var": fav_amount("UOS", act_uos - plan_uos),
                  f"UOS|{scope}_fav": fav_label("UOS", act_uos - plan_uos)}  # fmt: skip
            for key, _, _, metric in STAFF_ROWS:
                p, a = float(s[f"{key}_plan"]), float(s[f"{key}_actual"])
                r |= {f"{key}|{scope}_plan": p, f"{key}|{scope}_actual": a,
                      f"{key}|{scope}_var": fav_amount(metric, a - p),
                      f"{key}|{scope}_fav": fav_label(metric, a - p)}  # fmt: skip
            for key, _, lines, _ in PNL_ROWS:
                if key == "MARGIN":
                    p, a = sums.margin(code, "plan"), sums.margin(code, "actual")
                else:
                    p, a = sums.money(code, lines, "plan"), sums.money(code, lines, "actual")
                metric = "REV" if key == "REV" else "MARGIN" if key == "MARGIN" else "EXP"
                r |= {f"{key}|{scope}_plan": p, f"{key}|{scope}_actual": a,
                      f"{key}|{scope}_var": fav_amount(metric, round(a - p, 2)),
                      f"{key}|{scope}_fav": fav_label(metric, round(a - p, 2))}  # fmt: skip
            within, of = sums.core.get(code, (0, 0))
            r[f"accuracy|{scope}"] = (f"{within} of {of} core lines within {ACCURACY_BAND:.0%} "
                                      "of actual" if of else "no core lines")  # fmt: skip
        rows.append(r)
    snap = pd.DataFrame(rows)
    monthly = _cc_monthly(detail, months, snap)
    acts = _numbered(actions_open, snap, "action", MAX_FRONTLINE_ACTIONS)
    names = dict(CORE_ITEMS)
    acc = core_items(y_view).assign(item_name=lambda f: f.item.map(names))
    acc["plan"], acc["actual"] = acc.plan / 100, acc.actual / 100
    acc["off_pct"] = [(a - p) / abs(a) if a else 0.0 for p, a in zip(acc.plan, acc.actual,
                                                                     strict=True)]  # fmt: skip
    acc["within"] = acc.within.map({True: "yes", False: "no"})
    acc = _numbered(acc, snap, "core", len(CORE_ITEMS))
    return Frontline(snap, monthly, acts, acc)


def _numbered(frame: pd.DataFrame, snap: pd.DataFrame, what: str, top: int) -> pd.DataFrame:
    """Rows numbered within their cost center, keyed 'label|n' for the Frontline lookups."""
    labels = snap.set_index("cost_center").key
    if not len(frame):
        return pd.DataFrame(columns=["lookup", *frame.columns])
    out = frame.copy()
    n = out.groupby("cost_center", sort=False).cumcount() + 1
    out.insert(0, "lookup", out.cost_center.map(labels) + "|" + n.astype(str))
    return out[n <= top].reset_index(drop=True)


def _cc_monthly(detail: pd.DataFrame, months: list[str], snap: pd.DataFrame) -> pd.DataFrame:
    """Per cost center and month: planned and actual UOS, flexible and actual expense."""
    exp = detail[detail.line_item != "REV"]
    keys = ["cost_center", "period"]
    money = exp.groupby(keys, sort=False)[["flex", "actual"]].sum() / 100
    uos = detail.groupby(keys, sort=False)[["planned_uos", "actual_uos"]].first()
    out = uos.join(money).reset_index()
    out = out[out.period.isin(months)]
    labels = snap.set_index("cost_center").key
    out.insert(0, "lookup", out.cost_center.map(labels) + "|" + out.period)
    return out.reset_index(drop=True)


@dataclass
class DashboardData:
    """Everything the three views show, in dollars and shares."""

    system_name: str
    month: str
    months: list[str]  # year to date
    plan_version: str
    lineage: list[str]  # one line per source, shown on every view (file names, no paths)
    refreshed: str
    tiles: list[Tile]
    series: pd.DataFrame  # one row per month of the year to date
    organisation: tuple[pd.DataFrame, pd.DataFrame]  # month, year to date
    largest: pd.DataFrame  # ten largest variances this month
    effects_sl: pd.DataFrame  # YTD split by service line, fav/(unfav)
    effects_system: pd.DataFrame  # YTD split, system
    entity_margin: pd.DataFrame  # YTD margin fav/(unfav) by entity
    actions: pd.DataFrame  # open actions with $ at stake and age
    frontline: Frontline
    thresholds: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS)
    )
    capital: CapitalSummary | None = None  # capital approved against the envelope


def dashboard_data(result, actions: pd.DataFrame, lineage: list[str],
                   thresholds: Mapping[str, tuple[float, float]] | None = None,
                   capital: CapitalSummary | None = None) -> DashboardData:  # fmt: skip
    """The views' numbers from a VarianceResult (steps/variance.py) and the Actions sheet."""
    from .variance_split import staffing_view

    inputs = result.inputs
    ref = inputs.ref
    h = hierarchy(ref)
    m_view = summed(result.detail, [result.month])
    y_view = summed(result.detail, result.months)
    a = inputs.actuals
    org_y = by_organisation(y_view, h)
    open_ = open_actions(actions, result.month)
    return DashboardData(
        system_name=ref.config.system_name,
        month=result.month,
        months=list(result.months),
        plan_version=inputs.sheet,
        lineage=lineage,
        refreshed=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        tiles=month_tiles(result),
        series=monthly_series(
            result.detail, result.months, inputs.basis, a.staffing, a.monthly, staffing_view
        ),
        organisation=(by_organisation(m_view, h), org_y),
        largest=largest_variances(m_view, h),
        effects_sl=effects_by(y_view, h, "service_line_name"),
        effects_system=system_effects(y_view),
        entity_margin=org_y[org_y.level == "entity"][["name", "margin_var"]].reset_index(drop=True),
        actions=open_,
        frontline=frontline(
            m_view,
            y_view,
            result.staffing_month,
            result.staffing_ytd,
            h,
            ref,
            open_,
            result.detail,
            result.months,
        ),
        thresholds=dict(DEFAULT_THRESHOLDS) | dict(thresholds or {}),
        capital=capital,
    )


def tile_table(month: str, tiles_: Sequence[Tile],
               thresholds: Mapping[str, tuple[float, float]]) -> pd.DataFrame:  # fmt: skip
    """The tiles as a table (one row per tile and scope): the Power BI export's dashboard_tiles."""
    thresholds = dict(DEFAULT_THRESHOLDS) | dict(thresholds)
    rows = []
    for t in tiles_:
        amber, red = thresholds[t.key]
        for scope, name in (("m", "month"), ("y", "year to date")):
            plan, actual = (t.m_plan, t.m_actual) if scope == "m" else (t.y_plan, t.y_actual)
            rows.append({"month": month, "tile": t.key, "label": t.label, "scope": name,
                         "plan": plan, "actual": actual, "variance_fav": t.variance(scope),
                         "gap": t.gap(scope), "amber_from": amber, "red_from": red,
                         "status": t.status(thresholds, scope)})  # fmt: skip
    return pd.DataFrame(rows)

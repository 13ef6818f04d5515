"""Locked plan against actuals: the flexible budget and the variance split into its causes.

Method (all money in integer cents, so every split adds up exactly):

- Planned volume of a cost center is the volume its plan was phased with: the accepted
  submission's drivers (Bottom-up Drivers sheet), or the top-down target where none was accepted.
  Planned worked hours, FTEs, overtime and agency come from the same drivers.
- Flexible budget: variable lines (net revenue, salaries of the variable job classes, agency,
  supplies, drugs) = plan x actual UOS / planned UOS of the month; benefits follow the flexed
  salaries (plan benefits x flexed salaries / planned salaries); fixed lines (clerical and
  management salaries, purchased services, other expense) do not flex.
- Variance = actual - plan = volume + efficiency + rate + spending:
  volume = flexible budget - plan;
  labor lines: efficiency = actual worked hours at the planned cost per worked hour - flexible
  budget (worked hours per UOS against plan), rate = the rest (cost per worked hour: wage,
  overtime premium, paid time off, agency rate); no planned hours: all in rate;
  net revenue: rate = actual - flexible (net revenue per UOS);
  benefits, supplies, drugs, purchased services, other: spending = actual - flexible (the GL has
  no quantities, so usage and price cannot be told apart).
- Year to date is the sum of the months, effect by effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.line_items import (
    DEPRECIATION,
    FIXED_JOB_CLASSES,
    HOURS_PER_FTE,
    JOB_CLASSES,
    LABOR_LINES,
    LINE_ITEM_CODES,
    salary_line,
)
from .drivers import Drivers, compute
from .favourability import labels, variance_kinds
from .money import cents_array

EFFECTS: tuple[tuple[str, str], ...] = (
    ("volume", "Volume effect"),
    ("efficiency", "Efficiency effect"),
    ("rate", "Rate effect"),
    ("spending", "Spending effect"),
)
EFFECT_KEYS: tuple[str, ...] = tuple(k for k, _ in EFFECTS)
AMOUNTS: tuple[str, ...] = ("plan", "flex", "actual", *EFFECT_KEYS)
SALARY_LINES: tuple[str, ...] = tuple(salary_line(j) for j in JOB_CLASSES)
FIXED_LINES: frozenset[str] = frozenset(
    {*(salary_line(j) for j in FIXED_JOB_CLASSES), "PUR", "OTH"}
)
HOURLY_LINES: tuple[str, ...] = (*SALARY_LINES, "AGY")  # split into efficiency and rate
BEHAVIOUR: dict[str, str] = {
    **{li: "fixed" if li in FIXED_LINES else "follows salaries" if li == "BEN" else "variable"
       for li in LINE_ITEM_CODES},
    DEPRECIATION.code: "fixed",  # a plan line only (approved capital); it does not flex
}  # fmt: skip
CORE_ITEMS: tuple[tuple[str, str], ...] = (
    ("REV", "Net patient revenue"),
    ("SAL", "Salaries"),
    ("SUP", "Supplies"),
    ("DRG", "Drugs"),
)
ACCURACY_BAND = 0.03  # forecast within 3% of actual (the seeds' success measure)
HOURS_PER_FTE_MONTH = HOURS_PER_FTE / 12


def month_index(period: str) -> int:
    """0 for January."""
    return int(period[-2:]) - 1


def _round_cents(values: np.ndarray) -> np.ndarray:
    """Cent amounts (float) rounded half away from zero to whole cents."""
    return np.rint(cents_array(np.asarray(values, dtype=float) / 100) * 100).astype(np.int64)


def _to_cents(series: pd.Series) -> np.ndarray:
    return np.rint(series.to_numpy(dtype=float) * 100).astype(np.int64)


def planned_hours(d: Drivers) -> dict[str, float]:
    """Annual planned worked hours of each hourly line (salaries by job class, agency)."""
    out = {salary_line(j): d.staff(j).fte * HOURS_PER_FTE * d.productive_ratio for j in JOB_CLASSES}
    out["AGY"] = sum(d.staff(j).agency_fte for j in JOB_CLASSES) * HOURS_PER_FTE
    return out


def actual_hours(staffing: pd.DataFrame) -> pd.DataFrame:
    """cost_center, period, line_item, hours: worked hours behind each hourly line."""
    worked = staffing.assign(
        line_item=staffing["job_class"].map(salary_line),
        hours=staffing["REG_HOURS"] + staffing["OT_HOURS"],
    )[["cost_center", "period", "line_item", "hours"]]
    agency = (
        staffing.groupby(["cost_center", "period"], as_index=False)["AGY_HOURS"]
        .sum()
        .rename(columns={"AGY_HOURS": "hours"})
        .assign(line_item="AGY")
    )
    return pd.concat([worked, agency[worked.columns]], ignore_index=True)


def variance_detail(
    plan: pd.DataFrame,
    basis: Mapping[str, Drivers],
    monthly: pd.DataFrame,
    staffing: pd.DataFrame,
    months: Sequence[str],
) -> pd.DataFrame:
    """One row per cost center, line item and month: plan, flex, actual and the effects (cents),
    planned and actual UOS."""
    months = list(months)
    base = plan[["cost_center", "line_item", "annual"]].copy()
    frames = []
    for period in months:
        frames.append(base.assign(period=period, plan=plan[f"m{month_index(period) + 1:02d}"]))
    d = pd.concat(frames, ignore_index=True)
    d["plan"] = _to_cents(d["plan"])
    d["annual"] = _to_cents(d["annual"])
    vol = pd.DataFrame(
        [
            {"cost_center": cc, "period": p, "planned_uos": drv.volume[month_index(p)]}
            for cc, drv in basis.items()
            for p in months
        ]
    )
    act = monthly[monthly["period"].isin(months)]
    long = act.melt(["cost_center", "period"], list(LINE_ITEM_CODES), "line_item", "actual")
    long["actual"] = _to_cents(long["actual"])
    d = d.merge(vol, on=["cost_center", "period"], how="left")
    d = d.merge(act[["cost_center", "period", "UOS"]].rename(columns={"UOS": "actual_uos"}),
                on=["cost_center", "period"], how="left")  # fmt: skip
    d = d.merge(long, on=["cost_center", "period", "line_item"], how="left")
    d = d.merge(actual_hours(staffing[staffing["period"].isin(months)]),
                on=["cost_center", "period", "line_item"], how="left")  # fmt: skip
    hours = {(cc, li): h for cc, drv in basis.items() for li, h in planned_hours(drv).items()}
    d["planned_hours"] = [hours.get(k, 0.0) for k in zip(d.cost_center, d.line_item, strict=True)]
    d = d.fillna({"planned_uos": 0.0, "actual_uos": 0.0, "actual": 0, "hours": 0.0})
    d["actual"] = d["actual"].astype(np.int64)

    flexes = d.line_item.map(BEHAVIOUR).eq("variable") & d.planned_uos.gt(0)
    ratio = np.where(flexes, d.actual_uos / d.planned_uos.where(flexes, 1.0), 1.0)
    d["flex"] = np.where(flexes, _round_cents(d.plan * ratio), d.plan).astype(np.int64)
    sal = d[d.line_item.isin(SALARY_LINES)].groupby(["cost_center", "period"])[["plan", "flex"]]
    sal = sal.sum().rename(columns={"plan": "sal_plan", "flex": "sal_flex"}).reset_index()
    d = d.merge(sal, on=["cost_center", "period"], how="left").fillna(
        {"sal_plan": 0, "sal_flex": 0}
    )
    ben = d.line_item.eq("BEN") & d.sal_plan.ne(0)
    ben_flex = _round_cents(d.plan * d.sal_flex / d.sal_plan.where(ben, 1))
    d["flex"] = np.where(ben, ben_flex, d.flex).astype(np.int64)

    d["volume"] = d.flex - d.plan
    hourly = d.line_item.isin(HOURLY_LINES) & d.planned_hours.gt(0)
    at_plan_cost = _round_cents(d.annual / d.planned_hours.where(hourly, 1.0) * d.hours)
    d["efficiency"] = np.where(hourly, at_plan_cost - d.flex, 0).astype(np.int64)
    rate_lines = d.line_item.isin([*HOURLY_LINES, "REV"])
    rest = d.actual - d.flex - d.efficiency
    d["rate"] = np.where(rate_lines, rest, 0).astype(np.int64)
    d["spending"] = np.where(rate_lines, 0, rest).astype(np.int64)
    cols = ["cost_center", "line_item", "period", *AMOUNTS, "planned_uos", "actual_uos",
            "planned_hours", "hours"]  # fmt: skip
    return d[cols]


def summed(detail: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """The detail summed over `months` per cost center and line item (cents), plan order kept."""
    part = detail[detail["period"].isin(list(months))]
    keys = ["cost_center", "line_item"]
    out = part.groupby(keys, sort=False)[[*AMOUNTS, "planned_uos", "actual_uos", "hours"]].sum()
    return out.reset_index()


def in_dollars(view: pd.DataFrame) -> pd.DataFrame:
    """A summed view with amounts in dollars, the variance, and actual vs flexible budget."""
    out = view.copy()
    for key in AMOUNTS:
        out[key] = view[key] / 100
    out["variance"] = (view.actual - view.plan) / 100
    out["flex_variance"] = (view.actual - view.flex) / 100
    out["flex_variance_pct"] = np.where(
        view.flex.ne(0),
        (view.actual - view.flex) / view.flex.abs().where(view.flex.ne(0), 1),
        np.nan,
    )
    # judged against the flexible budget, as the column beside it and the triggers are
    out["favourable"] = labels(view.line_item, out.flex_variance)
    out["fav_kind"] = variance_kinds(view.line_item)
    out["fav_pct_kind"] = variance_kinds(view.line_item, "pct")
    out["behaviour"] = view.line_item.map(BEHAVIOUR)
    return out


def core_items(view: pd.DataFrame) -> pd.DataFrame:
    """cost_center, item, plan, actual (cents) for the core line items; salaries are summed."""
    core = view.assign(item=np.where(view.line_item.isin(SALARY_LINES), "SAL", view.line_item))
    core = core[core.item.isin([c for c, _ in CORE_ITEMS])]
    out = core.groupby(["cost_center", "item"], sort=False)[["plan", "actual"]].sum().reset_index()
    out = out[(out.plan != 0) | (out.actual != 0)]
    out["within"] = (out.actual - out.plan).abs() * 100 <= round(
        ACCURACY_BAND * 100
    ) * out.actual.abs()
    return out.reset_index(drop=True)


def accuracy_share(view: pd.DataFrame) -> float:
    """Share of core line items (per cost center) whose plan is within 3% of actual."""
    core = core_items(view)
    return float(core.within.mean()) if len(core) else 0.0


def staffing_view(
    basis: Mapping[str, Drivers],
    staffing: pd.DataFrame,
    monthly: pd.DataFrame,
    months: Sequence[str],
) -> pd.DataFrame:
    """Per cost center over `months`: worked and overtime hours, FTEs, overtime share, agency FTEs
    and worked hours per UOS, actual against plan (FTEs are paid hours / (2,080 / 12) per month;
    planned hours are the year's divided by 12 per month)."""
    months = list(months)
    s = staffing[staffing["period"].isin(months)]
    act = s.groupby("cost_center")[["REG_HOURS", "OT_HOURS", "PTO_HOURS", "AGY_HOURS"]].sum()
    uos = monthly[monthly["period"].isin(months)].groupby("cost_center")["UOS"].sum()
    rows = []
    n = len(months)
    for cc, d in basis.items():
        fig = compute(d)
        worked_plan = sum(d.staff(j).fte * HOURS_PER_FTE * d.productive_ratio for j in JOB_CLASSES)
        ot_plan = sum(
            d.staff(j).fte * HOURS_PER_FTE * d.productive_ratio * d.staff(j).overtime_pct
            for j in JOB_CLASSES
        )
        a = act.loc[cc] if cc in act.index else pd.Series(0.0, index=act.columns)
        worked = a.REG_HOURS + a.OT_HOURS
        u = float(uos.get(cc, 0.0))
        planned_uos = sum(d.volume[month_index(p)] for p in months)
        rows.append({
            "cost_center": cc,
            "planned_uos": planned_uos,
            "actual_uos": u,
            "worked_hours_plan": worked_plan * n / 12,
            "worked_hours_actual": worked,
            "ot_hours_plan": ot_plan * n / 12,
            "ot_hours_actual": a.OT_HOURS,
            "fte_plan": sum(d.staff(j).fte for j in JOB_CLASSES),
            "fte_actual": (worked + a.PTO_HOURS) / (HOURS_PER_FTE_MONTH * n),
            "ot_plan": ot_plan / worked_plan if worked_plan else 0.0,
            "ot_actual": a.OT_HOURS / worked if worked else 0.0,
            "agency_fte_plan": sum(d.staff(j).agency_fte for j in JOB_CLASSES),
            "agency_fte_actual": a.AGY_HOURS / (HOURS_PER_FTE_MONTH * n),
            "whpuos_plan": fig.worked_hours_per_uos,
            "whpuos_actual": (worked + a.AGY_HOURS) / u if u else 0.0,
        })  # fmt: skip
    return pd.DataFrame(rows)


LABOR = frozenset(LABOR_LINES)


@dataclass(frozen=True)
class Indicators:
    """The shared KPIs over a set of months (system level unless filtered), amounts in dollars."""

    revenue: tuple[float, float, float]  # plan, flex, actual
    expense: tuple[float, float, float]
    labor: tuple[float, float, float]
    margin_pct: tuple[float, float, float]
    labor_index: float  # actual labor / flexible labor: labor cost per UOS against plan
    throughput: float  # actual / planned UOS, weighted by planned expense
    at_target: tuple[int, int]  # cost centers at or above their volume target, of all
    accuracy: float

    @classmethod
    def of(cls, view: pd.DataFrame) -> Indicators:
        def triple(mask: pd.Series) -> tuple[float, float, float]:
            part = view[mask]
            return tuple(int(part[k].sum()) / 100 for k in ("plan", "flex", "actual"))  # type: ignore[return-value]

        rev = triple(view.line_item.eq("REV"))
        exp = triple(view.line_item.ne("REV"))
        lab = triple(view.line_item.isin(LABOR))
        margin = tuple((r - e) / r if r else 0.0 for r, e in zip(rev, exp, strict=True))
        per_cc = view.groupby("cost_center", sort=False).agg(
            planned_uos=("planned_uos", "first"), actual_uos=("actual_uos", "first")
        )
        spend = view[view.line_item.ne("REV")].groupby("cost_center", sort=False)["plan"].sum()
        has_volume = per_cc.planned_uos > 0
        ratio = (per_cc.actual_uos / per_cc.planned_uos.where(has_volume, 1))[has_volume]
        w = spend.reindex(ratio.index).fillna(0).astype(float)
        throughput = float((ratio * w).sum() / w.sum()) if w.sum() else 0.0
        return cls(
            revenue=rev,
            expense=exp,
            labor=lab,
            margin_pct=margin,  # type: ignore[arg-type]
            labor_index=lab[2] / lab[1] if lab[1] else 0.0,
            throughput=throughput,
            at_target=(int((ratio >= 1).sum()), int(has_volume.sum())),
            accuracy=accuracy_share(view),
        )

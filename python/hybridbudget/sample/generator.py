"""Write a sample health system's sources folder (docs/data-formats.md) from the catalogue.

The history year is simulated from the archetypes; actuals for later months are simulated with
the same mechanics from parameters read back from a sample folder's history extracts. Every
random draw comes from one `numpy.random.default_rng` stream in a fixed order, and money is
computed in integer cents, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import catalogue as cat

MONTHS = 12
EARN_TYPES = ("REG", "OT", "PTO", "AGY")
CURATED_CAPITAL_ENVELOPE = 18_000_000
CURATED_COST_CENTERS = sum(len(t.units) for t in cat.CURATED_ENTITIES)

_JOB_CLASSES = tuple(row[0] for row in cat.JOB_CLASSES)
_JOB_CLASS_OF = {code: job_class for code, _, job_class in cat.JOB_CODES}
_LINE_ITEM_OF = {account: line for account, _, line in cat.ACCOUNTS}


@dataclass(frozen=True)
class SampleOrganization:
    """The organization tables as written, plus the catalogue keys the simulation needs."""

    entities: pd.DataFrame
    service_lines: pd.DataFrame
    cost_centers: pd.DataFrame  # the CSV columns plus archetype, volume, agency, wage_factor


@dataclass(frozen=True)
class Plan:
    """Simulation parameters: one row per cost center, per (cost center, job code), per account.

    staff: cc (position), job_code, job_class, hpu (worked hours per UOS), fixed (share of hours
    that does not flex), wage_cents, overtime, pto, agency (share of worked hours), premium.
    spend: cc, account, line_item, mode (var: per UOS; fix: annual, spread evenly; rare: annual,
    posted sporadically; ben: share of salaries), value, prob (monthly posting chance for rare).
    """

    codes: np.ndarray
    stat_codes: np.ndarray
    stat_descs: np.ndarray
    annual: np.ndarray  # expected annual volume
    base_annual: np.ndarray  # the volume fixed staffing is sized for
    weights: np.ndarray  # (cost centers, 12): share of the annual volume by month
    staff: pd.DataFrame
    spend: pd.DataFrame
    salary_accounts: dict[str, str]
    agency_account: str


@dataclass(frozen=True)
class Extracts:
    """Simulated extracts for twelve months; money in integer cents, hours in hundredths."""

    ehr: pd.DataFrame
    payroll: pd.DataFrame
    gl: pd.DataFrame


# -- organization ------------------------------------------------------------------------------


def _owner(i: int) -> tuple[str, str]:
    """A fictional manager's name and e-mail, distinct for every index below 6,208."""
    first = cat.FIRST_NAMES[(7 * i) % len(cat.FIRST_NAMES)]
    last = cat.LAST_NAMES[(11 * i + 3) % len(cat.LAST_NAMES)]
    cycle = len(cat.FIRST_NAMES) * len(cat.LAST_NAMES)
    tag = "" if i < cycle else str(i // cycle + 1)
    email = f"{first}.{last}{tag}@{cat.EMAIL_DOMAIN}".lower()
    return f"{first} {last}", email


def _entity_plan(cost_centers: int | None) -> list[tuple[cat.EntityTemplate, str, str, int]]:
    """(template, entity code, entity name, number of units) for each entity."""
    if cost_centers is None:
        return [(t, t.code, t.name, len(t.units)) for t in cat.CURATED_ENTITIES]
    if cost_centers < 1:
        raise ValueError("cost_centers must be at least 1")
    picks: list[tuple[cat.EntityTemplate, str, int]] = []
    left = cost_centers
    counters = {"hospital": 0, "clinic network": 0}
    k = 0
    while left > 0:
        template, label = cat.GENERATED_CYCLE[k % len(cat.GENERATED_CYCLE)]
        counters[template.entity_type] += 1
        take = min(left, len(template.units))
        picks.append((template, label, take))
        left -= take
        k += 1
    width = max(2, len(str(max(counters.values()))))
    numbers = {"hospital": 0, "clinic network": 0}
    out = []
    for template, label, take in picks:
        numbers[template.entity_type] += 1
        n = f"{numbers[template.entity_type]:0{width}d}"
        prefix = "H" if template.entity_type == "hospital" else "N"
        out.append((template, f"{prefix}{n}", label.format(n=n), take))
    return out


def build_organization(cost_centers: int | None, rng: np.random.Generator) -> SampleOrganization:
    """The curated system (None) or a generated one of exactly `cost_centers` cost centers."""
    entities, lines, centers = [], [], []
    plan = _entity_plan(cost_centers)
    scales = np.ones(len(plan)) if cost_centers is None else rng.uniform(0.8, 1.2, len(plan))
    for (template, code, name, take), scale in zip(plan, scales, strict=True):
        beds = round(float(template.beds * scale))
        entities.append((code, name, template.entity_type, beds))
        used: set[int] = set()
        seen_lines: set[str] = set()
        for unit in template.units[:take]:
            number = int(unit.cms_code)
            while number in used:
                number += 1
            used.add(number)
            line_code = f"{code}-{unit.service_line}"
            if line_code not in seen_lines:
                seen_lines.add(line_code)
                lines.append((line_code, cat.SERVICE_LINES[unit.service_line], code))
            arc = cat.ARCHETYPES[unit.archetype]
            owner, email = _owner(len(centers))
            centers.append(
                {
                    "cost_center_code": f"{code}-{number:05d}",
                    "cost_center_name": unit.name,
                    "service_line_code": line_code,
                    "cost_center_type": arc.cost_center_type,
                    "uos": arc.uos,
                    "stat_code": arc.stat_code,
                    "cms_code": unit.cms_code,
                    "owner_name": owner,
                    "owner_email": email,
                    "archetype": unit.archetype,
                    "volume": unit.volume * float(scale),
                    "agency": arc.agency if unit.agency is None else unit.agency,
                    "wage_factor": unit.wage_factor,
                }
            )
    return SampleOrganization(
        entities=pd.DataFrame(
            entities, columns=["entity_code", "entity_name", "entity_type", "beds"]
        ),
        service_lines=pd.DataFrame(
            lines, columns=["service_line_code", "service_line_name", "entity_code"]
        ),
        cost_centers=pd.DataFrame(centers),
    )


# -- history plan from the catalogue -----------------------------------------------------------


def _fixed_share(cost_center_type: pd.Series, job_class: pd.Series) -> np.ndarray:
    share = job_class.map(cat.FIXED_HOURS_SHARE).to_numpy(dtype=float)
    support = (cost_center_type == "support").to_numpy()
    return np.where(support, np.maximum(share, cat.SUPPORT_FIXED_HOURS_SHARE), share)


def _month_weights(season_rows: np.ndarray, year: int) -> np.ndarray:
    days = np.array([calendar.monthrange(year, m)[1] for m in range(1, MONTHS + 1)], dtype=float)
    raw = season_rows * days
    return raw / raw.sum(axis=1, keepdims=True)


def _lognormal(rng: np.random.Generator, sigma: float, size) -> np.ndarray:
    return np.exp(rng.normal(0.0, sigma, size) - sigma * sigma / 2)


def _archetype_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Catalogue archetypes as three tables: one row each, staff rows, spend rows."""
    arcs, staff, spend = [], [], []
    for key, a in cat.ARCHETYPES.items():
        arcs.append(
            (
                key,
                a.season,
                a.revenue_per_uos,
                a.inpatient_share,
                a.outpatient_account,
                a.overtime,
                a.pto,
                a.agency_premium,
            )
        )
        staff += [(key, s.job_code, s.hours_per_uos, s.wage) for s in a.staff]
        spend += [(key, p.account, p.per_uos, p.fixed) for p in a.spend]
    return (
        pd.DataFrame(
            arcs,
            columns=[
                "archetype",
                "season",
                "revenue_per_uos",
                "inpatient_share",
                "outpatient_account",
                "overtime",
                "pto",
                "premium",
            ],
        ),
        pd.DataFrame(staff, columns=["archetype", "job_code", "hpu", "wage"]),
        pd.DataFrame(spend, columns=["archetype", "account", "per_uos", "fixed"]),
    )


def history_plan(org: SampleOrganization, year: int, rng: np.random.Generator) -> Plan:
    """Simulation parameters for the history year, from the catalogue archetypes."""
    arcs, arc_staff, arc_spend = _archetype_tables()
    cc = org.cost_centers.merge(arcs, on="archetype", how="left", validate="many_to_one")
    n = len(cc)
    annual = cc["volume"].to_numpy(dtype=float)
    seasons = np.array([cat.SEASONS[s] for s in cc["season"]], dtype=float)
    cc_wage = cc["wage_factor"].to_numpy() * _lognormal(rng, 0.02, n)
    cc_hours = _lognormal(rng, 0.04, n)
    cc_revenue = _lognormal(rng, 0.03, n)
    cc_spend = _lognormal(rng, 0.05, n)

    cc_pos = pd.DataFrame({"archetype": cc["archetype"], "cc": np.arange(n)})
    staff = cc_pos.merge(arc_staff, on="archetype", how="inner", sort=False)
    staff = staff.sort_values(["cc"], kind="stable").reset_index(drop=True)
    idx = staff["cc"].to_numpy()
    job_class = staff["job_code"].map(_JOB_CLASS_OF)
    wage = staff["wage"].to_numpy() * cc_wage[idx] * _lognormal(rng, 0.015, len(staff))
    staff = pd.DataFrame(
        {
            "cc": idx,
            "job_code": staff["job_code"],
            "job_class": job_class,
            "hpu": staff["hpu"].to_numpy() * cc_hours[idx],
            "fixed": _fixed_share(
                cc["cost_center_type"].iloc[idx].reset_index(drop=True), job_class
            ),
            "wage_cents": np.rint(wage * 100).astype(np.int64),
            "overtime": np.where(
                job_class.isin(cat.NO_OVERTIME_CLASSES), 0.0, cc["overtime"].to_numpy()[idx]
            ),
            "pto": cc["pto"].to_numpy()[idx],
            "agency": np.where(job_class == "RN", cc["agency"].to_numpy()[idx], 0.0),
            "premium": cc["premium"].to_numpy()[idx],
        }
    )

    spend = cc_pos.merge(arc_spend, on="archetype", how="inner", sort=False)
    spend = spend.sort_values(["cc"], kind="stable").reset_index(drop=True)
    sidx = spend["cc"].to_numpy()
    fixed = spend["fixed"].to_numpy(dtype=bool)
    per_uos = spend["per_uos"].to_numpy() * cc_spend[sidx]
    frames = [
        pd.DataFrame(
            {
                "cc": sidx,
                "account": spend["account"],
                "mode": np.where(fixed, "fix", "var"),
                "value": np.where(fixed, per_uos * annual[sidx], per_uos),
                "prob": 1.0,
            }
        )
    ]
    revenue = cc["revenue_per_uos"].to_numpy() * cc_revenue
    ip = cc["inpatient_share"].to_numpy()
    has_rev = revenue > 0
    for account, share in (
        (pd.Series(cat.INPATIENT_REVENUE_ACCOUNT, index=cc.index), ip),
        (cc["outpatient_account"], 1.0 - ip),
    ):
        keep = has_rev & (share > 0)
        frames.append(
            pd.DataFrame(
                {
                    "cc": np.flatnonzero(keep),
                    "account": account[keep].to_numpy(),
                    "mode": "var",
                    "value": (revenue * share)[keep],
                    "prob": 1.0,
                }
            )
        )
    for account, share in cat.BENEFITS:
        frames.append(
            pd.DataFrame(
                {
                    "cc": np.arange(n),
                    "account": account,
                    "mode": "ben",
                    "value": share * _lognormal(rng, 0.03, n),
                    "prob": 1.0,
                }
            )
        )
    for account, amount, uses, prob in cat.RARE_ACCOUNTS:
        used = rng.random(n) < uses
        frames.append(
            pd.DataFrame(
                {
                    "cc": np.flatnonzero(used),
                    "account": account,
                    "mode": "rare",
                    "value": amount * _lognormal(rng, 0.5, int(used.sum())),
                    "prob": prob,
                }
            )
        )
    spend = pd.concat(frames, ignore_index=True)
    spend["line_item"] = spend["account"].map(_LINE_ITEM_OF)
    spend = spend.sort_values(["cc", "account"], kind="stable").reset_index(drop=True)

    return Plan(
        codes=cc["cost_center_code"].to_numpy(dtype=object),
        stat_codes=cc["stat_code"].to_numpy(dtype=object),
        stat_descs=cc["uos"].str.capitalize().to_numpy(dtype=object),
        annual=annual,
        base_annual=annual,
        weights=_month_weights(seasons, year),
        staff=staff,
        spend=spend[["cc", "account", "line_item", "mode", "value", "prob"]],
        salary_accounts=dict(cat.SALARY_ACCOUNTS),
        agency_account=cat.AGENCY_ACCOUNT,
    )


# -- simulation --------------------------------------------------------------------------------


def _round_half_up(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """Integer division rounded half up (all operands non-negative)."""
    return (numerator + denominator // 2) // denominator


def simulate(plan: Plan, noise: dict[str, float], rng: np.random.Generator) -> Extracts:
    """Twelve months of EHR volumes, payroll and GL from a plan."""
    n = len(plan.codes)
    expected = plan.annual[:, None] * plan.weights
    volume = np.maximum(1, np.rint(expected * _lognormal(rng, noise["volume"], (n, MONTHS))))
    volume = volume.astype(np.int64)
    fixed_base = plan.base_annual[:, None] * plan.weights

    # payroll
    st = plan.staff
    idx = st["cc"].to_numpy()
    s = len(st)

    def col(name: str) -> np.ndarray:
        return st[name].to_numpy(dtype=float)[:, None]

    vol = volume[idx].astype(float)
    load = vol / np.maximum(expected[idx], 1e-9)
    worked = col("hpu") * (col("fixed") * fixed_base[idx] + (1 - col("fixed")) * vol)
    worked *= _lognormal(rng, noise["hours"], (s, MONTHS))
    agency_share = np.minimum(col("agency") * _lognormal(rng, 0.25, (s, MONTHS)), 0.4)
    agy = worked * agency_share
    employed = worked - agy
    ot_share = col("overtime") * (1 + 2.5 * (load - 1)) * _lognormal(rng, 0.15, (s, MONTHS))
    ot_share = np.clip(ot_share, 0.2 * col("overtime"), np.minimum(3 * col("overtime"), 0.15))
    ot = employed * ot_share
    reg = employed - ot
    pto_share = col("pto") * np.asarray(cat.PTO_SEASON)[None, :]
    pto_share = np.clip(pto_share * _lognormal(rng, 0.08, (s, MONTHS)), 0.0, 0.25)
    pto = employed * pto_share / (1 - pto_share)

    hours = np.stack([reg, ot, pto, agy], axis=2)  # (s, 12, 4)
    centi = np.rint(hours * 100).astype(np.int64)
    wage = st["wage_cents"].to_numpy(dtype=np.int64)[:, None]
    agency_rate = np.rint(wage * st["premium"].to_numpy()[:, None]).astype(np.int64)
    amounts = np.stack(
        [
            _round_half_up(centi[:, :, 0] * wage, 100),
            _round_half_up(centi[:, :, 1] * wage * 3, 200),  # time and a half
            _round_half_up(centi[:, :, 2] * wage, 100),
            _round_half_up(centi[:, :, 3] * agency_rate, 100),
        ],
        axis=2,
    )
    keep = centi > 0
    row, month, earn = np.nonzero(keep)
    payroll = pd.DataFrame(
        {
            "cc": idx[row],
            "month": month,
            "job_code": st["job_code"].to_numpy()[row],
            "job_class": st["job_class"].to_numpy()[row],
            "earn": earn,
            "hours": centi[keep],
            "amount": amounts[keep],
        }
    )

    # GL: salaries and agency straight from payroll, to the cent
    salaries = amounts[:, :, :3].sum(axis=2)  # (s, 12)
    class_codes, class_idx = np.unique(st["job_class"].to_numpy(dtype=str), return_inverse=True)
    group = idx * len(class_codes) + class_idx
    ids, gpos = np.unique(group, return_inverse=True)
    by_class = np.zeros((len(ids), MONTHS), dtype=np.int64)
    np.add.at(by_class, gpos, salaries)
    salary_total = np.zeros((n, MONTHS), dtype=np.int64)
    np.add.at(salary_total, idx, salaries)
    agency_total = np.zeros((n, MONTHS), dtype=np.int64)
    np.add.at(agency_total, idx, amounts[:, :, 3])
    class_accounts = np.array([plan.salary_accounts[c] for c in class_codes], dtype=object)
    gl_parts = [
        (ids // len(class_codes), class_accounts[ids % len(class_codes)], by_class),
        (np.arange(n), np.full(n, plan.agency_account, dtype=object), agency_total),
    ]

    sp = plan.spend
    sidx = sp["cc"].to_numpy()
    mode = sp["mode"].to_numpy()
    value = sp["value"].to_numpy(dtype=float)[:, None]
    k = len(sp)
    dollars = np.zeros((k, MONTHS))
    var = mode == "var"
    rev = (sp["line_item"] == "REV").to_numpy()
    sigma = np.where(rev, noise["rate"], noise["spend"])[:, None]
    jitter = np.exp(rng.normal(0.0, 1.0, (k, MONTHS)) * sigma - sigma * sigma / 2)
    dollars = np.where(var[:, None], value * volume[sidx] * jitter, dollars)
    fix = (mode == "fix")[:, None]
    dollars = np.where(fix, value / MONTHS * (1 + (jitter - 1) / 3), dollars)
    ben = (mode == "ben")[:, None]
    dollars = np.where(ben, value * salary_total[sidx] / 100 * (1 + (jitter - 1) / 4), dollars)
    prob = sp["prob"].to_numpy(dtype=float)[:, None]
    posted = rng.random((k, MONTHS)) < prob
    lumpy = value / (MONTHS * prob) * _lognormal(rng, 0.5, (k, MONTHS))
    dollars = np.where((mode == "rare")[:, None], np.where(posted, lumpy, 0.0), dollars)
    spend_cents = np.rint(dollars * 100).astype(np.int64)
    spend_cents = np.where(rev[:, None], -spend_cents, spend_cents)  # revenue is a credit
    gl_parts.append((sidx, sp["account"].to_numpy(dtype=object), spend_cents))

    gl_frames = []
    for cc_idx, accounts, cents in gl_parts:
        r, m = np.nonzero(cents != 0)
        gl_frames.append(
            pd.DataFrame(
                {"cc": cc_idx[r], "month": m, "account": accounts[r], "amount": cents[r, m]}
            )
        )
    gl = pd.concat(gl_frames, ignore_index=True)

    r, m = np.indices((n, MONTHS)).reshape(2, -1)
    ehr = pd.DataFrame({"cc": r, "month": m, "volume": volume[r, m]})
    return Extracts(ehr=ehr, payroll=payroll, gl=gl)


# -- writing -----------------------------------------------------------------------------------


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", float_format="%.2f")


def _period(year: int, month: np.ndarray) -> np.ndarray:
    labels = np.array([f"{year}-{m:02d}" for m in range(1, MONTHS + 1)], dtype=object)
    return labels[month]


def _extract_frames(plan: Plan, ex: Extracts, year: int) -> dict[str, pd.DataFrame]:
    """The three extracts in the documented layout, sorted by period and cost center."""
    ehr = ex.ehr.sort_values(["month", "cc"], kind="stable")
    vol_frame = pd.DataFrame(
        {
            "DEPT_ID": plan.codes[ehr["cc"].to_numpy()],
            "PERIOD": _period(year, ehr["month"].to_numpy()),
            "STAT_CODE": plan.stat_codes[ehr["cc"].to_numpy()],
            "STAT_DESC": plan.stat_descs[ehr["cc"].to_numpy()],
            "VOLUME": ehr["volume"].to_numpy(),
            "_m": ehr["month"].to_numpy(),
        }
    )
    pay = ex.payroll.sort_values(["month", "cc", "job_code", "earn"], kind="stable")
    pay_frame = pd.DataFrame(
        {
            "PERIOD": _period(year, pay["month"].to_numpy()),
            "COST_CENTER": plan.codes[pay["cc"].to_numpy()],
            "JOB_CODE": pay["job_code"].to_numpy(),
            "EARN_TYPE": np.array(EARN_TYPES, dtype=object)[pay["earn"].to_numpy()],
            "HOURS": pay["hours"].to_numpy() / 100,
            "AMOUNT": pay["amount"].to_numpy() / 100,
            "_m": pay["month"].to_numpy(),
        }
    )
    gl = ex.gl.sort_values(["month", "cc", "account"], kind="stable")
    gl_frame = pd.DataFrame(
        {
            "PERIOD": _period(year, gl["month"].to_numpy()),
            "COST_CENTER": plan.codes[gl["cc"].to_numpy()],
            "ACCOUNT": gl["account"].to_numpy(),
            "AMOUNT": gl["amount"].to_numpy() / 100,
            "_m": gl["month"].to_numpy(),
        }
    )
    return {"ehr_volumes": vol_frame, "payroll": pay_frame, "gl_actuals": gl_frame}


def _system_toml(name: str, capital: int) -> str:
    return f'''[system]
name = "{name}"
fiscal_year = {cat.FISCAL_YEAR}            # the budget year; history is fiscal_year - 1

[guardrails]
inpatient_admissions_growth = 0.025   # strategic driver 1: volume growth of inpatient cost centers
outpatient_utilization_growth = 0.04  # strategic driver 2: volume growth of outpatient cost centers
labor_intensity_change = -0.02        # strategic driver 3: change in worked hours per UOS
net_revenue_rate_change = 0.03        # change in net revenue per UOS
operating_margin_target = 0.03        # system operating margin, share of net revenue
capital_envelope = {capital:.2f}
divergence_tolerance_pct = 0.05
divergence_tolerance_amount = 50000.00
wage_rate_tolerance_pct = 0.20        # validation: budget wage vs payroll history

[inflation]                           # by expense category
wages = 0.035
benefits = 0.06
supplies = 0.04
drugs = 0.07
purchased_services = 0.03
other = 0.025

[[escalation]]                        # the Decision Guide, lowest level first
level = 1
role = "Service line director"
pct = 0.05
amount = 50000.00
decides = "Accepts or adjusts a cost center's submission within the service line's targets."

[[escalation]]
level = 2
role = "VP Finance"
pct = 0.10
amount = 250000.00
decides = "Approves gaps beyond a service line's authority; rebalances targets within the entity."

[[escalation]]
level = 3
role = "CFO"
pct = 0.20
amount = 1000000.00
decides = "Approves material gaps and guardrail changes; reports them to the finance committee."

[decision_guide]
combine = "either"   # a level is reached by its $ or its % threshold ("both": only by both)

[templates]
password = "hb-{cat.FISCAL_YEAR}"       # sheet protection password (a convenience, not security)
due_date = {cat.FISCAL_YEAR - 1}-12-15
version = 1                # template version within the cycle; a reissue increments it
finance_contact = "Budget office, budget.office@riverbendhealth.org"  # where managers return templates
'''


def _reference_tables() -> dict[str, pd.DataFrame]:
    classes = pd.DataFrame(
        [
            (c, name, f"{lo:.2f}", f"{hi:.2f}", f"{wmin:.2f}", f"{wmax:.2f}")
            for c, name, lo, hi, wmin, wmax in cat.JOB_CLASSES
        ],
        columns=[
            "job_class",
            "job_class_name",
            "fte_band_low",
            "fte_band_high",
            "wage_min",
            "wage_max",
        ],
    )
    codes = pd.DataFrame(list(cat.JOB_CODES), columns=["job_code", "job_title", "job_class"])
    accounts = pd.DataFrame(list(cat.ACCOUNTS), columns=["account", "account_name", "line_item"])
    return {
        "staffing/job_classes.csv": classes,
        "staffing/job_codes.csv": codes,
        "finance/account_map.csv": accounts,
    }


ORG_COLUMNS = [
    "cost_center_code",
    "cost_center_name",
    "service_line_code",
    "cost_center_type",
    "uos",
    "stat_code",
    "cms_code",
    "owner_name",
    "owner_email",
]


def write_sample(
    out_dir: Path,
    cost_centers: int | None = None,
    seed: int = 2027,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write a sample system's sources folder; returns row counts by table and extract.

    cost_centers=None writes the curated Riverbend Health System; an integer N writes a
    generated system of exactly N cost centers, repeating the catalogue's entity templates.
    """
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    history_year = cat.FISCAL_YEAR - 1

    say("building the organization")
    org = build_organization(cost_centers, rng)
    n = len(org.cost_centers)
    if cost_centers is None:
        name, capital = cat.SYSTEM_NAME, CURATED_CAPITAL_ENVELOPE
    else:
        name = f"Sample Health System ({n} cost centers)"
        capital = max(1, round(CURATED_CAPITAL_ENVELOPE * n / CURATED_COST_CENTERS / 100_000))
        capital *= 100_000

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "system.toml").write_text(_system_toml(name, capital), encoding="utf-8")
    _write_csv(org.entities, out_dir / "organization/entities.csv")
    _write_csv(org.service_lines, out_dir / "organization/service_lines.csv")
    _write_csv(org.cost_centers[ORG_COLUMNS], out_dir / "organization/cost_centers.csv")
    for rel, frame in _reference_tables().items():
        _write_csv(frame, out_dir / rel)

    say(f"simulating {history_year} for {n} cost centers")
    plan = history_plan(org, history_year, rng)
    extracts = simulate(plan, cat.NOISE_HISTORY, rng)
    counts = {
        "entities": len(org.entities),
        "service_lines": len(org.service_lines),
        "cost_centers": n,
    }
    for stem, frame in _extract_frames(plan, extracts, history_year).items():
        say(f"writing {stem}_{history_year}.csv ({len(frame)} rows)")
        _write_csv(frame.drop(columns="_m"), out_dir / f"extracts/{stem}_{history_year}.csv")
        counts[stem] = len(frame)
    return counts


# -- actuals -----------------------------------------------------------------------------------


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def actuals_plan(sample_dir: Path, year: int, drift: float) -> Plan:
    """Simulation parameters for `year`, read back from a sample folder and its history."""
    sample_dir = Path(sample_dir)
    config = tomllib.loads((sample_dir / "system.toml").read_text(encoding="utf-8"))
    hist_year = int(config["system"]["fiscal_year"]) - 1
    years = year - hist_year
    centers = _read(sample_dir / "organization/cost_centers.csv")
    job_codes_table = _read(sample_dir / "staffing/job_codes.csv")
    class_of = dict(zip(job_codes_table["job_code"], job_codes_table["job_class"], strict=True))
    amap = _read(sample_dir / "finance/account_map.csv")
    line_of = dict(zip(amap["account"], amap["line_item"], strict=True))
    first_account = amap.drop_duplicates("line_item").set_index("line_item")["account"]

    ehr = _read(sample_dir / f"extracts/ehr_volumes_{hist_year}.csv")
    pay = _read(sample_dir / f"extracts/payroll_{hist_year}.csv")
    gl = _read(sample_dir / f"extracts/gl_actuals_{hist_year}.csv")

    codes = centers["cost_center_code"].to_numpy(dtype=object)
    pos = pd.Series(np.arange(len(codes)), index=codes)
    stat_of = dict(zip(centers["cost_center_code"], centers["stat_code"], strict=True))
    ehr = ehr[ehr["DEPT_ID"].map(stat_of) == ehr["STAT_CODE"]]
    month = ehr["PERIOD"].str[-2:].astype(int) - 1
    hist = np.zeros((len(codes), MONTHS))
    np.add.at(
        hist,
        (pos[ehr["DEPT_ID"]].to_numpy(), month.to_numpy()),
        ehr["VOLUME"].astype(float).to_numpy(),
    )
    hist_annual = hist.sum(axis=1)
    keep = hist_annual > 0
    old_pos = np.flatnonzero(keep)
    new_pos = pd.Series(np.arange(len(old_pos)), index=codes[keep])
    growth = centers["cost_center_type"].map(cat.ACTUALS_VOLUME_GROWTH).fillna(0.02).to_numpy()
    annual = hist_annual * (1 + growth) ** years * (1 + drift)

    price = {k: (1 + v) ** years for k, v in cat.ACTUALS_PRICE_CHANGE.items()}

    pay = pay[pay["COST_CENTER"].isin(new_pos.index) & pay["JOB_CODE"].isin(class_of)]
    pay = pay.assign(h=pay["HOURS"].astype(float), a=pay["AMOUNT"].astype(float))
    sums = pay.pivot_table(
        index=["COST_CENTER", "JOB_CODE"],
        columns="EARN_TYPE",
        values=["h", "a"],
        aggfunc="sum",
        fill_value=0.0,
    )

    def get(kind: str, earn: str) -> np.ndarray:
        if (kind, earn) in sums.columns:
            return sums[(kind, earn)].to_numpy()
        return np.zeros(len(sums))

    reg_h, ot_h, pto_h, agy_h = (get("h", e) for e in EARN_TYPES)
    reg_a, _, pto_a, agy_a = (get("a", e) for e in EARN_TYPES)
    cc_codes = sums.index.get_level_values(0)
    job_codes = sums.index.get_level_values(1)
    cc_idx = new_pos[cc_codes].to_numpy()
    worked = reg_h + ot_h + agy_h
    with np.errstate(divide="ignore", invalid="ignore"):
        wage = np.where(reg_h > 0, reg_a / reg_h, np.where(pto_h > 0, pto_a / pto_h, 0.0))
        premium = np.where((agy_h > 0) & (wage > 0), agy_a / agy_h / wage, 1.85)
        staff = pd.DataFrame(
            {
                "cc": cc_idx,
                "job_code": np.asarray(job_codes, dtype=object),
                "job_class": pd.Series(job_codes).map(class_of).to_numpy(dtype=object),
                "hpu": worked / hist_annual[keep][cc_idx],
                "fixed": 0.0,
                "wage_cents": np.rint(wage * price["WAGE"] * 100).astype(np.int64),
                "overtime": np.nan_to_num(ot_h / (reg_h + ot_h)),
                "pto": np.nan_to_num(pto_h / (reg_h + ot_h + pto_h)),
                "agency": np.nan_to_num(agy_h / worked),
                "premium": premium,
            }
        )
    cc_type = centers["cost_center_type"].to_numpy()[old_pos][staff["cc"].to_numpy()]
    staff["fixed"] = _fixed_share(pd.Series(cc_type), staff["job_class"])
    staff = staff[staff["wage_cents"] > 0].sort_values(["cc", "job_code"], kind="stable")

    payroll_lines = {f"SAL_{c}" for c in _JOB_CLASSES} | {"AGY"}
    gl = gl[gl["COST_CENTER"].isin(new_pos.index) & gl["ACCOUNT"].isin(line_of)]
    gl = gl.assign(line=gl["ACCOUNT"].map(line_of), amount=gl["AMOUNT"].astype(float))
    salary_dollars = (
        (pay[pay["EARN_TYPE"] != "AGY"].groupby("COST_CENTER")["a"].sum().reindex(new_pos.index))
        .fillna(0.0)
        .to_numpy()
    )
    gl = gl[~gl["line"].isin(payroll_lines)]
    acct = (
        gl.groupby(["COST_CENTER", "ACCOUNT"], sort=True)
        .agg(total=("amount", "sum"), months=("PERIOD", "nunique"), line=("line", "first"))
        .reset_index()
    )
    a_cc = new_pos[acct["COST_CENTER"]].to_numpy()
    line = acct["line"].to_numpy()
    total = acct["total"].abs().to_numpy()
    months = acct["months"].to_numpy()
    factor = np.array([price.get(li, price["OTH"]) for li in line])
    variable = np.isin(line, ["REV", "SUP", "DRG"])
    benefit = line == "BEN"
    steady = ~variable & ~benefit & (months >= 10)
    mode = np.select([variable, benefit, steady], ["var", "ben", "fix"], "rare")
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.select(
            [variable, benefit],
            [
                total / hist_annual[keep][a_cc] * factor,
                np.nan_to_num(total / salary_dollars[a_cc]) * price["BEN"] / price["WAGE"],
            ],
            total * factor,
        )
    spend = pd.DataFrame(
        {
            "cc": a_cc,
            "account": acct["ACCOUNT"].to_numpy(),
            "line_item": line,
            "mode": mode,
            "value": value,
            "prob": np.where(mode == "rare", months / MONTHS, 1.0),
        }
    ).sort_values(["cc", "account"], kind="stable")

    weights = hist[keep] / hist_annual[keep][:, None]
    return Plan(
        codes=codes[keep],
        stat_codes=centers["stat_code"].to_numpy(dtype=object)[keep],
        stat_descs=centers["uos"].str.capitalize().to_numpy(dtype=object)[keep],
        annual=annual[keep],
        base_annual=hist_annual[keep],
        weights=weights,
        staff=staff.reset_index(drop=True),
        spend=spend.reset_index(drop=True),
        salary_accounts={c: first_account[f"SAL_{c}"] for c in _JOB_CLASSES},
        agency_account=first_account["AGY"],
    )


def write_actuals(
    sample_dir: Path,
    year: int,
    months: list[int],
    out_dir: Path,
    seed: int = 2027,
    drift: float = 0.0,
) -> list[Path]:
    """Write monthly actuals extracts (EHR volumes, payroll, GL) for `year` and `months`.

    The organization and the cost centers' rates come from `sample_dir` (its CSVs and history
    extracts); volumes grow from the history, shifted by `drift` (0.05 = 5% more volume).
    Each month's files are the same whatever other months are asked for.
    """
    wanted = sorted(set(months))
    if not wanted or wanted[0] < 1 or wanted[-1] > MONTHS:
        raise ValueError("months must be calendar months 1..12")
    plan = actuals_plan(Path(sample_dir), year, drift)
    rng = np.random.default_rng([seed, year])
    frames = _extract_frames(plan, simulate(plan, cat.NOISE_ACTUALS, rng), year)
    out_dir = Path(out_dir)
    written: list[Path] = []
    for m in wanted:
        for stem, frame in frames.items():
            path = out_dir / f"{stem}_{year}-{m:02d}.csv"
            _write_csv(frame[frame["_m"] == m - 1].drop(columns="_m"), path)
            written.append(path)
    return written

"""The manager simulator: fill generated templates the way managers would (demos and tests).

Every input is written by contract name (templates.contract), never by cell address. Values stay
inside the template's own data validation, the job class staffing band and the wage tolerance, and
a rationale is written wherever the engine's tolerance rule requires one, so a clean submission
passes validation. A cost center's draws come from its own random stream (seed, cost center code,
draft), so its fill does not depend on which other cost centers are filled.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import HybridBudgetError
from ..model.guardrails import Guardrails
from ..model.line_items import FIXED_JOB_CLASSES, JOB_CLASSES, MONTHS
from ..model.reference import Reference
from ..progress import Progress, silent
from ..templates.contract import BUDGET_SHEET, INPUT_NAMES, META_SHEET, NAME_BY_ID, PRIORITIES
from ..templates.values import expected_outputs, number, read_meta, read_template_values
from ..workbook import libreoffice
from ..workbook.fileio import atomic_save

SECTIONS: tuple[str, ...] = ("volume", "staffing", "nonlabor")
DEFAULT_BAND = (0.90, 1.10)  # the tightest band of the default job classes (management)
BAND_MARGIN = 0.01  # stay this far inside a band, so rounding never crosses it
WAGE_MARGIN = 0.02  # and this far inside the wage tolerance
CAPITAL_SHARE = 1 / 3  # share of cost centers that ask for capital
CAPITAL_NAMES = (
    "hb_capital_item",
    "hb_capital_amount",
    "hb_capital_priority",
    "hb_capital_justification",
    "hb_capital_category",
    "hb_capital_life",
    "hb_capital_in_service",
)
OPTIONAL_RATIONALE = 0.12  # chance of a rationale where none is required

# item -> its capital category (the default Guardrails list) and useful life in months; taken
# without drawing from the random stream, so the rest of a seeded fill stays as it was
CAPITAL_KIND: dict[str, tuple[str, int]] = {
    "Vital signs monitors (12)": ("Replacement", 84),
    "Infusion pumps (20)": ("Patient safety", 84),
    "Ceiling patient lifts (4 rooms)": ("Patient safety", 120),
    "Portable ultrasound unit": ("Strategic growth", 60),
    "Workstations on wheels (8)": ("IT", 48),
    "Automated dispensing cabinet": ("Regulatory", 96),
    "Telemetry monitoring upgrade": ("Strategic growth", 120),
    "Exam room refurbishment (3 rooms)": ("Regulatory", 180),
    "Blanket and fluid warmer": ("Patient safety", 60),
    "Nurse call system replacement": ("Patient safety", 144),
}


def capital_kind(item: str, given: Mapping[str, list], k: int) -> tuple[str, int, str | None]:
    """The category (from the template's own list), life and in-service month of a request."""
    offered = [str(c) for c in given.get("hb_capital_categories") or () if c]
    category, life = CAPITAL_KIND.get(item, ("", 60))
    if category not in offered and offered:
        category = offered[k % len(offered)]
    month = None if k % 3 == 0 else MONTHS[(5 * k) % 12]  # a third left blank: the default
    return category, life, month


# item, lowest and highest amount $, justification
CAPITAL_CATALOGUE: tuple[tuple[str, int, int, str], ...] = (
    ("Vital signs monitors (12)", 48_000, 90_000, "Current monitors are past end of support; "
     "the vendor no longer stocks parts and two failed in the last quarter."),
    ("Infusion pumps (20)", 60_000, 140_000, "Standardize on the smart-pump library the "
     "pharmacy maintains; removes two legacy models and their dosing errors."),
    ("Ceiling patient lifts (4 rooms)", 40_000, 95_000, "Staff injury claims from manual "
     "transfers; lifts are required by the safe patient handling policy."),
    ("Portable ultrasound unit", 35_000, 80_000, "Bedside line placement and bladder scans "
     "now wait for a shared unit; cuts delays and catheter use."),
    ("Workstations on wheels (8)", 24_000, 48_000, "Bedside documentation and barcode "
     "medication administration need one workstation per nurse on shift."),
    ("Automated dispensing cabinet", 55_000, 120_000, "Reduces trips to pharmacy and "
     "controlled-substance discrepancies; required for the new unit layout."),
    ("Telemetry monitoring upgrade", 150_000, 420_000, "Central station is unsupported after "
     "next year; the upgrade adds 8 monitored beds for the growth in volume."),
    ("Exam room refurbishment (3 rooms)", 75_000, 210_000, "Worn casework and flooring fail "
     "infection-control rounds; refurbishment keeps the rooms in service."),
    ("Blanket and fluid warmer", 8_000, 18_000, "Hypothermia prevention protocol; the current "
     "warmer is shared with the neighbouring unit."),
    ("Nurse call system replacement", 180_000, 480_000, "Parts for the installed nurse call "
     "system are no longer made; failures put patient safety at risk."),
)  # fmt: skip

REASONS: dict[tuple[str, int], tuple[str, ...]] = {
    ("volume", 1): (
        "a new surgeon group starts operating here in {month}",
        "referrals grow from the primary care clinic that opened this year",
        "the competing unit across town closes in {month} and its patients come to us",
        "the backlog of deferred procedures is worked down in the first half",
    ),
    ("volume", -1): (
        "two rooms close for renovation from {month} for about ten weeks",
        "a physician retires in {month} and the replacement starts later",
        "low-acuity cases move to the new outpatient clinic",
        "payers now require prior authorization for part of our elective cases",
    ),
    ("staffing", 1): (
        "we add RN positions to meet the staffing ratio for the higher acuity",
        "agency contracts run until the new graduates finish orientation",
        "the market adjustment for nurses in {month} lifts the wage rate",
        "longer hours of operation need an extra shift of technicians",
    ),
    ("staffing", -1): (
        "open positions are held vacant and covered by the float pool",
        "agency use falls as the travel contracts end in {month}",
        "overtime falls after the new self-scheduling system went live",
        "two retirements are not replaced; duties are shared across the team",
    ),
    ("nonlabor", 1): (
        "implant and supply prices rise under the new purchasing group contract",
        "the service contract on the imaging equipment renews at a higher rate",
        "the drug mix shifts to higher-cost biologics",
        "new procedure kits are needed for the service we start in {month}",
    ),
    ("nonlabor", -1): (
        "supply standardization on custom packs saves about a tenth of the spend",
        "the maintenance contract was renegotiated for three years",
        "a biosimilar replaces the branded drug from {month}",
        "courier and linen services move to the system-wide contract",
    ),
}
OPTIONAL_NOTES: dict[str, tuple[str, ...]] = {
    "volume": (
        "Seasonality follows last year's actuals; the winter peak is kept.",
        "Close to target; the forecast was checked with the medical director.",
    ),
    "staffing": (
        "Staffing kept close to target; vacancies are filled through the float pool.",
        "Skill mix unchanged; overtime follows last year.",
    ),
    "nonlabor": (
        "Supply costs per unit follow last year plus the contract price changes.",
        "No new service contracts planned.",
    ),
}
SECTION_TITLE = {"staffing": "Labor cost", "nonlabor": "Non-labor cost"}
SECTION_FIGURE = {
    "volume": ("hb_out_revenue", "hb_target_revenue"),
    "staffing": ("hb_out_labor", "hb_target_labor"),
    "nonlabor": ("hb_out_nonlabor", "hb_target_nonlabor"),
}


@dataclass(frozen=True)
class Limits:
    """What a clean submission must respect beyond the sheet's validation (control workbook)."""

    bands: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # share of target FTEs
    wages: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # $/hour sanity bounds
    wage_tolerance: float = Guardrails.model_fields["wage_rate_tolerance_pct"].default

    def band(self, job_class: str) -> tuple[float, float]:
        return self.bands.get(job_class, DEFAULT_BAND)


def limits_from_reference(ref: Reference) -> Limits:
    """Staffing bands, wage bounds and wage tolerance of a control workbook's reference data."""
    return Limits(
        bands={c.job_class: (c.fte_band_low, c.fte_band_high) for c in ref.job_classes},
        wages={c.job_class: (c.wage_min, c.wage_max) for c in ref.job_classes},
        wage_tolerance=ref.config.guardrails.wage_rate_tolerance_pct,
    )


def load_limits(control: Path | None) -> Limits:
    """The limits of a control workbook; without one, the defaults (Limits())."""
    if control is None:
        return Limits()
    from ..control.load import load_control

    return limits_from_reference(load_control(control)[0])


def stream(seed: int, cost_center: str, draft: int = 0) -> np.random.Generator:
    """The random stream of one cost center's fill (draft > 0: an earlier version of it)."""
    return np.random.default_rng([seed, zlib.crc32(cost_center.encode("utf-8")), draft])


# -- reading and writing by contract name ---------------------------------------------------------


def name_cells(wb: Workbook, name: str) -> list[Cell]:
    """The cells of a contract name, row-major (templates define every name on the Budget sheet)."""
    out: list[Cell] = []
    for sheet, ref in wb.defined_names[name].destinations:
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        for row in wb[sheet].iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col
        ):
            out.extend(row)
    return out


def write_name(wb: Workbook, name: str, values: Sequence[object]) -> None:
    """Write values into a contract name's cells, row-major; None clears a cell."""
    cells = name_cells(wb, name)
    if len(values) != len(cells):
        raise ValueError(f"{name}: {len(values)} values for {len(cells)} cells")
    for cell, value in zip(cells, values, strict=True):
        cell.value = value


def validations(ws: Worksheet) -> dict[str, DataValidation]:
    """Cell coordinate -> the data validation that covers it."""
    out: dict[str, DataValidation] = {}
    for dv in ws.data_validations.dataValidation:
        for cr in dv.sqref.ranges:
            for row in ws.iter_rows(
                min_row=cr.min_row, max_row=cr.max_row, min_col=cr.min_col, max_col=cr.max_col
            ):
                for cell in row:
                    out[cell.coordinate] = dv
    return out


def _bounds(dv: DataValidation) -> tuple[float, float]:
    return float(dv.formula1), float(dv.formula2)


def offered(dv: DataValidation, ws: Worksheet | None = None) -> list[str]:
    """The values a list rule offers: its quoted list, or the cells of the range it names."""
    if not dv.formula1.startswith('"') and ws is not None:
        return [str(c.value) for row in ws[dv.formula1.replace("$", "")] for c in row if c.value]
    return dv.formula1.strip('"').split(",")


def fit(dv: DataValidation | None, value: object, ws: Worksheet | None = None) -> object:
    """A value moved inside a data validation rule (numbers clamped, text cut, lists checked)."""
    if dv is None or value is None:
        return value
    if dv.type in ("decimal", "whole") and isinstance(value, int | float):
        low, high = _bounds(dv)
        value = min(max(value, low), high)
        return int(value) if dv.type == "whole" else value
    if dv.type == "textLength" and isinstance(value, str):
        return value[: int(_bounds(dv)[1])]
    if dv.type == "list" and value not in offered(dv, ws):
        raise ValueError(f"{value!r} is not in the list {dv.formula1}")
    return value


# -- what a manager enters -----------------------------------------------------------------------


def _floats(values: Mapping[str, list], name: str) -> list[float]:
    return [number(v) for v in values.get(name, [])]


def _volume_factor(rng: np.random.Generator) -> float:
    """Most managers land within 3% of the target; a few see growth or a drop."""
    draw = rng.random()
    if draw < 0.80:
        return 1 + rng.uniform(-0.03, 0.03)
    if draw < 0.90:
        return 1 + rng.uniform(0.06, 0.15)
    return 1 - rng.uniform(0.05, 0.10)


def _volume(given: Mapping[str, list], rng: np.random.Generator) -> list[int]:
    factor = _volume_factor(rng)
    target = _floats(given, "hb_volume_target")
    noise = rng.normal(0.0, 0.012, size=len(target))
    return [
        max(0, math.floor(t * factor * (1 + e) + 0.5)) for t, e in zip(target, noise, strict=True)
    ]


def _within(value: float, low: float, high: float, places: int) -> float:
    """value rounded to places and kept inside [low, high] after rounding."""
    unit = 10**places
    low_r, high_r = math.ceil(low * unit) / unit, math.floor(high * unit) / unit
    return (
        min(max(round(value, places), low_r), high_r) if low_r <= high_r else round(value, places)
    )


def _staffing(
    given: Mapping[str, list], rng: np.random.Generator, limits: Limits
) -> dict[str, list[float]]:
    """FTEs near target inside the band, wages near target inside the tolerance, OT and agency."""
    fte_t, wage_t, wage_p = (
        _floats(given, n) for n in ("hb_fte_target", "hb_wage_rate", "hb_wage_prior")
    )
    ot_t, agy_t = _floats(given, "hb_overtime_pct"), _floats(given, "hb_agency_fte")
    out: dict[str, list[float]] = {
        "hb_fte": [],
        "hb_wage_rate": [],
        "hb_overtime_pct": [],
        "hb_agency_fte": [],
    }
    for i, j in enumerate(JOB_CLASSES):
        draw = rng.random()
        spread = 0.03 if j in FIXED_JOB_CLASSES else 0.08
        step = (
            rng.uniform(-0.02, 0.02)
            if draw < 0.6
            else -rng.uniform(0.02, spread)
            if draw < 0.8
            else rng.uniform(0.02, spread)
        )
        low, high = limits.band(j)
        fte = _within(
            fte_t[i] * (1 + step),
            fte_t[i] * (low + BAND_MARGIN),
            fte_t[i] * (high - BAND_MARGIN),
            2,
        )
        wage = wage_t[i] * (1 + rng.uniform(-0.03, 0.03))
        w_min, w_max = limits.wages.get(j, (0.0, math.inf))
        wage = min(max(wage, w_min), w_max) if wage_t[i] > 0 else 0.0
        if wage_p[i] > 0:
            band = limits.wage_tolerance - WAGE_MARGIN
            wage = _within(wage, wage_p[i] * (1 - band), wage_p[i] * (1 + band), 2)
        ot = ot_t[i] * (1 + rng.uniform(-0.25, 0.25)) if rng.random() < 0.85 else ot_t[i]
        agy_draw = rng.random()
        agency = 0.0 if agy_draw < 0.12 else agy_t[i] * (1 + rng.uniform(-0.3, 0.2))
        out["hb_fte"].append(fte)
        out["hb_wage_rate"].append(round(wage, 2))
        out["hb_overtime_pct"].append(round(ot, 4))
        out["hb_agency_fte"].append(round(agency, 2))
    return out


def _nonlabor(
    given: Mapping[str, list], rng: np.random.Generator, target_volume: float
) -> dict[str, list[float]]:
    """Prior-year rates and amounts x the inflation the targets imply, with noise."""
    sup, drg, pur, oth, target = (
        _floats(given, n)[0]
        for n in (
            "hb_supplies_prior",
            "hb_drugs_prior",
            "hb_purchased_prior",
            "hb_other_prior",
            "hb_target_nonlabor",
        )
    )
    at_prior = target_volume * (sup + drg) + pur + oth
    inflation = target / at_prior if at_prior > 0 else 1.0
    bump = rng.uniform(0.06, 0.12) if rng.random() < 0.12 else 0.0  # a new contract or mix shift
    noise = rng.normal(0.0, 0.03, size=4)
    return {
        "hb_supplies_per_uos": [round(sup * inflation * (1 + bump + noise[0]), 2)],
        "hb_drugs_per_uos": [round(drg * inflation * (1 + noise[1]), 2)],
        "hb_purchased_services": [round(pur * inflation * (1 + noise[2]), -2)],
        "hb_other_expense": [round(oth * inflation * (1 + noise[3]), -2)],
    }


def _capital(rng: np.random.Generator, given: Mapping[str, list]) -> dict[str, list[object]]:
    """One to three capital requests for about a third of cost centers; blank rows otherwise."""
    rows = NAME_BY_ID["hb_capital_item"].rows
    columns: dict[str, list[object]] = {n: [None] * rows for n in CAPITAL_NAMES}
    if rng.random() >= CAPITAL_SHARE:
        return columns
    count = int(rng.integers(1, 4))
    for row, k in enumerate(rng.choice(len(CAPITAL_CATALOGUE), size=count, replace=False)):
        item, low, high, why = CAPITAL_CATALOGUE[int(k)]
        columns["hb_capital_item"][row] = item
        columns["hb_capital_amount"][row] = int(round(rng.uniform(low, high), -2))
        columns["hb_capital_priority"][row] = PRIORITIES[int(rng.integers(len(PRIORITIES)))]
        columns["hb_capital_justification"][row] = why
        category, life, month = capital_kind(item, given, int(k))
        columns["hb_capital_category"][row] = category
        columns["hb_capital_life"][row] = life
        columns["hb_capital_in_service"][row] = month
    return columns


def manager_inputs(
    given: Mapping[str, list], rng: np.random.Generator, limits: Limits
) -> dict[str, list]:
    """Every input name except the rationales, as a manager would enter them."""
    volume = _volume(given, rng)
    target_volume = sum(_floats(given, "hb_volume_target"))
    return {
        "hb_volume_forecast": volume,
        **_staffing(given, rng, limits),
        **_nonlabor(given, rng, target_volume),
        **_capital(rng, given),
    }


def required_rationales(values: Mapping[str, list]) -> dict[str, bool]:
    """Section -> whether the engine's tolerance rule requires a rationale for these values."""
    out = expected_outputs(values)
    return {s: out[f"hb_need_rationale_{s}"][0] == 1.0 for s in SECTIONS}


def rationale_text(section: str, values: Mapping[str, list], rng: np.random.Generator) -> str:
    """A manager's explanation of a section's gap to the target, with the figures."""
    out = expected_outputs(values)
    budget_name, target_name = SECTION_FIGURE[section]
    target = _floats(values, target_name)[0]
    gap = out[budget_name][0] - target
    reasons = REASONS[(section, 1 if gap >= 0 else -1)]
    reason = reasons[int(rng.integers(len(reasons)))].format(month=MONTHS[int(rng.integers(2, 10))])
    if section == "volume":
        forecast = sum(_floats(values, "hb_volume_forecast"))
        planned = sum(_floats(values, "hb_volume_target"))
        change = forecast / planned - 1 if planned else 0.0
        return (
            f"Forecast {forecast:,.0f} units of service, {abs(change):.1%} "
            f"{'above' if change >= 0 else 'below'} the target of {planned:,.0f} (net revenue "
            f"{'+' if gap >= 0 else '-'}${abs(gap):,.0f}): {reason}."
        )
    pct = f" ({gap / target:+.1%})" if target else ""
    where = "above" if gap >= 0 else "below"
    return f"{SECTION_TITLE[section]} ${abs(gap):,.0f} {where} the target{pct}: {reason}."


def rationales(values: Mapping[str, list], rng: np.random.Generator) -> dict[str, list[str | None]]:
    """A rationale wherever the tolerance rule requires one, and a short note in a few others."""
    need = required_rationales(values)
    out: dict[str, list[str | None]] = {}
    for section in SECTIONS:
        optional = rng.random() < OPTIONAL_RATIONALE
        notes = OPTIONAL_NOTES[section]
        note = notes[int(rng.integers(len(notes)))]
        text = note if optional else None
        if need[section]:
            text = rationale_text(section, values, rng)
        out[f"hb_rationale_{section}"] = [text]
    return out


# -- one workbook ---------------------------------------------------------------------------------


@dataclass
class Submission:
    """A template loaded for editing (formula text, not values), with its validations."""

    wb: Workbook
    rules: dict[str, DataValidation]

    @classmethod
    def open(cls, path: Path) -> Submission:
        wb = load_workbook(path)
        return cls(wb, validations(wb[BUDGET_SHEET]))

    def values(self) -> dict[str, list]:
        """Contract name -> cell values (formulas as text) as they stand now."""
        return read_template_values(self.wb, data_only=False)

    def write(self, inputs: Mapping[str, Sequence[object]]) -> None:
        """Write input names, each value moved inside its cell's validation rule."""
        for name, values in inputs.items():
            cells = name_cells(self.wb, name)
            fitted = [  # a locked cell (a hospital-wide volume) cannot be typed in
                c.value
                if c.protection.locked
                else fit(self.rules.get(c.coordinate), v, self.wb[BUDGET_SHEET])
                for c, v in zip(cells, values, strict=True)
            ]
            write_name(self.wb, name, fitted)

    def save(self, path: Path) -> None:
        atomic_save(path, self.wb.save)


def fill_workbook(sub: Submission, rng: np.random.Generator, limits: Limits) -> None:
    """Fill every input of a template as a manager would, rationales last (they see the gaps)."""
    sub.write(manager_inputs(sub.values(), rng, limits))
    sub.write(rationales(sub.values(), rng))


def template_files(templates_dir: Path) -> list[Path]:
    """Every template under a folder (recursively), in a stable order; Excel lock files skipped."""
    return sorted(p for p in Path(templates_dir).rglob("*.xlsx") if not p.name.startswith("~$"))


def template_cost_center(path: Path) -> str:
    """A template's cost center from its Meta sheet (read-only: quick), else from its file name."""
    wb = load_workbook(path, read_only=True)
    try:
        return read_meta(wb).get("cost_center") or path.stem.split("_")[0]
    finally:
        wb.close()


def fill_submissions(
    templates_dir: Path,
    out_dir: Path,
    seed: int = 2027,
    progress: Progress = silent,
    skip: set[str] | frozenset[str] = frozenset(),
    recalc: bool = False,
    control: Path | None = None,
) -> list[Path]:
    """Fill every template under templates_dir into out_dir (same sub-folders); returns the files.

    `skip`: cost center codes left out. `control`: the control workbook whose staffing bands and
    wage tolerance the fill respects (default: the tightest default band, +-10%). `recalc`: let
    LibreOffice recompute the files so they carry cached values, as files saved by Excel do.
    """
    templates_dir, out_dir = Path(templates_dir), Path(out_dir)
    limits = load_limits(control)
    files = template_files(templates_dir)
    progress(f"filling {len(files)} templates into {out_dir}")
    every = max(1, math.ceil(len(files) / 10))
    written: list[Path] = []
    for i, path in enumerate(files, start=1):
        code = template_cost_center(path)
        if code not in skip:
            sub = Submission.open(path)
            fill_workbook(sub, stream(seed, code), limits)
            target = out_dir / path.relative_to(templates_dir)
            sub.save(target)
            written.append(target)
        if i % every == 0 or i == len(files):
            progress(f"{i}/{len(files)} templates read, {len(written)} filled")
    if recalc and written:
        progress(f"recalculating {len(written)} submissions with LibreOffice")
        recalculate(written)
    return written


# -- package edits and LibreOffice recalculation --------------------------------------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK_PART = "xl/workbook.xml"


def edit_parts(
    path: Path,
    edits: Mapping[str, Callable[[bytes], bytes]] | None = None,
    streamed: Mapping[str, Iterable[bytes]] | None = None,
    level: int = 6,
) -> None:
    """Rewrite an .xlsx package in place (atomically).

    `edits`: part name -> function of its bytes. `streamed`: part name -> chunks, written after
    the other parts (replacing a part of that name), deflated at `level`; for parts too large to
    hold in memory.
    """
    edits, streamed = edits or {}, streamed or {}

    def save(tmp: str) -> None:
        with (
            zipfile.ZipFile(path) as src,
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst,
        ):
            for info in src.infolist():
                if info.filename in streamed:
                    continue
                data = src.read(info)
                if info.filename in edits:
                    data = edits[info.filename](data)
                dst.writestr(info, data, compress_type=info.compress_type)
            for name, chunks in streamed.items():
                with dst.open(name, "w", force_zip64=True) as part:
                    for chunk in chunks:
                        part.write(chunk)

    atomic_save(path, save)


def _tag(name: str) -> str:
    return f"{{{MAIN_NS}}}{name}"


def restore_workbook_part(original: bytes, converted: bytes) -> bytes:
    """The converted workbook.xml with the original's very hidden sheets and structure lock.

    LibreOffice 7.4 saves a very hidden sheet as merely hidden and writes an empty
    workbookProtection; both are put back as the template had them.
    """
    orig, conv = etree.fromstring(original), etree.fromstring(converted)
    very_hidden = {
        s.get("name") for s in orig.iter(_tag("sheet")) if s.get("state") == "veryHidden"
    }
    for sheet in conv.iter(_tag("sheet")):
        if sheet.get("name") in very_hidden:
            sheet.set("state", "veryHidden")
    lock = orig.find(_tag("workbookProtection"))
    if lock is not None:
        old = conv.find(_tag("workbookProtection"))
        if old is not None:
            conv.replace(old, copy.deepcopy(lock))
        else:
            conv.find(_tag("bookViews")).addprevious(copy.deepcopy(lock))
    return etree.tostring(conv, xml_declaration=True, encoding="UTF-8", standalone=True)


def kept_after_recalc(before: Workbook, after: Workbook) -> list[str]:
    """What a LibreOffice round trip lost that intake relies on (empty when nothing)."""
    lost = []
    ws_b, ws_a = before[BUDGET_SHEET], after[BUDGET_SHEET]
    if not ws_a.protection.sheet:
        lost.append("sheet protection")
    if set(before.defined_names) - set(after.defined_names):
        lost.append("defined names")
    if len(validations(ws_a)) != len(validations(ws_b)):
        lost.append("data validation")
    if META_SHEET not in after.sheetnames or after[META_SHEET].sheet_state != "veryHidden":
        lost.append("the very hidden Meta sheet")
    if (
        before.security
        and before.security.lockStructure
        and not (after.security and after.security.lockStructure)
    ):
        lost.append("workbook structure protection")
    inputs = {  # the unlocked ones (a hospital-wide volume is issued locked)
        c.coordinate
        for n in INPUT_NAMES
        for c in name_cells(before, n.name)
        if not ws_b[c.coordinate].protection.locked
    }
    if any(ws_a[c].protection.locked for c in inputs):
        lost.append("unlocked input cells")
    return lost


def recalculate(paths: Sequence[Path]) -> None:
    """Recompute files in place with one LibreOffice run, so they carry cached formula values.

    The files are staged under unique names (stems may repeat across entity folders). What
    LibreOffice drops from workbook.xml is restored (restore_workbook_part); each result is then
    checked for protection, names, validation and Meta before it replaces the original.
    """
    with tempfile.TemporaryDirectory(prefix="hb-recalc-") as tmp:
        staged_dir, out_dir = Path(tmp) / "in", Path(tmp) / "out"
        staged_dir.mkdir()
        staged = [staged_dir / f"s{i:05d}.xlsx" for i in range(len(paths))]
        for src, dst in zip(paths, staged, strict=True):
            shutil.copyfile(src, dst)
        converted = libreoffice.convert(staged, "xlsx", out_dir)
        for original, result in zip(paths, converted, strict=True):
            with zipfile.ZipFile(original) as z:
                part = z.read(WORKBOOK_PART)
            edit_parts(result, {WORKBOOK_PART: partial(restore_workbook_part, part)})
            lost = kept_after_recalc(load_workbook(original), load_workbook(result))
            if lost:
                raise HybridBudgetError(
                    f"{original}: LibreOffice dropped {', '.join(lost)}; not replacing the file"
                )
        for original, result in zip(paths, converted, strict=True):
            shutil.move(result, original)

"""Labelled broken submissions for the validator's tests: one defect per file, listed in DEFECTS.csv.

Each defect that needs a workbook starts from a clean fill (sample.fill) of a cost center reserved
for it, which is not otherwise submitted, and breaks exactly one thing. DEFECTS.csv (beside the
folder, `<folder>-DEFECTS.csv`, so validation never reads it) has one row per
finding the validator should report (file relative to the folder, code, sheet, cell, cost center,
description). Cells are plain coordinates on the Budget sheet, or on Meta for metadata defects;
sheet and cell are empty for file-level defects, SUPERSEDED, NAME_MISMATCH (the file name is
wrong, not a cell) and RESUBMISSION_REJECTED. Where one
edit yields several findings (an annual total typed over its formula), each has its row. One cost
center holds three files of one template version (resubmissions).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils.cell import range_boundaries

from ..control.load import load_control
from ..errors import HybridBudgetError
from ..model.line_items import JOB_CLASSES, MONTHS
from ..templates.contract import BUDGET_SHEET, META_SHEET, NAME_BY_ID, OUTPUT_NAMES, SCHEMA_VERSION
from ..templates.layout import layout
from ..templates.values import expected_outputs, number, read_meta
from ..workbook.fileio import atomic_save, atomic_write_text
from .fill import (
    CAPITAL_CATALOGUE,
    MAIN_NS,
    SECTIONS,
    Limits,
    Submission,
    capital_kind,
    edit_parts,
    fill_workbook,
    limits_from_reference,
    name_cells,
    rationale_text,
    required_rationales,
    stream,
    template_files,
)

MANIFEST = "DEFECTS.csv"
# a stale version needs a reissue recorded in the control workbook's issue register, which the
# defect set never writes (its control workbook is finance's): tests/test_intake_trust.py builds it
CODES_ELSEWHERE = frozenset({"STALE_VERSION"})
MANIFEST_COLUMNS: tuple[str, ...] = ("file", "code", "sheet", "cell", "cost_center", "description")
OVERSIZE = 320 * 1024 * 1024  # what a zip bomb and the huge sheet unpack to: above a 300 MB cap
HUGE_ROWS, HUGE_COLS = 150_000, 20
PASSWORD = "manager-2027"  # the password of the encrypted submission
RN = JOB_CLASSES.index("RN")
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Row:
    """One expected finding: a row of DEFECTS.csv."""

    file: str
    code: str
    sheet: str = ""
    cell: str = ""
    cost_center: str = ""
    description: str = ""


@dataclass(frozen=True)
class Template:
    """A generated template: where it is, whose it is, and its givens (for choosing defects)."""

    path: Path
    rel: Path  # relative to the templates folder
    code: str
    meta: dict[str, str]
    values: dict[str, list]

    def first(self, name: str, i: int = 0) -> float:
        return number(self.values[name][i])


@dataclass(frozen=True)
class Context:
    """What every defect may need: the seed, the control workbook's facts, where to write."""

    seed: int
    limits: Limits
    known: frozenset[str]  # cost centers of the organization
    control: Path
    out_dir: Path
    folder: Path  # sub-folder (relative) for files that belong to no cost center
    sample: Template  # any template, for files that only look like ours


@dataclass
class Case:
    """One defect being made: its cost center's template (if any) and its own random stream."""

    template: Template | None
    ctx: Context
    rng: np.random.Generator

    @property
    def code(self) -> str:
        return self.template.code if self.template else ""

    def clean(self, draft: int = 0) -> Submission:
        """A clean fill of the reserved cost center, exactly as fill_submissions makes it."""
        assert self.template is not None
        sub = Submission.open(self.template.path)
        fill_workbook(sub, stream(self.ctx.seed, self.code, draft), self.ctx.limits)
        return sub

    def target(self, name: str | None = None) -> Path:
        """Where a defect file goes: the template's own place (or `name` beside it); a file of
        no cost center goes into the folder for loose files."""
        if self.template is None:
            return self.ctx.out_dir / self.ctx.folder / (name or "unnamed.xlsx")
        rel = self.template.rel
        return self.ctx.out_dir / (rel.with_name(name) if name else rel)

    def save(self, sub: Submission, name: str | None = None) -> Path:
        path = self.target(name)
        sub.save(path)
        return path

    def row(
        self,
        path: Path,
        code: str,
        description: str,
        sheet: str = "",
        cell: str = "",
        cost_center: str | None = None,
    ) -> Row:
        """A manifest row for a file written under out_dir (cost center: this case's)."""
        return Row(
            file=path.relative_to(self.ctx.out_dir).as_posix(),
            code=code,
            sheet=sheet,
            cell=cell,
            cost_center=self.code if cost_center is None else cost_center,
            description=description,
        )


@dataclass(frozen=True)
class Defect:
    """How to make one broken submission, and which cost center's template it can start from."""

    key: str
    make: Callable[[Case], list[Row]]
    needs: Callable[[Template], bool] | None = None  # which templates suit it; None: any
    uses_template: bool = True  # False: the file is made from nothing (no cost center)


# -- helpers --------------------------------------------------------------------------------------


def explain(sub: Submission, rng: np.random.Generator, blank: Sequence[str] = ()) -> None:
    """Write a rationale wherever the engine now requires one and none is written (not `blank`)."""
    values = sub.values()
    need = required_rationales(values)
    for section in SECTIONS:
        name = f"hb_rationale_{section}"
        if section in blank:
            sub.write({name: [None]})
        elif need[section] and not str(values[name][0] or "").strip():
            sub.write({name: [rationale_text(section, values, rng)]})


def set_cell(sub: Submission, name: str, i: int, value: object) -> tuple[Cell, object]:
    """Put a raw value (no validation applied) into the i-th cell of a name; the cell and old value."""
    cell = name_cells(sub.wb, name)[i]
    old = cell.value
    cell.value = value
    return cell, old


def meta_cell(wb: Workbook, key: str) -> Cell:
    """The value cell of a Meta key."""
    ws = wb[META_SHEET]
    for (k,) in ws.iter_rows(min_col=1, max_col=1):
        if k.value == key:
            return ws.cell(row=k.row, column=2)
    raise HybridBudgetError(f"Meta has no {key!r} row")


def one_cell(
    case: Case,
    code: str,
    name: str,
    i: int,
    value: object,
    what: str,
    blank: Sequence[str] = (),
) -> list[Row]:
    """The common defect: a clean fill with one cell of one name set to a value."""
    sub = case.clean()
    cell, old = set_cell(sub, name, i, value)
    explain(sub, case.rng, blank)
    path = case.save(sub)
    text = f"{label(name, i)} {old!r} -> {value!r}: {what}"
    return [case.row(path, code, text, sheet=BUDGET_SHEET, cell=cell.coordinate)]


def label(name: str, i: int) -> str:
    """A name's i-th cell as a reader says it: hb_fte[RN], hb_volume_forecast[Mar]."""
    shape = NAME_BY_ID[name]
    if shape.cells == 1:
        return name
    if shape.cells == len(MONTHS):
        return f"{name}[{MONTHS[i]}]"
    if shape.cells == len(JOB_CLASSES):
        return f"{name}[{JOB_CLASSES[i]}]"
    return f"{name}[row {i + 1}]"


def _month(case: Case) -> int:
    return int(case.rng.integers(len(MONTHS)))


def sheet_part(path: Path, sheet: str) -> str:
    """The package part name of a worksheet (e.g. xl/worksheets/sheet1.xml)."""
    with zipfile.ZipFile(path) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rid = next(
        s.get(f"{{{REL_NS}}}id") for s in book.iter(f"{{{MAIN_NS}}}sheet") if s.get("name") == sheet
    )
    target = next(
        r.get("Target") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship") if r.get("Id") == rid
    )
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def with_cached_values(part: bytes, cached: dict[str, float]) -> bytes:
    """A worksheet part whose formula cells listed in `cached` carry those values."""
    root = etree.fromstring(part)
    for c in root.iter(f"{{{MAIN_NS}}}c"):
        if c.get("r") not in cached or c.find(f"{{{MAIN_NS}}}f") is None:
            continue
        v = c.find(f"{{{MAIN_NS}}}v")
        if v is None:
            v = etree.SubElement(c, f"{{{MAIN_NS}}}v")
        v.text = repr(float(cached[c.get("r")]))
        c.attrib.pop("t", None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _spaces(size: int) -> Iterator[bytes]:
    chunk = b" " * (1 << 20)
    yield b'<?xml version="1.0" encoding="UTF-8"?><padding>'
    for _ in range(size // len(chunk) + 1):
        yield chunk
    yield b"</padding>"


def _huge_rows(rows: int, cols: int) -> Iterator[bytes]:
    text = "pasted encounter detail kept for reference by the unit manager, free text column"
    cells = "".join(
        f'<c t="inlineStr"><is><t>{k + 1} {{r}} {text}</t></is></c>' for k in range(cols)
    )
    row = f'<row r="{{r}}">{cells}</row>'
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    for start in range(1, rows + 1, 2_000):
        stop = min(start + 2_000, rows + 1)
        yield "".join(row.format(r=r) for r in range(start, stop)).encode()
    yield b"</sheetData></worksheet>"


# -- integrity defects ----------------------------------------------------------------------------


def locked_edited(case: Case) -> list[Row]:
    m = _month(case)
    old = case.template.first("hb_volume_target", m)
    return one_cell(case, "LOCKED_EDITED", "hb_volume_target", m, round(old * 1.2),
                    "a locked top-down target month raised 20% (sheet protection kept); the "
                    "fingerprint on Meta no longer matches")  # fmt: skip


def protection_removed(case: Case) -> list[Row]:
    sub = case.clean()
    sub.wb[BUDGET_SHEET].protection.sheet = False
    path = case.save(sub)
    text = "the Budget sheet's protection switched off; every value is a clean fill"
    return [case.row(path, "PROTECTION_REMOVED", text, sheet=BUDGET_SHEET)]


def formula_changed(case: Case) -> list[Row]:
    sub = case.clean()
    labor = expected_outputs(sub.values())["hb_out_labor"][0]
    return one_cell(case, "FORMULA_CHANGED", "hb_out_labor", 0, labor,
                    "the labor cost formula overwritten with its own value as a constant, so "
                    "no cached mismatch (formula cells are left out of LOCKED_EDITED)")  # fmt: skip


def months_not_annual(case: Case) -> list[Row]:
    sub = case.clean()
    values = sub.values()
    months = sum(number(v) for v in values["hb_volume_forecast"])
    typed = sum(number(v) for v in values["hb_volume_target"])
    typed = typed if typed != months else months + 1_000
    cell, _ = set_cell(sub, "hb_out_volume", 0, typed)
    explain(sub, case.rng)
    path = case.save(sub)
    where = {"sheet": BUDGET_SHEET, "cell": cell.coordinate}
    return [
        case.row(path, "FORMULA_CHANGED", "the annual volume formula =SUM(months) overwritten "
                 "with a constant", **where),
        case.row(path, "MONTHS_NOT_ANNUAL", f"annual volume shows {typed:,.0f} (the target's "
                 f"annual total) but the months add to {months:,.0f}", **where),
        case.row(path, "CACHED_MISMATCH", f"the constant {typed:,.0f} is the figure the "
                 f"workbook shows; the engine computes {months:,.0f} from the months", **where),
    ]  # fmt: skip


def cached_mismatch(case: Case) -> list[Row]:
    """Cached values on every output cell, as a file Excel saved carries; one of them wrong."""
    sub = case.clean()
    outputs = expected_outputs(sub.values())
    cached = {
        c.coordinate: value
        for n in OUTPUT_NAMES
        for c, value in zip(name_cells(sub.wb, n.name), outputs[n.name], strict=True)
    }
    wrong = name_cells(sub.wb, "hb_out_labor")[0].coordinate
    cached[wrong] += 25_000
    path = case.save(sub)
    part = sheet_part(path, BUDGET_SHEET)
    edit_parts(path, {part: lambda data: with_cached_values(data, cached)})
    text = (
        f"cached values written into every output cell (the engine's values), except hb_out_labor "
        f"cached $25,000 above the recomputation ({cached[wrong]:,.2f}); other formula cells have "
        "no cached value"
    )
    return [case.row(path, "CACHED_MISMATCH", text, sheet=BUDGET_SHEET, cell=wrong)]


# -- data defects ---------------------------------------------------------------------------------


def required_blank(case: Case) -> list[Row]:
    return one_cell(case, "REQUIRED_BLANK", "hb_volume_forecast", _month(case), None,
                    "one month of the volume forecast cleared")  # fmt: skip


def not_a_number(case: Case) -> list[Row]:
    return one_cell(case, "NOT_A_NUMBER", "hb_fte", RN, "twelve",
                    "RN budget FTEs typed as a word (no FTE_OUTSIDE_BAND for a non-number; "
                    "the staffing rationale is written if 0 FTEs make it required)")  # fmt: skip


def negative(case: Case) -> list[Row]:
    return one_cell(case, "NEGATIVE", "hb_agency_fte", RN, -3,
                    "negative RN agency FTEs (also below the validation minimum: report "
                    "NEGATIVE, not OUT_OF_RANGE)")  # fmt: skip


def out_of_range(case: Case) -> list[Row]:
    high = layout().rules["hb_overtime_pct"].high
    return one_cell(case, "OUT_OF_RANGE", "hb_overtime_pct", RN, 0.75,
                    f"RN overtime 75% of worked hours, above the allowed {high:.0%}")  # fmt: skip


def fte_outside_band(case: Case) -> list[Row]:
    target = case.template.first("hb_fte_target", RN)
    low, high = case.ctx.limits.band("RN")
    return one_cell(case, "FTE_OUTSIDE_BAND", "hb_fte", RN, round(target * 2, 2),
                    f"RN budget FTEs at twice the target {target:g} (band {low:.0%}..{high:.0%}); "
                    "the staffing rationale is written")  # fmt: skip


def rationale_missing(case: Case) -> list[Row]:
    sub = case.clean()
    target = [number(v) for v in case.template.values["hb_volume_target"]]
    sub.write({"hb_volume_forecast": [round(v * 1.25) for v in target]})
    explain(sub, case.rng, blank=("volume",))
    if not required_rationales(sub.values())["volume"]:
        raise HybridBudgetError(f"{case.code}: +25% volume does not require a rationale")
    path = case.save(sub)
    cell = name_cells(sub.wb, "hb_rationale_volume")[0].coordinate
    text = "volume forecast 25% above the target in every month; the volume rationale left blank"
    return [case.row(path, "RATIONALE_MISSING", text, sheet=BUDGET_SHEET, cell=cell)]


def wage_far_from_payroll(case: Case) -> list[Row]:
    prior = case.template.first("hb_wage_prior", RN)
    sub = case.clean()
    cell, _ = set_cell(sub, "hb_wage_rate", RN, round(prior * 1.4, 2))
    sub.write({"hb_rationale_staffing": [rationale_text("staffing", sub.values(), case.rng)]})
    path = case.save(sub)
    text = (
        f"RN wage rate {prior * 1.4:.2f} $/h, 40% above the payroll history {prior:.2f} "
        f"(tolerance {case.ctx.limits.wage_tolerance:.0%}); the staffing rationale is written"
    )
    return [case.row(path, "WAGE_FAR_FROM_PAYROLL", text, sheet=BUDGET_SHEET, cell=cell.coordinate)]


def implausible_drivers(case: Case) -> list[Row]:
    """Purchased services typed 3x and other expense 100x the prior year, the non-labor
    rationale left blank: a warning, an error, and the rationale the tolerance rule requires.
    (One file for both plausibility codes: the clean set keeps its 30 cost centers.)"""
    sub = case.clean()
    purchased, _ = set_cell(sub, "hb_purchased_services", 0,
                            round(case.template.first("hb_purchased_prior") * 3, 2))  # fmt: skip
    other, _ = set_cell(sub, "hb_other_expense", 0,
                        round(case.template.first("hb_other_prior") * 100, 2))  # fmt: skip
    explain(sub, case.rng, blank=("nonlabor",))
    path = case.save(sub)
    rows = [
        case.row(path, "DRIVER_UNUSUAL", "purchased services typed 3x the prior year; the "
                 "non-labor rationale left blank", BUDGET_SHEET, purchased.coordinate),
        case.row(path, "DRIVER_IMPLAUSIBLE", "other expense typed 100x the prior year",
                 BUDGET_SHEET, other.coordinate),
    ]  # fmt: skip
    if required_rationales(sub.values())["nonlabor"]:
        why = name_cells(sub.wb, "hb_rationale_nonlabor")[0].coordinate
        rows.append(case.row(path, "RATIONALE_MISSING", "the typed amounts take non-labor cost "
                             "beyond tolerance", BUDGET_SHEET, why))  # fmt: skip
    return rows


def capital_incomplete(case: Case) -> list[Row]:
    sub = case.clean()
    row = sum(1 for v in sub.values()["hb_capital_item"] if v)
    item, _, _, why = CAPITAL_CATALOGUE[int(case.rng.integers(len(CAPITAL_CATALOGUE)))]
    category, life, _ = capital_kind(item, sub.values(), row)
    for name, value in (
        ("hb_capital_item", item),
        ("hb_capital_priority", "High"),
        ("hb_capital_justification", why),
        ("hb_capital_category", category),
        ("hb_capital_life", life),
    ):
        set_cell(sub, name, row, value)
    cell = name_cells(sub.wb, "hb_capital_amount")[row]
    cell.value = None
    path = case.save(sub)
    text = f"capital request {item!r} with priority and justification but no amount"
    return [case.row(path, "CAPITAL_INCOMPLETE", text, sheet=BUDGET_SHEET, cell=cell.coordinate)]


def capital_bad_category(case: Case) -> list[Row]:
    """A complete capital request whose category is not on finance's list (typed past the
    drop-down, as a paste does)."""
    sub = case.clean()
    row = sum(1 for v in sub.values()["hb_capital_item"] if v)
    item, low, _, why = CAPITAL_CATALOGUE[int(case.rng.integers(len(CAPITAL_CATALOGUE)))]
    for name, value in (("hb_capital_item", item), ("hb_capital_amount", low),
                        ("hb_capital_priority", "Medium"), ("hb_capital_justification", why),
                        ("hb_capital_category", "Furniture"), ("hb_capital_life", 60)):  # fmt: skip
        set_cell(sub, name, row, value)
    cell = name_cells(sub.wb, "hb_capital_category")[row]
    path = case.save(sub)
    text = f"capital request {item!r} in the category 'Furniture', which finance does not list"
    return [case.row(path, "CAPITAL_CATEGORY", text, sheet=BUDGET_SHEET, cell=cell.coordinate)]


# -- identity defects -----------------------------------------------------------------------------


def _meta_defect(
    case: Case, code: str, key: str, value: str, what: str, cost_center: str | None = None
) -> list[Row]:
    sub = case.clean()
    cell = meta_cell(sub.wb, key)
    old = cell.value
    cell.value = value
    path = case.save(sub)
    text = f"Meta {key} {old!r} -> {value!r}: {what}"
    return [case.row(path, code, text, META_SHEET, cell.coordinate, cost_center)]


def wrong_fiscal_year(case: Case) -> list[Row]:
    year = int(case.template.meta["fiscal_year"])
    return _meta_defect(case, "WRONG_FISCAL_YEAR", "fiscal_year", str(year - 1),
                        "last cycle's template sent back")  # fmt: skip


def wrong_schema(case: Case) -> list[Row]:
    old = "0" if SCHEMA_VERSION != "0" else "1"
    return _meta_defect(case, "WRONG_SCHEMA", "schema_version", old,
                        "a template of another schema version")  # fmt: skip


def unknown_cost_center(case: Case) -> list[Row]:
    entity = case.template.meta.get("entity", "X")
    fake = next(
        f"{entity}-{n:05d}"
        for n in range(99_999, 0, -1)
        if f"{entity}-{n:05d}" not in case.ctx.known
    )
    return _meta_defect(case, "UNKNOWN_COST_CENTER", "cost_center", fake,
                        "a cost center the Organization sheet does not have", cost_center=fake)  # fmt: skip


def not_template(case: Case) -> list[Row]:
    sub = case.clean()
    del sub.wb[META_SHEET]
    path = case.save(sub)
    text = f"{case.code}'s filled template with its Meta sheet deleted (contract names kept)"
    return [case.row(path, "NOT_TEMPLATE", text, cost_center="")]


SAVED = re.compile(rb"(<dcterms:modified\b[^>]*>)[^<]*(</dcterms:modified>)")


def _saved_at(path: Path, stamp: float) -> None:
    """Date a workbook as saved at `stamp`: its own saved time (core properties) and the file's."""
    when = dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    edit_parts(path, {"docProps/core.xml": lambda x: SAVED.sub(rb"\g<1>" + when + rb"\g<2>", x)})
    os.utime(path, (stamp, stamp))


def resubmissions(case: Case) -> list[Row]:
    """Three files of one cost center and template version, a day apart: an earlier draft
    (superseded), the valid file that is used, saved under a name that names another cost center
    (a colleague's file copied), and a newer resubmission with an error (rejected; the valid file
    is still used). One cost center for the three: the clean set keeps its 30 cost centers."""
    code, name = case.code, case.template.rel.name
    other = min(c for c in case.ctx.known if c != code)
    used = case.save(case.clean(), f"{Path(name).stem.replace(code, other)} (2).xlsx")
    draft = case.save(case.clean(draft=1), f"draft_{name}")
    broken = case.clean()
    cell, _ = set_cell(broken, "hb_supplies_per_uos", 0, -1)
    explain(broken, case.rng)
    newer = case.save(broken, f"{Path(name).stem} resubmitted.xlsx")
    now = newer.stat().st_mtime
    _saved_at(used, now - 86_400)
    _saved_at(draft, now - 2 * 86_400)
    _saved_at(newer, now)
    return [
        case.row(draft, "SUPERSEDED", f"an earlier draft of the same template version, saved a "
                 f"day before the file used, {used.name}"),
        case.row(used, "NAME_MISMATCH", f"{code}'s valid file saved as {used.name}, a name "
                 f"that names {other} (the file name is the defect: no cell)"),
        case.row(newer, "NEGATIVE", "the newest resubmission: supplies per UOS typed as -1",
                 BUDGET_SHEET, cell.coordinate),
        case.row(newer, "RESUBMISSION_REJECTED", f"the newest resubmission is rejected (a negative "
                 f"supply cost); {used.name}, the newest valid file, is used"),
    ]  # fmt: skip


def not_issued(case: Case) -> list[Row]:
    version = int(case.template.meta["template_version"])
    return _meta_defect(case, "NOT_ISSUED", "template_version", str(version + 5),
                        "a template version finance never issued")  # fmt: skip


def layout_changed(case: Case) -> list[Row]:
    """A given's defined name pointed at another cell (one no figure depends on, so the file
    differs from its clean fill in that name only)."""
    sub = case.clean()
    area = layout().names["hb_volume_forecast"]
    sub.wb.defined_names["hb_supplies_prior"].attr_text = f"{BUDGET_SHEET}!$A${area.row + 1}"
    path = case.save(sub)
    text = "the defined name hb_supplies_prior repointed to another cell"
    return [case.row(path, "LAYOUT_CHANGED", text, sheet=BUDGET_SHEET)]


# -- file-level defects ---------------------------------------------------------------------------


def _clean_file(case: Case) -> Path:
    return case.save(case.clean())


def corrupt(case: Case) -> list[Row]:
    path = _clean_file(case)
    data = path.read_bytes()
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(data[: len(data) // 2]))
    text = f"{case.code}'s clean submission cut to its first half"
    return [case.row(path, "CORRUPT", text, cost_center="")]


def encrypted(case: Case) -> list[Row]:
    path = _clean_file(case)
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:  # msoffcrypto-tool comes with the test extras (oletools)
        header = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(16) + bytes.fromhex("3e000300feff0900")
        atomic_save(path, lambda tmp: Path(tmp).write_bytes(header + bytes(4_096 - len(header))))
        how = "replaced by a bare OLE compound-file header padded to 4 KB (no msoffcrypto-tool)"
    else:
        with path.open("rb") as src:
            book = OOXMLFile(src)
            buffer = io.BytesIO()
            book.encrypt(PASSWORD, buffer)
        atomic_save(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))
        how = f"encrypted by msoffcrypto-tool with the password {PASSWORD!r}"
    return [case.row(path, "ENCRYPTED", f"{case.code}'s clean submission {how}", cost_center="")]


def zip_bomb(case: Case) -> list[Row]:
    path = _clean_file(case)
    edit_parts(path, streamed={"customXml/item1.xml": _spaces(OVERSIZE)}, level=9)
    text = (
        f"{case.code}'s clean submission plus one part that unpacks to {OVERSIZE / 2**20:,.0f} MiB "
        f"of spaces ({path.stat().st_size / 2**10:,.0f} KiB on disk)"
    )
    return [case.row(path, "TOO_LARGE", text, cost_center="")]


def random_bytes(case: Case) -> list[Row]:
    path = case.target("scan_0417.xlsx")
    data = b"\x00" + case.rng.bytes(64 * 1024)  # never a zip or OLE signature
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(data))
    return [case.row(path, "NOT_WORKBOOK", "64 KB of random bytes named .xlsx")]


def csv_renamed(case: Case) -> list[Row]:
    path = case.target("budget_export.xlsx")
    sample = case.ctx.sample
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["cost_center", "month", "prior_year", "target", "forecast"])
    for m, month in enumerate(MONTHS):
        target = sample.first("hb_volume_target", m)
        writer.writerow([sample.code, month, sample.first("hb_volume_prior", m), target, target])
    atomic_write_text(path, out.getvalue())
    return [case.row(path, "NOT_WORKBOOK", "a CSV export of volumes renamed .xlsx")]


def huge_sheet(case: Case) -> list[Row]:
    path = case.target("volume_detail.xlsx")
    wb = Workbook()
    wb.active.title = "Detail"
    atomic_save(path, wb.save)
    part = sheet_part(path, "Detail")
    edit_parts(path, streamed={part: _huge_rows(HUGE_ROWS, HUGE_COLS)})
    with zipfile.ZipFile(path) as z:
        size = z.getinfo(part).file_size
    text = (
        f"a real workbook with one sheet of {HUGE_ROWS:,} rows x {HUGE_COLS} text cells: "
        f"{size / 2**20:,.0f} MiB unpacked, {path.stat().st_size / 2**20:,.1f} MiB on disk"
    )
    return [case.row(path, "TOO_LARGE", text)]


def link_outside(case: Case) -> list[Row]:
    path = case.target("shared_drive_copy.xlsx")
    target = case.ctx.control.resolve()
    if target.is_relative_to(case.ctx.out_dir.resolve()):
        raise HybridBudgetError("the control workbook must be outside the submissions folder")
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return [case.row(path, "LINK_OUTSIDE", "a symbolic link to the control workbook")]


def old_xls(case: Case) -> list[Row]:
    path = case.target("budget_2019.xls")
    data = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 1024 + "Workbook".encode("utf-16-le")
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(data + b"\0" * 1024))
    return [case.row(path, "OLD_XLS", "an old-format .xls workbook (OLE, a Workbook stream)")]


def leftovers(case: Case) -> list[Row]:
    rows = []
    for name, what in (("Thumbs.db", "a Windows thumbnail cache"),
                       ("~$budget.xlsx", "an Office owner (lock) file"),
                       (".DS_Store", "a macOS folder file")):  # fmt: skip
        path = case.target(name)
        atomic_save(path, lambda tmp: Path(tmp).write_bytes(b"\0" * 162))
        rows.append(case.row(path, "IGNORED", what))
    path = case.target("notes.pdf")
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(b"%PDF-1.4\n%%EOF\n"))
    rows.append(case.row(path, "OTHER_FILE", "a PDF beside the workbooks"))
    return rows


# -- the set --------------------------------------------------------------------------------------


def _has_rn(t: Template) -> bool:
    return t.first("hb_fte_target", RN) > 0 and t.first("hb_wage_prior", RN) > 0


def _has_volume(t: Template) -> bool:
    return all(number(v) > 0 for v in t.values["hb_volume_target"])


def _material_revenue(t: Template) -> bool:
    revenue, amount = t.first("hb_target_revenue"), t.first("hb_tolerance_amount")
    return _has_volume(t) and revenue * 0.25 > 2 * amount


def _has_nonlabor_prior(t: Template) -> bool:
    rules = layout().rules
    return (0 < t.first("hb_other_prior") * 100 <= rules["hb_other_expense"].high
            and 0 < t.first("hb_purchased_prior") * 3 <= rules["hb_purchased_services"].high)  # fmt: skip


def _doubled_rn_allowed(t: Template) -> bool:
    return _has_rn(t) and 2 * t.first("hb_fte_target", RN) <= layout().rules["hb_fte"].high


DEFECTS: tuple[Defect, ...] = (
    Defect("locked_edited", locked_edited, _has_volume),
    Defect("protection_removed", protection_removed),
    Defect("formula_changed", formula_changed),
    Defect("months_not_annual", months_not_annual, _has_volume),
    Defect("cached_mismatch", cached_mismatch),
    Defect("required_blank", required_blank, _has_volume),
    Defect("not_a_number", not_a_number, _has_rn),
    Defect("negative", negative, _has_rn),
    Defect("out_of_range", out_of_range, _has_rn),
    Defect("fte_outside_band", fte_outside_band, _doubled_rn_allowed),
    Defect("rationale_missing", rationale_missing, _material_revenue),
    Defect("wage_far_from_payroll", wage_far_from_payroll, _has_rn),
    Defect("capital_incomplete", capital_incomplete),
    Defect("implausible_drivers", implausible_drivers, _has_nonlabor_prior),
    Defect("wrong_fiscal_year", wrong_fiscal_year),
    Defect("wrong_schema", wrong_schema),
    Defect("unknown_cost_center", unknown_cost_center),
    Defect("not_template", not_template),
    Defect("resubmissions", resubmissions),
    Defect("not_issued", not_issued),
    Defect("layout_changed", layout_changed),
    Defect("corrupt", corrupt),
    Defect("encrypted", encrypted),
    Defect("zip_bomb", zip_bomb),
    Defect("random_bytes", random_bytes, uses_template=False),
    Defect("csv_renamed", csv_renamed, uses_template=False),
    Defect("huge_sheet", huge_sheet, uses_template=False),
    Defect("link_outside", link_outside, uses_template=False),
    Defect("old_xls", old_xls, uses_template=False),
    Defect("leftovers", leftovers, uses_template=False),
    # added last: cost centers are reserved in this order, so the defects above keep theirs
    Defect("capital_bad_category", capital_bad_category),
)


def _streamed_values(wb: Workbook) -> dict[str, list]:
    """Contract name -> values of a read-only workbook, from one pass over each sheet.

    (templates.values.read_template_values reads name by name, which a read-only workbook
    answers by re-reading the sheet each time: twenty times slower here.)
    """
    grids: dict[str, dict[tuple[int, int], object]] = {}
    out: dict[str, list] = {}
    for name in NAME_BY_ID:
        defined = wb.defined_names.get(name)
        if defined is None:
            continue
        cells: list = []
        for sheet, ref in defined.destinations:
            if sheet not in grids:
                grids[sheet] = {
                    (r, c): v
                    for r, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1)
                    for c, v in enumerate(row, start=1)
                }
            min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
            cells += [
                grids[sheet].get((r, c))
                for r in range(min_row, max_row + 1)
                for c in range(min_col, max_col + 1)
            ]
        out[name] = cells
    return out


def index_templates(templates_dir: Path) -> list[Template]:
    """Every template under a folder with its Meta and contract values (formulas as text)."""
    out = []
    for path in template_files(templates_dir):
        wb = load_workbook(path, read_only=True)
        try:
            meta, values = read_meta(wb), _streamed_values(wb)
        finally:
            wb.close()
        code = meta.get("cost_center") or path.stem.split("_")[0]
        out.append(Template(path, path.relative_to(templates_dir), code, meta, values))
    return out


def plan_defects(templates: Sequence[Template], seed: int) -> dict[str, Template]:
    """Defect key -> the template of the cost center reserved for it (deterministic for a seed).

    Cost centers are taken in a seeded random order; defects with requirements choose first.
    """
    order = np.random.default_rng(seed).permutation(len(templates))
    free = [templates[int(i)] for i in order]
    wanted = [d for d in DEFECTS if d.uses_template]
    plan: dict[str, Template] = {}
    for d in sorted(wanted, key=lambda d: d.needs is None):
        pick = next((t for t in free if d.needs is None or d.needs(t)), None)
        if pick is None:
            raise HybridBudgetError(
                f"no template left that suits the defect {d.key!r}: the defect set needs "
                f"{len(wanted)} cost centers, {len(templates)} templates were given"
            )
        free.remove(pick)
        plan[d.key] = pick
    return plan


def reserved_cost_centers(templates_dir: Path, seed: int = 2027) -> set[str]:
    """The cost centers make_defects uses, to leave out of the clean fill."""
    return {t.code for t in plan_defects(index_templates(templates_dir), seed).values()}


def manifest_path(out_dir: Path) -> Path:
    """DEFECTS.csv sits beside the submissions folder, so validation does not read it."""
    out_dir = Path(out_dir)
    return out_dir.parent / f"{out_dir.name}-{MANIFEST}"


def write_manifest(path: Path, rows: Sequence[Row]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for r in rows:
        writer.writerow([getattr(r, c) for c in MANIFEST_COLUMNS])
    atomic_write_text(path, out.getvalue())


def read_manifest(path: Path) -> list[Row]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return [Row(**r) for r in csv.DictReader(f)]


def make_defects(templates_dir: Path, control: Path, out_dir: Path, seed: int = 2027) -> Path:
    """Write the labelled broken submissions and DEFECTS.csv into out_dir; returns the manifest."""
    templates_dir, out_dir = Path(templates_dir), Path(out_dir)
    templates = index_templates(templates_dir)
    if not templates:
        raise HybridBudgetError(f"{templates_dir}: no templates (*.xlsx) found")
    plan = plan_defects(templates, seed)
    ref, _ = load_control(control)
    ctx = Context(
        seed=seed,
        limits=limits_from_reference(ref),
        known=frozenset(ref.organization.cost_center_by_code),
        control=Path(control),
        out_dir=out_dir,
        folder=templates[0].rel.parent,
        sample=templates[0],
    )
    rows: list[Row] = []
    for d in DEFECTS:
        rng = np.random.default_rng([seed, zlib.crc32(d.key.encode())])
        rows += d.make(Case(plan.get(d.key), ctx, rng))
    manifest = manifest_path(out_dir)
    write_manifest(manifest, rows)
    return manifest

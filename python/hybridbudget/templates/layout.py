"""The Budget sheet's fixed layout: where each section, contract name and formula sits.

The layout is the same for every cost center (only the values differ), so it is built once
(`layout()`) and every template carries identical formulas (fingerprint.expected_formulas). Formulas
mirror drivers.compute term by term, with the model constants written in from model.line_items.

Rows: 1-6 header (title, legend, who/what/when, instructions), 7-10 the live summary (frozen with
the header), then 1 Volume, 2 Staffing by job class, 3 Non-labor, 4 Capital requests, 5 Rationale.
Columns: A labels, B-M the twelve months (reused by the other sections), N the year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from openpyxl.utils import get_column_letter

from ..engine.capital import DEFAULT_IN_SERVICE_MONTH, MAX_LIFE_MONTHS
from ..engine.favourability import direction, number_formats
from ..engine.targets import CostCenterTarget
from ..model.line_items import HOURS_PER_FTE, JOB_CLASS_NAMES, JOB_CLASSES, MONTHS, OVERTIME_PREMIUM
from .contract import CAPITAL_ROWS, CATEGORY_SLOTS, NAMES, PRIORITIES, Role

# Number formats (one per kind of figure, used everywhere on the sheet).
MONEY = "#,##0;(#,##0)"
RATE = "#,##0.00"  # $ per hour, $ per unit of service
FTE = "#,##0.00"
UNITS = "#,##0"
PCT = "0.0%"
SHARE = "0.00%"  # shares kept to 4 decimals (overtime, productive ratio, benefits load)
HOURS_PER_UNIT = "0.00"
# Gaps (yours - target) by direction: red only on the side that hurts the margin.
GAP, FTE_GAP, HOURS_PER_UNIT_GAP = (number_formats(p) for p in ("#,##0", "#,##0.00", "0.00"))
# summary column key -> the favourability code of its gap (engine/favourability.py)
GAP_CODES = {"uos": "UOS", "rev": "REVENUE", "labor": "LABOR", "nonlabor": "NONLABOR",
             "expense": "EXPENSE", "margin": "MARGIN", "fte": "FTE", "whpuos": "WHPUOS"}  # fmt: skip
FLAG = '"Required";"Required";"Not required"'
MISSING = '0" to write";0" to write";"None"'

LAST_COL = 14  # N
YEAR_COL = 14
FREEZE = "A11"  # rows 1-10 (header and summary) stay in view


@dataclass(frozen=True)
class Style:
    """What a cell looks like; `role` decides font, fill, border and whether it is locked."""

    role: str = "label"  # title|info|note|section|header|label|total|input|given|computed|legend_*
    fmt: str = "General"
    align: str = ""  # horizontal alignment; "" = Excel's default for the value
    wrap: bool = False
    top: bool = False  # aligned to the top of a tall row

    @property
    def locked(self) -> bool:
        return self.role != "input"


@dataclass(frozen=True)
class Slot:
    """One cell: static text or number, a formula ("=..."), or None (written per cost center)."""

    value: object
    style: Style


@dataclass(frozen=True)
class Area:
    """A rectangle of cells, 1-based."""

    row: int
    col: int
    rows: int = 1
    cols: int = 1

    def cells(self) -> list[tuple[int, int]]:
        """Row-major (row, column) pairs."""
        return [
            (r, c)
            for r in range(self.row, self.row + self.rows)
            for c in range(self.col, self.col + self.cols)
        ]

    @property
    def ref(self) -> str:
        first = f"{get_column_letter(self.col)}{self.row}"
        if self.rows == self.cols == 1:
            return first
        last_row, last_col = self.row + self.rows - 1, self.col + self.cols - 1
        return f"{first}:{get_column_letter(last_col)}{last_row}"

    @property
    def absolute(self) -> str:
        """The ref with $ anchors, as a defined name stores it."""
        return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", self.ref)


@dataclass(frozen=True)
class Rule:
    """Data validation of one input name."""

    kind: str  # whole | decimal | list | textLength
    low: float | None
    high: float | None
    title: str  # input message title (<= 32 characters)
    prompt: str  # input message (<= 255 characters)
    percent: bool = False  # bounds are shares shown as percentages
    choices: tuple[str, ...] = ()  # a list: the values offered
    source: str = ""  # a list: the contract name whose cells hold the values offered

    @property
    def offered(self) -> tuple[str, ...]:
        """The values of a fixed list (priorities unless the rule names others)."""
        return self.choices or PRIORITIES

    def bound(self, value: float) -> str:
        return f"{value:.0%}" if self.percent else f"{value:,.15g}"

    @property
    def error(self) -> str:
        """The error alert (<= 225 characters)."""
        if self.kind == "list" and self.source:
            return "Choose one of the values in the list."
        if self.kind == "list":
            *first, last = self.offered
            return f"Choose {', '.join(first)} or {last} from the list."
        if self.kind == "textLength":
            return f"Keep it to {self.high:,.0f} characters or fewer."
        what = "a whole number" if self.kind == "whole" else "a number"
        low, high = self.bound(self.low or 0), self.bound(self.high or 0)
        return f"Enter {what} from {low} to {high}, or leave the cell blank."


@dataclass(frozen=True)
class Highlight:
    """A conditional format: fill `ref` in the warning colour while `formula` is true."""

    ref: str
    formula: str


@dataclass(frozen=True)
class Layout:
    cells: dict[tuple[int, int], Slot]
    names: dict[str, Area]  # contract name -> area
    fields: dict[str, tuple[int, int]]  # header field -> cell, written per cost center
    merges: tuple[Area, ...]
    widths: dict[int, float]
    heights: dict[int, float]
    rules: dict[str, Rule]  # input name -> validation
    highlights: tuple[Highlight, ...]
    last_row: int

    @property
    def print_area(self) -> str:
        return f"A1:{get_column_letter(LAST_COL)}{self.last_row}"

    def formulas(self) -> dict[str, str]:
        """Cell coordinate -> formula text of every formula on the sheet."""
        return {
            f"{get_column_letter(c)}{r}": s.value
            for (r, c), s in self.cells.items()
            if isinstance(s.value, str) and s.value.startswith("=")
        }

    def input_cells(self) -> set[tuple[int, int]]:
        """Every unlocked cell: the input names plus the rest of any merge they start."""
        cells = {rc for rc, s in self.cells.items() if not s.style.locked}
        for m in self.merges:
            if (m.row, m.col) in cells:
                cells.update(m.cells())
        return cells


class _Builder:
    """Places cells, names and merges; formulas name other cells as {key}, resolved at the end."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], Slot] = {}
        self.names: dict[str, Area] = {}
        self.fields: dict[str, tuple[int, int]] = {}
        self.refs: dict[str, str] = {}
        self.merges: list[Area] = []
        self.heights: dict[int, float] = {}
        self.rules: dict[str, Rule] = {}
        self.highlights: list[Highlight] = []

    def put(self, row: int, col: int, value: object, style: Style, key: str = "") -> None:
        self.cells[(row, col)] = Slot(value, style)
        if key:
            self.refs[key] = Area(row, col).ref

    def field(self, row: int, col: int, key: str, style: Style) -> None:
        self.put(row, col, None, style)
        self.fields[key] = (row, col)

    def name(
        self,
        name: str,
        area: Area,
        style: Style,
        formulas: list[str] | None = None,
        rule: Rule | None = None,
    ) -> None:
        """Place a contract name: empty cells (written per cost center) or formulas."""
        self.names[name] = area
        self.refs[name] = area.ref
        for i, (r, c) in enumerate(area.cells()):
            self.put(r, c, formulas[i] if formulas else None, style)
        if rule:
            self.rules[name] = rule

    def at(self, name: str, i: int) -> str:
        """The i-th cell (row-major) of a placed name."""
        r, c = self.names[name].cells()[i]
        return Area(r, c).ref

    def header(self, row: int, titles: list[str], first_col: int = 1) -> None:
        for i, t in enumerate(titles):
            if t:
                self.put(row, first_col + i, t, Style("header", align="center", wrap=True))

    def build(self, last_row: int, widths: dict[int, float]) -> Layout:
        cells = {
            rc: Slot(s.value.format_map(self.refs), s.style)
            if isinstance(s.value, str) and s.value.startswith("=")
            else s
            for rc, s in self.cells.items()
        }
        highlights = tuple(
            Highlight(h.ref.format_map(self.refs), h.formula.format_map(self.refs))
            for h in self.highlights
        )
        return Layout(
            cells=cells,
            names=dict(self.names),
            fields=dict(self.fields),
            merges=tuple(self.merges),
            widths=widths,
            heights=dict(self.heights),
            rules=dict(self.rules),
            highlights=highlights,
            last_row=last_row,
        )


LABEL = Style("label")
TOTAL = Style("total")
NOTE = Style("note")
INFO_LABEL = Style("total", align="right")
INFO = Style("info")

SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # header, number format, gap format
    ("Units of service", UNITS, GAP[direction("UOS")]),
    ("Net revenue $", MONEY, GAP[direction("REVENUE")]),
    ("Labor cost $", MONEY, GAP[direction("LABOR")]),
    ("Non-labor cost $", MONEY, GAP[direction("NONLABOR")]),
    ("Total expense $", MONEY, GAP[direction("EXPENSE")]),
    ("Margin $", MONEY, GAP[direction("MARGIN")]),
    ("FTEs", FTE, FTE_GAP[direction("FTE")]),
    ("Worked hrs per UOS", HOURS_PER_UNIT, HOURS_PER_UNIT_GAP[direction("WHPUOS")]),
)
RATIONALES: tuple[tuple[str, str, str, str], ...] = (
    # section label, rationale input, flag output, summary column key of the gap
    ("1. Volume: net revenue vs target", "hb_rationale_volume", "hb_need_rationale_volume", "rev"),
    ("2. Staffing: labor cost vs target", "hb_rationale_staffing", "hb_need_rationale_staffing",
     "labor"),
    ("3. Non-labor: cost vs target", "hb_rationale_nonlabor", "hb_need_rationale_nonlabor",
     "nonlabor"),
)  # fmt: skip
INSTRUCTIONS = (
    "Type only in the yellow cells (pre-filled with the top-down target; grey: prior year and "
    "target). A gap in red hurts the margin. Sheet Instructions: how to fill in and return."
)


def _header(b: _Builder) -> None:
    b.field(1, 1, "title", Style("title"))
    for col, (text, role) in enumerate(
        (("Input", "input"), ("Locked", "given"), ("Formula", "computed"), ("Explain", "warn")),
        start=11,
    ):
        b.put(1, col, text, Style(f"legend_{role}", align="center"))
    info = (
        (("System", "system"), ("Service line", "service_line"), ("Fiscal year", "fiscal_year")),
        (("Entity", "entity"), ("Cost center", "cost_center"), ("Due date", "due_date")),
        (("Manager", "manager"), ("Unit", "uos"), ("Template", "template")),
    )
    for row, triple in enumerate(info, start=2):
        for (label, key), col in zip(triple, (1, 7, 12), strict=True):
            b.put(row, col, label, INFO_LABEL if col > 1 else TOTAL)
            b.field(row, col + 1, key, INFO)
    b.put(5, 1, INSTRUCTIONS, Style("note_strong"))
    b.field(6, 1, "return", Style("note_strong"))


def _summary(b: _Builder) -> None:
    b.header(7, ["Summary (live)", *(h for h, _, _ in SUMMARY_COLUMNS), "Explanations missing"])
    b.heights[7] = 27
    keys = ("uos", "rev", "labor", "nonlabor", "expense", "margin", "fte", "whpuos")
    for row, label in ((8, "Your budget"), (9, "Top-down target"), (10, "Gap (yours - target)")):
        b.put(row, 1, label, TOTAL)
        for col, key in enumerate(keys, start=2):
            b.refs[f"{key}_{row}"] = Area(row, col).ref

    def out(name: str, col: int, formula: str, fmt: str) -> None:
        b.name(name, Area(8, col), Style("computed", fmt), [formula])

    comp = [fmt for _, fmt, _ in SUMMARY_COLUMNS]
    b.put(8, 2, "={hb_out_volume}", Style("computed", UNITS))
    out("hb_out_revenue", 3, "=ROUND({hb_out_volume}*{hb_revenue_per_uos},2)", comp[1])
    out("hb_out_labor", 4, "={salaries_total}+{hb_out_agency}+{hb_out_benefits}", comp[2])
    out(
        "hb_out_nonlabor",
        5,
        "={hb_out_supplies}+{hb_out_drugs}+{hb_out_purchased}+{hb_out_other}",
        comp[3],
    )
    out("hb_out_expense", 6, "={labor_8}+{nonlabor_8}", comp[4])
    out("hb_out_margin", 7, "={rev_8}-{expense_8}", comp[5])
    out("hb_out_fte", 8, "=ROUND(SUM({hb_fte})+SUM({hb_agency_fte}),2)", comp[6])
    out(
        "hb_out_whpuos",
        9,
        "=IF({hb_out_volume}=0,0,{hb_out_worked_hours}/{hb_out_volume})",
        comp[7],
    )
    missing = "+".join(
        f"({{{flag}}}=1)*(LEN(TRIM({{{text}}}))=0)" for _, text, flag, _ in RATIONALES
    )
    b.put(8, 10, f"={missing}", Style("computed", MISSING, align="center"), key="missing")
    b.highlights.append(Highlight("J8", "{missing}>0"))

    given = [
        ("hb_target_revenue", 3, MONEY),
        ("hb_target_labor", 4, MONEY),
        ("hb_target_nonlabor", 5, MONEY),
        ("hb_target_fte", 8, FTE),
        ("hb_whpuos_target", 9, HOURS_PER_UNIT),
    ]
    b.put(9, 2, "={volume_target_total}", Style("computed", UNITS))
    for name, col, fmt in given:
        b.name(name, Area(9, col), Style("given", fmt))
    b.put(9, 6, "={labor_9}+{nonlabor_9}", Style("computed", MONEY))
    b.put(9, 7, "={rev_9}-{expense_9}", Style("computed", MONEY))
    for col, (key, (_, _, fmt)) in enumerate(zip(keys, SUMMARY_COLUMNS, strict=True), start=2):
        formula = f"=ROUND({{{key}_8}}-{{{key}_9}},2)"
        if key == "margin":
            b.name("hb_out_gap_margin", Area(10, col), Style("computed", fmt), [formula])
        else:
            b.put(10, col, formula, Style("computed", fmt))


def _volume(b: _Builder, row: int) -> int:
    b.put(row, 1, "1. Volume: units of service by month", Style("section"))
    b.field(row + 1, 1, "uos_header", Style("header"))
    b.header(row + 1, [*MONTHS, "Year"], first_col=2)
    rows = (
        ("Prior-year actual", "hb_volume_prior", "given", "volume_prior_total"),
        ("Top-down target", "hb_volume_target", "given", "volume_target_total"),
        ("Your forecast", "hb_volume_forecast", "input", "hb_out_volume"),
    )
    for r, (label, name, role, total) in enumerate(rows, start=row + 2):
        b.put(r, 1, label, TOTAL if role == "input" else LABEL)
        rule = None
        if role == "input":
            # the upper bound is set per cost center (writer.volume_cap)
            rule = Rule(
                "whole",
                0,
                None,
                "Units of service",
                "Your forecast of units of service for the month: a whole number. Pre-filled "
                "with the top-down target.",
            )
        b.name(name, Area(r, 2, 1, 12), Style(role, UNITS), rule=rule)
        formula = f"=SUM({Area(r, 2, 1, 12).ref})"
        if total == "hb_out_volume":
            b.name(total, Area(r, YEAR_COL), Style("computed", UNITS), [formula])
        else:
            b.put(r, YEAR_COL, formula, Style("computed", UNITS), key=total)
    r = row + 5
    b.put(r, 1, "Net revenue per unit of service (top-down)", LABEL)
    b.name("hb_revenue_per_uos", Area(r, 2), Style("given", RATE))
    b.put(r, 3, "Net revenue = units of service in the year x net revenue per unit.", NOTE)
    return r + 2


STAFF_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    # header, contract name (or computed key), role, number format; each input has its prior
    # year (and FTEs their target) just left of it, for reference
    ("Prior-year FTEs", "hb_fte_prior", "given", FTE),
    ("Target FTEs", "hb_fte_target", "given", FTE),
    ("Budget FTEs", "hb_fte", "input", FTE),
    ("Prior-year wage $/h", "hb_wage_prior", "given", RATE),
    ("Wage rate $/h", "hb_wage_rate", "input", RATE),
    ("Prior-year overtime %", "hb_overtime_prior", "given", SHARE),
    ("Overtime %", "hb_overtime_pct", "input", SHARE),
    ("Prior-year agency FTEs", "hb_agency_fte_prior", "given", FTE),
    ("Agency FTEs", "hb_agency_fte", "input", FTE),
    ("Agency rate $/h", "hb_agency_rate", "given", RATE),
    ("Salaries $", "hb_out_salaries", "computed", MONEY),
    ("Agency cost $", "agency_cost", "computed", MONEY),
    ("Worked hours", "worked_hours", "computed", UNITS),
)
STAFF_RULES: dict[str, Rule] = {
    "hb_fte": Rule("decimal", 0, 500, "Budget FTEs", "Paid FTEs of employed staff in this job "
                   f"class ({HOURS_PER_FTE:,} paid hours = 1 FTE). Pre-filled with the top-down "
                   "target."),
    "hb_wage_rate": Rule("decimal", 0, 500, "Wage rate $/hour", "Average straight-time hourly "
                         "wage for the budget year. Pre-filled with the target (prior year + "
                         "wage inflation)."),
    "hb_overtime_pct": Rule("decimal", 0, 0.5, "Overtime %", "Overtime hours as a share of "
                            "worked hours, e.g. 3% (type 3%). Paid at "
                            f"{1 + OVERTIME_PREMIUM:g}x the wage rate.", percent=True),
    "hb_agency_fte": Rule("decimal", 0, 200, "Agency FTEs", "Contract (agency) FTEs; billed at "
                          f"the agency rate shown for {HOURS_PER_FTE:,} hours each."),
}  # fmt: skip


def _staff_formulas(b: _Builder, i: int) -> dict[str, str]:
    """The computed cells of job-class row i: salaries, agency cost, worked hours."""
    fte, wage, ot, agy, rate = (
        b.at(n, i)
        for n in ("hb_fte", "hb_wage_rate", "hb_overtime_pct", "hb_agency_fte", "hb_agency_rate")
    )
    pr = "{hb_productive_ratio}"
    h, prem = HOURS_PER_FTE, OVERTIME_PREMIUM
    return {
        "hb_out_salaries": f"=ROUND({fte}*{h}*{wage}+{fte}*{h}*{pr}*{ot}*{wage}*{prem},2)",
        "agency_cost": f"={agy}*{h}*{rate}",
        "worked_hours": f"={fte}*{h}*{pr}+{agy}*{h}",
    }


def _staffing(b: _Builder, row: int) -> int:
    n = len(JOB_CLASSES)
    b.put(row, 1, "2. Staffing by job class", Style("section"))
    b.header(row + 1, ["Job class", *(h for h, _, _, _ in STAFF_COLUMNS)])
    b.heights[row + 1] = 27
    first = row + 2
    for i, j in enumerate(JOB_CLASSES):
        b.put(first + i, 1, f"{j}  {JOB_CLASS_NAMES[j]}", LABEL)
    total = first + n
    columns = list(enumerate(STAFF_COLUMNS, start=2))
    # givens and inputs first: the computed columns' formulas point at them
    for col, (_, key, role, fmt) in columns:
        if role != "computed":
            b.name(key, Area(first, col, n, 1), Style(role, fmt), rule=STAFF_RULES.get(key))
    rows = [_staff_formulas(b, i) for i in range(n)]
    for col, (_, key, role, fmt) in columns:
        if role != "computed":
            continue
        formulas = [f[key] for f in rows]
        if key.startswith("hb_"):
            b.name(key, Area(first, col, n, 1), Style("computed", fmt), formulas)
        else:
            for i, f in enumerate(formulas):
                b.put(first + i, col, f, Style("computed", fmt))
    b.put(total, 1, "Total", TOTAL)
    col_of = {key: col for col, (_, key, _, _) in enumerate(STAFF_COLUMNS, start=2)}
    for key in ("hb_fte_prior", "hb_fte_target", "hb_fte", "hb_agency_fte_prior", "hb_agency_fte"):
        col = col_of[key]
        b.put(total, col, f"=SUM({Area(first, col, n, 1).ref})", Style("computed", FTE))
    sal = Area(first, col_of["hb_out_salaries"], n, 1)
    b.put(total, sal.col, f"=SUM({sal.ref})", Style("computed", MONEY), key="salaries_total")
    agy = Area(first, col_of["agency_cost"], n, 1)
    b.name(
        "hb_out_agency",
        Area(total, agy.col),
        Style("computed", MONEY),
        [f"=ROUND(SUM({agy.ref}),2)"],
    )
    wh = Area(first, col_of["worked_hours"], n, 1)
    b.name(
        "hb_out_worked_hours",
        Area(total, wh.col),
        Style("computed", UNITS),
        [f"=ROUND(SUM({wh.ref}),2)"],
    )
    r = total + 1
    b.put(r, 1, "Productive ratio (worked / paid hours)", LABEL)
    b.name("hb_productive_ratio", Area(r, 2), Style("given", SHARE))
    b.put(r + 1, 1, "Benefits load (benefits $ per salary $)", LABEL)
    b.name("hb_benefits_load", Area(r + 1, 2), Style("given", SHARE))
    b.put(r + 2, 1, "Employee benefits $", LABEL)
    b.name(
        "hb_out_benefits",
        Area(r + 2, 2),
        Style("computed", MONEY),
        ["=ROUND({salaries_total}*{hb_benefits_load},2)"],
    )
    b.put(r + 3, 1, "Worked hours per UOS: budget | target", LABEL)
    b.put(r + 3, 2, "={whpuos_8}", Style("computed", HOURS_PER_UNIT))
    b.put(r + 3, 3, "={whpuos_9}", Style("computed", HOURS_PER_UNIT))
    notes = (
        f"Salaries = FTEs x {HOURS_PER_FTE:,} paid hours x wage rate, plus overtime hours "
        f"(worked hours x overtime %) x wage rate x {OVERTIME_PREMIUM}.",
        f"Agency cost = agency FTEs x {HOURS_PER_FTE:,} hours x agency rate. "
        "Benefits = salaries x benefits load.",
        f"Worked hours = FTEs x {HOURS_PER_FTE:,} x productive ratio + agency FTEs x "
        f"{HOURS_PER_FTE:,}. Labor cost = salaries + agency + benefits.",
        "Worked hours per UOS (labor intensity) = worked hours / units of service.",
    )
    for k, text in enumerate(notes):
        b.put(r + k, 4, text, NOTE)
    return r + 5


NONLABOR_ROWS: tuple[tuple[str, str, str, str, str, str, Rule], ...] = (
    # label, prior name, target name, input name, output name, format, validation
    ("Supplies $ per unit of service", "hb_supplies_prior", "hb_supplies_target",
     "hb_supplies_per_uos", "hb_out_supplies", RATE,
     Rule("decimal", 0, 100_000, "Supplies $ per UOS", "Supply cost per unit of service. "
          "Pre-filled with the top-down target (prior year + supply inflation); the annual cost "
          "is this x your forecast units.")),
    ("Drugs $ per unit of service", "hb_drugs_prior", "hb_drugs_target", "hb_drugs_per_uos",
     "hb_out_drugs", RATE,
     Rule("decimal", 0, 100_000, "Drugs $ per UOS", "Drug cost per unit of service. Pre-filled "
          "with the top-down target (prior year + drug inflation); the annual cost is this x "
          "your forecast units.")),
    ("Purchased services $ (year)", "hb_purchased_prior", "hb_purchased_target",
     "hb_purchased_services", "hb_out_purchased", MONEY,
     Rule("decimal", 0, 1e9, "Purchased services $", "Purchased services for the whole year "
          "(contracts, maintenance, consultants). Pre-filled with the top-down target (prior "
          "year + inflation).")),
    ("Other expense $ (year)", "hb_other_prior", "hb_other_target", "hb_other_expense",
     "hb_out_other", MONEY,
     Rule("decimal", 0, 1e9, "Other expense $", "All other expense for the whole year (rent, "
          "travel, education, minor equipment). Pre-filled with the top-down target (prior "
          "year + inflation).")),
)  # fmt: skip
NONLABOR_GAP = GAP[direction("NONLABOR")]


def _nonlabor(b: _Builder, row: int) -> int:
    b.put(row, 1, "3. Non-labor", Style("section"))
    b.header(row + 1, ["Item", "Prior year", "Top-down target", "Your budget", "Annual cost $",
                       "Target annual cost $", "Gap (yours - target) $"])  # fmt: skip
    b.heights[row + 1] = 27
    for r, (label, prior, target, name, out, fmt, rule) in enumerate(NONLABOR_ROWS, start=row + 2):
        b.put(r, 1, label, LABEL)
        b.name(prior, Area(r, 2), Style("given", fmt))
        b.name(target, Area(r, 3), Style("given", fmt))
        b.name(name, Area(r, 4), Style("input", fmt), rule=rule)
        per_unit = fmt == RATE
        yours, theirs = (
            (f"=ROUND({{{volume}}}*{Area(r, col).ref},2)" if per_unit
             else f"=ROUND({Area(r, col).ref},2)")
            for volume, col in (("hb_out_volume", 4), ("volume_target_total", 3))
        )  # fmt: skip
        b.name(out, Area(r, 5), Style("computed", MONEY), [yours])
        b.put(r, 6, theirs, Style("computed", MONEY))
        b.put(r, 7, f"=ROUND({Area(r, 5).ref}-{Area(r, 6).ref},2)", Style("computed", NONLABOR_GAP))
        if per_unit:
            b.put(r, 8, "x units of service in the year (yours | target)", NOTE)
    total = row + 2 + len(NONLABOR_ROWS)
    b.put(total, 1, "Total non-labor", TOTAL)
    b.put(total, 5, "={hb_out_nonlabor}", Style("computed", MONEY))
    b.put(total, 6, "={nonlabor_9}", Style("computed", MONEY))
    b.put(total, 7, "={nonlabor_10}", Style("computed", NONLABOR_GAP))
    return total + 2


# capital section columns: A item, B amount, C priority, D-E category, F life, G in service,
# H-N justification
CAPITAL_JUSTIFICATION_COL = 8


def _capital(b: _Builder, row: int) -> int:
    b.put(row, 1, "4. Capital requests (optional)", Style("section"))
    b.header(row + 1, ["Item", "Amount $", "Priority", "Category", "", "Useful life (months)",
                       "In service (month)", "Justification"])  # fmt: skip
    b.merges.append(Area(row + 1, 4, 1, 2))
    b.merges.append(Area(row + 1, CAPITAL_JUSTIFICATION_COL, 1, LAST_COL - 7))
    b.heights[row + 1] = 27
    first = row + 2
    n = CAPITAL_ROWS
    text = Style("input", "@", wrap=True)
    b.name(
        "hb_capital_item",
        Area(first, 1, n, 1),
        text,
        rule=Rule("textLength", 0, 100, "Capital item", "What you ask for, e.g. 'Vital signs "
                  "monitors (12)'. One item or project per row."),
    )  # fmt: skip
    b.name(
        "hb_capital_amount",
        Area(first, 2, n, 1),
        Style("input", MONEY),
        rule=Rule("decimal", 0, 1e8, "Capital amount $", "Total cost of the item in dollars, "
                  "including installation."),
    )  # fmt: skip
    b.name(
        "hb_capital_priority",
        Area(first, 3, n, 1),
        Style("input", align="center"),
        rule=Rule("list", None, None, "Priority", "Pick High, Medium or Low from the list."),
    )
    b.name(
        "hb_capital_category",
        Area(first, 4, n, 1),
        Style("input", align="center"),
        rule=Rule("list", None, None, "Category", "Pick the capital category from finance's "
                  "list (shown below the requests).", source="hb_capital_categories"),
    )  # fmt: skip
    b.name(
        "hb_capital_life",
        Area(first, 6, n, 1),
        Style("input", UNITS, align="center"),
        rule=Rule("whole", 1, MAX_LIFE_MONTHS, "Useful life (months)", "How many months the item will be "
                  "used, e.g. 60 for five years: it is depreciated straight line over them."),
    )  # fmt: skip
    b.name(
        "hb_capital_in_service",
        Area(first, 7, n, 1),
        Style("input", align="center"),
        rule=Rule("list", None, None, "In-service month", "The month of the budget year the "
                  f"item goes into use; blank: {MONTHS[DEFAULT_IN_SERVICE_MONTH - 1]} (mid-year).",
                  choices=MONTHS),
    )  # fmt: skip
    b.name(
        "hb_capital_justification",
        Area(first, CAPITAL_JUSTIFICATION_COL, n, 1),
        text,
        rule=Rule("textLength", 0, 500, "Justification", "Why it is needed: safety, volume, "
                  "replacement of failing equipment, return on investment."),
    )  # fmt: skip
    for i in range(n):
        b.merges.append(Area(first + i, 4, 1, 2))
        b.merges.append(Area(first + i, CAPITAL_JUSTIFICATION_COL, 1, LAST_COL - 7))
    total = first + n
    b.put(total, 1, "Total capital requested", TOTAL)
    b.put(total, 2, f"=SUM({Area(first, 2, n, 1).ref})", Style("computed", MONEY))
    # finance's categories on the total row, so the sections below keep their rows
    b.put(total, 4, "Categories from finance:", LABEL)
    b.name("hb_capital_categories", Area(total, 6, 1, CATEGORY_SLOTS),
           Style("given", "@", wrap=True, align="center"))  # fmt: skip
    b.heights[total] = 27
    return total + 2


def _rationale(b: _Builder, row: int) -> int:
    b.put(
        row,
        1,
        "5. Rationale: required where a section departs from its top-down target beyond tolerance",
        Style("section"),
    )
    b.put(row + 1, 1, "Tolerance: explain a gap larger than both", LABEL)
    b.name("hb_tolerance_pct", Area(row + 1, 2), Style("given", PCT))
    b.name("hb_tolerance_amount", Area(row + 1, 3), Style("given", MONEY))
    b.put(row + 1, 4, "(percent of the target, and dollars)", NOTE)
    b.header(row + 2, ["Section", "Top-down target $", "Gap $", "Explanation", "Rationale"])
    b.heights[row + 2] = 27
    b.merges.append(Area(row + 2, 5, 1, LAST_COL - 4))
    for r, (label, text, flag, key) in enumerate(RATIONALES, start=row + 3):
        b.put(r, 1, label, Style("label", top=True))
        b.put(r, 2, f"={{{key}_9}}", Style("computed", MONEY, top=True))
        gap = Area(r, 3).ref
        gap_format = GAP[direction(GAP_CODES[key])]
        b.put(r, 3, f"={{{key}_10}}", Style("computed", gap_format, top=True))
        target = f"{{{key}_9}}"
        b.name(
            flag,
            Area(r, 4),
            Style("computed", FLAG, align="center", top=True),
            [
                f"=IF(AND(ABS({gap})>{{hb_tolerance_amount}},"
                f"ABS({gap})>{{hb_tolerance_pct}}*ABS({target})),1,0)"
            ],
        )
        b.name(
            text,
            Area(r, 5),
            Style("input", "@", wrap=True),
            rule=Rule("textLength", 0, 1000, "Rationale", "Required when the Explanation cell "
                      "says Required: what drives the gap to the top-down target, and why it "
                      "is right for next year."),
        )  # fmt: skip
        b.merges.append(Area(r, 5, 1, LAST_COL - 4))
        b.heights[r] = 30
        b.highlights.append(
            Highlight(Area(r, 5, 1, LAST_COL - 4).ref, f"AND({{{flag}}}=1,LEN(TRIM({{{text}}}))=0)")
        )
        b.highlights.append(Highlight(f"{{{key}_10}}", f"{{{flag}}}=1"))
    return row + 2 + len(RATIONALES)


@dataclass(frozen=True)
class Variant:
    """What may differ between cost centers' Budget sheets: styles only, never a cell's place,
    formula or name (intake reads every variant by the same contract)."""

    volume_locked: bool = False  # the unit of service is a hospital-wide statistic: finance's
    revenue: bool = True  # revenue and margin figures shown only where there is revenue


DEFAULT = Variant()
VARIANTS = tuple(Variant(locked, revenue) for locked in (False, True) for revenue in (True, False))
NOT_APPLICABLE = '"n/a";"n/a";"n/a";"n/a"'  # a figure that does not apply (margin, no revenue)
NO_REVENUE_CELLS = ((8, 3), (9, 3), (10, 3), (8, 7), (9, 7), (10, 7))  # revenue and margin


def variant_of(t: CostCenterTarget) -> Variant:
    """The layout variant of one cost center's template."""
    revenue = bool(t.drivers.revenue_per_uos or t.prior.revenue_per_uos)
    return Variant(volume_locked=t.cost_center.hospital_wide_uos, revenue=revenue)


@cache
def _base() -> Layout:
    b = _Builder()
    _header(b)
    row = _volume(b, 12)
    row = _staffing(b, row)
    row = _nonlabor(b, row)
    row = _capital(b, row)
    last = _rationale(b, row)
    _summary(b)  # last: its formulas point at every section
    widths = {1: 38.0, **dict.fromkeys(range(2, LAST_COL), 11.5), LAST_COL: 12.5}
    return b.build(last, widths)


@cache
def layout(variant: Variant = Variant()) -> Layout:
    """The Budget sheet's layout for a variant (built once per process; treat as read-only)."""
    base = _base()
    cells = dict(base.cells)
    if variant.volume_locked:
        for rc in base.names["hb_volume_forecast"].cells():
            cells[rc] = Slot(cells[rc].value, replace(cells[rc].style, role="given"))
    if not variant.revenue:
        for rc in (*NO_REVENUE_CELLS, *base.names["hb_revenue_per_uos"].cells()):
            cells[rc] = Slot(cells[rc].value, replace(cells[rc].style, fmt=NOT_APPLICABLE))
    out = replace(base, cells=cells)
    check(out, variant)
    return out


def check(lay: Layout, variant: Variant = Variant()) -> None:
    """The layout honours the contract: every name placed with its shape and role (a variant
    may lock the volume forecast: finance's, for a hospital-wide statistic)."""
    locked_inputs = {"hb_volume_forecast"} if variant.volume_locked else set()
    for n in NAMES:
        area = lay.names.get(n.name)
        if area is None or (area.rows, area.cols) != (n.rows, n.cols):
            raise RuntimeError(f"layout: {n.name} missing or misshapen")
        cells = [lay.cells[rc] for rc in area.cells()]
        if n.role is Role.OUTPUT and not all(str(s.value).startswith("=") for s in cells):
            raise RuntimeError(f"layout: {n.name} must be formulas")
        if n.name not in locked_inputs and (n.role is Role.INPUT) == any(
            s.style.locked for s in cells
        ):
            raise RuntimeError(f"layout: {n.name} locked/unlocked wrongly")
        if n.role is Role.INPUT and n.name not in lay.rules:
            raise RuntimeError(f"layout: {n.name} has no validation")

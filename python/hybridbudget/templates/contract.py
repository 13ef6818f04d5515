"""The template contract: the workbook-level defined names intake reads by, and their shapes.

Every generated template defines each name below as a workbook-level defined name pointing at a
range on the Budget sheet. Intake (validate, consolidate) reads submissions by these names only,
never by cell address, so the layout can change without breaking intake; a schema version change
is needed only when a name is added, removed or changes shape. README lists the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..model.line_items import JOB_CLASSES

SCHEMA_VERSION = "2"  # 2: prior-year overtime and agency, non-labor targets
BUDGET_SHEET = "Budget"
META_SHEET = "Meta"  # very hidden: template metadata, never edited by managers
CAPITAL_ROWS = 5
PRIORITIES: tuple[str, ...] = ("High", "Medium", "Low")
CATEGORY_SLOTS = 8  # finance's capital categories listed on the template (Guardrails, at most 8)
META_KEYS: tuple[str, ...] = (
    "template_id",
    "cost_center",
    "entity",
    "fiscal_year",
    "schema_version",
    "template_version",
    "generated_at",
    "generator",
    "fingerprint",
)


class Role(StrEnum):
    INPUT = "input"  # unlocked, shaded, validated; the manager types here
    GIVEN = "given"  # locked values written by finance (history, targets, parameters)
    OUTPUT = "output"  # locked live formulas


@dataclass(frozen=True)
class Name:
    name: str
    rows: int
    cols: int
    role: Role
    kind: str  # number | text | list
    description: str

    @property
    def cells(self) -> int:
        return self.rows * self.cols


_J = len(JOB_CLASSES)
IN, GIVEN, OUT = Role.INPUT, Role.GIVEN, Role.OUTPUT

NAMES: tuple[Name, ...] = (
    # inputs
    Name("hb_volume_forecast", 1, 12, IN, "number", "Units of service by month, Jan..Dec"),
    Name("hb_fte", _J, 1, IN, "number", "Budget paid FTEs by job class (RN, LPN, CNA, TECH, CLER, MGMT)"),
    Name("hb_wage_rate", _J, 1, IN, "number", "Budget straight-time wage rate $/hour by job class"),
    Name("hb_overtime_pct", _J, 1, IN, "number", "Overtime hours as a share of worked hours by job class"),
    Name("hb_agency_fte", _J, 1, IN, "number", "Agency (contract) FTEs by job class"),
    Name("hb_supplies_per_uos", 1, 1, IN, "number", "Supplies $ per unit of service"),
    Name("hb_drugs_per_uos", 1, 1, IN, "number", "Drugs $ per unit of service"),
    Name("hb_purchased_services", 1, 1, IN, "number", "Purchased services $ for the year"),
    Name("hb_other_expense", 1, 1, IN, "number", "Other expense $ for the year"),
    Name("hb_capital_item", CAPITAL_ROWS, 1, IN, "text", "Capital request: item"),
    Name("hb_capital_amount", CAPITAL_ROWS, 1, IN, "number", "Capital request: amount $"),
    Name("hb_capital_priority", CAPITAL_ROWS, 1, IN, "list", "Capital request: High / Medium / Low"),
    Name("hb_capital_justification", CAPITAL_ROWS, 1, IN, "text", "Capital request: justification"),
    Name("hb_capital_category", CAPITAL_ROWS, 1, IN, "list", "Capital request: category (finance's list)"),
    Name("hb_capital_life", CAPITAL_ROWS, 1, IN, "number", "Capital request: useful life in months"),
    Name("hb_capital_in_service", CAPITAL_ROWS, 1, IN, "list", "Capital request: in-service month, Jan..Dec"),
    Name("hb_rationale_volume", 1, 1, IN, "text", "Why the volume forecast departs from the target"),
    Name("hb_rationale_staffing", 1, 1, IN, "text", "Why staffing cost departs from the target"),
    Name("hb_rationale_nonlabor", 1, 1, IN, "text", "Why non-labor cost departs from the target"),
    # givens
    Name("hb_volume_prior", 1, 12, GIVEN, "number", "Prior-year units of service by month"),
    Name("hb_volume_target", 1, 12, GIVEN, "number", "Top-down target units of service by month"),
    Name("hb_fte_prior", _J, 1, GIVEN, "number", "Prior-year paid FTEs by job class (payroll)"),
    Name("hb_wage_prior", _J, 1, GIVEN, "number", "Prior-year wage rate by job class (payroll)"),
    Name("hb_overtime_prior", _J, 1, GIVEN, "number", "Prior-year overtime share by job class (payroll)"),
    Name("hb_agency_fte_prior", _J, 1, GIVEN, "number", "Prior-year agency FTEs by job class (payroll)"),
    Name("hb_fte_target", _J, 1, GIVEN, "number", "Top-down target FTEs by job class"),
    Name("hb_agency_rate", _J, 1, GIVEN, "number", "Agency hourly rate by job class"),
    Name("hb_revenue_per_uos", 1, 1, GIVEN, "number", "Net revenue per unit of service (top-down)"),
    Name("hb_productive_ratio", 1, 1, GIVEN, "number", "Worked / paid hours of employed staff"),
    Name("hb_benefits_load", 1, 1, GIVEN, "number", "Benefits per salary dollar"),
    Name("hb_whpuos_target", 1, 1, GIVEN, "number", "Target worked hours per unit of service"),
    Name("hb_supplies_prior", 1, 1, GIVEN, "number", "Prior-year supplies $ per UOS"),
    Name("hb_drugs_prior", 1, 1, GIVEN, "number", "Prior-year drugs $ per UOS"),
    Name("hb_purchased_prior", 1, 1, GIVEN, "number", "Prior-year purchased services $"),
    Name("hb_other_prior", 1, 1, GIVEN, "number", "Prior-year other expense $"),
    Name("hb_supplies_target", 1, 1, GIVEN, "number", "Top-down supplies $ per UOS"),
    Name("hb_drugs_target", 1, 1, GIVEN, "number", "Top-down drugs $ per UOS"),
    Name("hb_purchased_target", 1, 1, GIVEN, "number", "Top-down purchased services $"),
    Name("hb_other_target", 1, 1, GIVEN, "number", "Top-down other expense $"),
    Name("hb_target_revenue", 1, 1, GIVEN, "number", "Top-down net revenue"),
    Name("hb_target_labor", 1, 1, GIVEN, "number", "Top-down labor cost (salaries, agency, benefits)"),
    Name("hb_target_nonlabor", 1, 1, GIVEN, "number", "Top-down non-labor cost"),
    Name("hb_target_fte", 1, 1, GIVEN, "number", "Top-down FTEs (employed + agency)"),
    Name("hb_tolerance_pct", 1, 1, GIVEN, "number", "Divergence tolerance, percent"),
    Name("hb_tolerance_amount", 1, 1, GIVEN, "number", "Divergence tolerance, dollars"),
    Name("hb_capital_categories", 1, CATEGORY_SLOTS, GIVEN, "text", "Capital categories finance lists (Guardrails)"),
    # outputs (live formulas)
    Name("hb_out_volume", 1, 1, OUT, "number", "Annual units of service"),
    Name("hb_out_salaries", _J, 1, OUT, "number", "Salaries by job class"),
    Name("hb_out_agency", 1, 1, OUT, "number", "Contract (agency) labor"),
    Name("hb_out_benefits", 1, 1, OUT, "number", "Employee benefits"),
    Name("hb_out_supplies", 1, 1, OUT, "number", "Supplies"),
    Name("hb_out_drugs", 1, 1, OUT, "number", "Drugs"),
    Name("hb_out_purchased", 1, 1, OUT, "number", "Purchased services"),
    Name("hb_out_other", 1, 1, OUT, "number", "Other expense"),
    Name("hb_out_revenue", 1, 1, OUT, "number", "Net revenue"),
    Name("hb_out_labor", 1, 1, OUT, "number", "Labor cost"),
    Name("hb_out_nonlabor", 1, 1, OUT, "number", "Non-labor cost"),
    Name("hb_out_expense", 1, 1, OUT, "number", "Total expense"),
    Name("hb_out_margin", 1, 1, OUT, "number", "Margin (net revenue - expense)"),
    Name("hb_out_fte", 1, 1, OUT, "number", "FTEs (employed + agency)"),
    Name("hb_out_worked_hours", 1, 1, OUT, "number", "Worked hours (employed + agency)"),
    Name("hb_out_whpuos", 1, 1, OUT, "number", "Worked hours per unit of service"),
    Name("hb_out_gap_margin", 1, 1, OUT, "number", "Margin minus top-down margin"),
    Name("hb_need_rationale_volume", 1, 1, OUT, "number", "1 when a volume rationale is required"),
    Name("hb_need_rationale_staffing", 1, 1, OUT, "number", "1 when a staffing rationale is required"),
    Name("hb_need_rationale_nonlabor", 1, 1, OUT, "number", "1 when a non-labor rationale is required"),
)  # fmt: skip
NAME_BY_ID: dict[str, Name] = {n.name: n for n in NAMES}
INPUT_NAMES: tuple[Name, ...] = tuple(n for n in NAMES if n.role is Role.INPUT)
OUTPUT_NAMES: tuple[Name, ...] = tuple(n for n in NAMES if n.role is Role.OUTPUT)

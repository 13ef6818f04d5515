"""Sheet names, block titles and columns of the control workbook: shared by writer and reader."""

from __future__ import annotations

from ..engine.escalation import COMBINE
from ..engine.rollup import SCALARS, STAFF_FIELDS
from ..model.line_items import JOB_CLASSES, LINE_ITEMS, MONTHS
from ..workbook.spec import Column
from ..workbook.spec import Column as C

GUARDRAILS = "Guardrails"
ORGANIZATION = "Organization"
JOB_CLASSES_SHEET = "Job Classes"
ACCOUNT_MAP = "Account Map"
HISTORY = "History"
STAFFING_HISTORY = "Staffing History"
TARGETS = "Targets"
TARGET_DRIVERS = "Target Drivers"
TARGET_STAFFING = "Target Staffing"
ASSUMPTIONS = "Assumptions"
GLOSSARY = "Glossary"
DECISION_GUIDE = "Decision Guide"
IMPORT_ISSUES = "Import Issues"

# Blocks (title -> columns)
GUARDRAIL_BLOCK = "Guardrails"
GUARDRAIL_COLUMNS = (
    C("Group", "group", width=22),
    C("Setting", "label", width=42),
    C("Value", "value", "text", width=26, editable=True),  # wide enough for the system name
    C("Unit", "unit", width=12),
    C("Meaning", "meaning", width=70, wrap=True),
    C("Key", "key", width=36),
)
CAPITAL_PRIORITY_BLOCK = "Capital priorities"
CAPITAL_PRIORITY_COLUMNS = (
    C("Category", "category", width=22, editable=True),
    C("Weight", "weight", "rate", width=10, editable=True),
    C("Meaning", "meaning", width=70, editable=True),
)
GUARDRAIL_BLOCKS = (GUARDRAIL_BLOCK, CAPITAL_PRIORITY_BLOCK)
ESCALATION_BLOCK = "Escalation levels"
ESCALATION_COLUMNS = (
    C("Level", "level", "int", width=8, editable=True),
    C("Escalate to", "role", width=24, editable=True),
    C("Gap % at or above", "pct", "pct", width=12, editable=True),
    C("Gap $ at or above", "amount", "money", width=16, editable=True),
    C("Decides", "decides", width=80, editable=True, wrap=True),
)
ESCALATION_RULE_BLOCK = "How the thresholds combine"
ESCALATION_RULE_COLUMNS = (
    C("Setting", "label", width=24),
    C("Value", "value", width=12, editable=True, choices=COMBINE),
    C("Meaning", "meaning", width=80, wrap=True),
    C("Key", "key", width=24),
)
DECISION_GUIDE_BLOCKS = (ESCALATION_BLOCK, ESCALATION_RULE_BLOCK)
ENTITY_BLOCK = "Entities"
ENTITY_COLUMNS = (
    C("Entity code", "entity_code", width=14, editable=True),
    C("Entity name", "entity_name", width=34, editable=True),
    C("Entity type", "entity_type", width=16, editable=True),
    C("Beds", "beds", "int", editable=True),
)
SERVICE_LINE_BLOCK = "Service lines"
SERVICE_LINE_COLUMNS = (
    C("Service line code", "service_line_code", width=14, editable=True),
    C("Service line name", "service_line_name", width=34, editable=True),
    C("Entity code", "entity_code", width=16, editable=True),
)
COST_CENTER_BLOCK = "Cost centers"
COST_CENTER_COLUMNS = (
    C("Cost center code", "cost_center_code", width=14, editable=True),
    C("Cost center name", "cost_center_name", width=40, editable=True),
    C("Service line code", "service_line_code", width=16, editable=True),
    C("Type", "cost_center_type", width=11, editable=True),
    C("Unit of service", "uos", width=20, editable=True),
    C("Stat code", "stat_code", width=10, editable=True),
    C("CMS code", "cms_code", width=9, editable=True),
    C("Manager", "owner_name", width=22, editable=True),
    C("Manager email", "owner_email", width=34, editable=True),
)
JOB_CLASS_BLOCK = "Job classes"
JOB_CLASS_COLUMNS = (
    C("Job class", "job_class", width=10),
    C("Job class name", "job_class_name", width=30, editable=True),
    C("FTE band low (x target)", "fte_band_low", "pct", width=13, editable=True),
    C("FTE band high (x target)", "fte_band_high", "pct", width=13, editable=True),
    C("Wage min ($/hr)", "wage_min", "rate", width=11, editable=True),
    C("Wage max ($/hr)", "wage_max", "rate", width=11, editable=True),
)
JOB_CODE_BLOCK = "Payroll job codes"
JOB_CODE_COLUMNS = (
    C("Job code", "job_code", width=10, editable=True),
    C("Job title", "job_title", width=46, editable=True),
    C("Job class", "job_class", width=13, editable=True),
)
ACCOUNT_BLOCK = "GL accounts"
ACCOUNT_COLUMNS = (
    C("Account", "account", width=10, editable=True),
    C("Account name", "account_name", width=50, editable=True),
    C("Line item", "line_item", width=13, editable=True),
)
LINE_ITEM_BLOCK = "Budget line items"
LINE_ITEM_COLUMNS = (
    C("Line item", "code", width=10),
    C("Name", "name", width=30),
    C("Kind", "kind", width=13),
    C("Inflation category", "inflation", width=19),
)

HISTORY_BLOCK = "Monthly history by cost center"
HISTORY_COLUMNS = (
    C("Cost center", "cost_center", width=12),
    C("Period", "period", width=9),
    C("UOS", "UOS", "int"),
    *(C(li.name, li.code, "money", width=14) for li in LINE_ITEMS),
)
STAFFING_BLOCK = "Payroll by cost center and job class"
STAFFING_COLUMNS = (
    C("Cost center", "cost_center", width=12),
    C("Job class", "job_class", width=9),
    C("Regular hours", "REG_HOURS", "hours"),
    C("Overtime hours", "OT_HOURS", "hours"),
    C("PTO hours", "PTO_HOURS", "hours"),
    C("Agency hours", "AGY_HOURS", "hours"),
    C("Regular earnings", "REG_AMOUNT", "money"),
    C("Overtime earnings", "OT_AMOUNT", "money"),
    C("PTO earnings", "PTO_AMOUNT", "money"),
    C("Agency cost", "AGY_AMOUNT", "money"),
)

TARGET_BLOCK = "Top-down targets by cost center and line item"
TARGET_COLUMNS = (
    C("Cost center", "cost_center", width=12),
    C("Cost center name", "cost_center_name", width=34),
    C("Service line", "service_line_code", width=12),
    C("Entity", "entity_code", width=8),
    C("Line item", "line_item", width=9),
    C("Line item name", "line_item_name", width=24),
    C("Annual", "annual", "money", width=15),
    *(C(m, f"m{i:02d}", "money", width=13) for i, m in enumerate(MONTHS, start=1)),
)
MARGIN_BLOCK = "Margin reconciliation"
MARGIN_COLUMNS = (
    C("Level", "level", width=12),
    C("Name", "name", width=28),
    C("Net revenue", "revenue", "money"),
    C("Expense", "expense", "money"),
    C("Margin", "margin", "money"),
    C("Margin %", "margin_pct", "pct2"),
    C("Target margin %", "target_margin_pct", "pct2"),
    C("Margin at target", "target_margin", "money"),
    C("Gap to target", "gap", "money"),
)
DRIVER_BLOCK = "Top-down drivers by cost center"
DRIVER_COLUMNS = (
    C("Cost center", "cost_center", width=12),
    C("Cost center name", "cost_center_name", width=34),
    C("Type", "cost_center_type", width=10),
    C("Unit of service", "uos", width=22),
    C("Prior-year UOS", "py_uos", "int"),
    C("Volume growth", "growth", "pct"),
    C("Target UOS", "uos_target", "int"),
    C("Prior net revenue / UOS", "py_rev_per_uos", "rate"),
    C("Target net revenue / UOS", "rev_per_uos", "rate"),
    C("Productive ratio", "productive_ratio", "ratio"),
    C("Prior worked hrs / UOS", "py_whpuos", "ratio"),
    C("Target worked hrs / UOS", "whpuos", "ratio"),
    C("Prior benefits load", "py_benefits_load", "ratio"),
    C("Target benefits load", "benefits_load", "ratio"),
    C("Prior supplies / UOS", "py_supplies_per_uos", "rate"),
    C("Target supplies / UOS", "supplies_per_uos", "rate"),
    C("Prior drugs / UOS", "py_drugs_per_uos", "rate"),
    C("Target drugs / UOS", "drugs_per_uos", "rate"),
    C("Prior purchased services", "py_purchased_services", "money"),
    C("Target purchased services", "purchased_services", "money"),
    C("Prior other expense", "py_other_expense", "money"),
    C("Target other expense", "other_expense", "money"),
    C("Target FTEs", "fte", "fte"),
    C("Target net revenue", "revenue", "money"),
    C("Target expense", "expense", "money"),
    C("Target margin", "margin", "money"),
)
TARGET_STAFF_BLOCK = "Top-down staffing by cost center and job class"
TARGET_STAFF_COLUMNS = (
    C("Cost center", "cost_center", width=12),
    C("Job class", "job_class", width=9),
    C("Prior FTEs", "py_fte", "fte"),
    C("Target FTEs", "fte", "fte"),
    C("Prior wage rate", "py_wage_rate", "rate"),
    C("Target wage rate", "wage_rate", "rate"),
    C("Overtime % of worked", "overtime_pct", "pct2"),
    C("Prior agency FTEs", "py_agency_fte", "fte"),
    C("Target agency FTEs", "agency_fte", "fte"),
    C("Prior agency rate", "py_agency_rate", "rate"),
    C("Target agency rate", "agency_rate", "rate"),
    C("Target salaries", "salaries", "money"),
)
ASSUMPTION_BLOCK = "Assumptions"
ASSUMPTION_COLUMNS = (
    C("Assumption", "assumption", width=34),
    C("Value", "value", width=16),
    C("How it is used", "method", width=70, wrap=True),
    C("Owner", "owner", width=20),
    C("Source", "source", width=26),
)
GLOSSARY_BLOCK = "Glossary"
GLOSSARY_COLUMNS = (
    C("Field", "field", width=26),
    C("Definition", "definition", width=70, wrap=True),
    C("Owner", "owner", width=24),
    C("Source system", "source", width=24),
    C("Refresh cadence", "cadence", width=16),
)
ISSUE_BLOCK = "Rows the engine could not map"
ISSUE_COLUMNS = (
    C("Code", "code", width=16),
    C("Severity", "severity", width=9),
    C("File", "file", width=40),
    C("Where", "cell", width=26),
    C("Value", "value", width=16),
    C("Message", "message", width=70),
)
ORG_BLOCKS = (ENTITY_BLOCK, SERVICE_LINE_BLOCK, COST_CENTER_BLOCK)
JOB_BLOCKS = (JOB_CLASS_BLOCK, JOB_CODE_BLOCK)
ACCOUNT_BLOCKS = (ACCOUNT_BLOCK, LINE_ITEM_BLOCK)

# Guardrails sheet rows: key (dotted path into SystemConfig), group, label, kind, unit, meaning
GUARDRAIL_SETTINGS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("system.name", "System", "Health system", "text", "", "Name shown on every template."),
    ("system.fiscal_year", "System", "Budget fiscal year", "year", "year",
     "The year being budgeted; history is the year before (calendar months)."),
    ("guardrails.inpatient_admissions_growth", "Strategic drivers", "Inpatient admissions growth",
     "pct", "%", "Driver 1: volume growth of inpatient and support cost centers."),
    ("guardrails.outpatient_utilization_growth", "Strategic drivers",
     "Outpatient utilization growth", "pct", "%",
     "Driver 2: volume growth of outpatient cost centers (ancillary: average of drivers 1 and 2)."),
    ("guardrails.labor_intensity_change", "Strategic drivers", "Labor intensity change", "pct",
     "%", "Driver 3: change in worked hours per unit of service (negative = more productive)."),
    ("guardrails.net_revenue_rate_change", "Financial guardrails", "Net revenue rate change",
     "pct", "%", "Change in net revenue per unit of service (payer contracts, mix)."),
    ("guardrails.operating_margin_target", "Financial guardrails", "Operating margin target",
     "pct", "%", "System operating margin the budget must reach, as a share of net revenue."),
    ("guardrails.capital_envelope", "Financial guardrails", "Capital envelope", "money", "$",
     "Total capital requests the system can fund."),
    ("guardrails.capital_escalation_amount", "Financial guardrails",
     "Capital escalation threshold", "money", "$",
     "A capital request of this amount or more goes to the workshop even within the envelope."),
    ("guardrails.divergence_tolerance_pct", "Tolerances", "Divergence tolerance (%)", "pct", "%",
     "A gap beyond this percent AND the dollar tolerance needs a rationale and a decision."),
    ("guardrails.divergence_tolerance_amount", "Tolerances", "Divergence tolerance ($)", "money",
     "$", "A gap beyond this amount AND the percent tolerance needs a rationale and a decision."),
    ("guardrails.wage_rate_tolerance_pct", "Tolerances", "Wage rate tolerance (%)", "pct", "%",
     "Validation warns when a budget wage rate departs this far from the payroll history."),
    ("guardrails.plausible_warn_factor", "Tolerances", "Plausibility: warning factor", "rate",
     "x", "A typed driver beyond this factor of both prior year and target (2 = outside "
     "0.5x-2x) is a warning that asks for the section's rationale."),
    ("guardrails.plausible_error_factor", "Tolerances", "Plausibility: error factor", "rate",
     "x", "A typed driver beyond this factor of both prior year and target (10 = outside "
     "0.1x-10x) is an error."),
    ("inflation.wages", "Inflation", "Wages", "pct", "%", "Salary and agency rate increase."),
    ("inflation.benefits", "Inflation", "Benefits", "pct", "%", "Benefit cost increase."),
    ("inflation.supplies", "Inflation", "Supplies", "pct", "%", "Supply price increase."),
    ("inflation.drugs", "Inflation", "Drugs", "pct", "%", "Drug price increase."),
    ("inflation.purchased_services", "Inflation", "Purchased services", "pct", "%",
     "Purchased service contract increase."),
    ("inflation.other", "Inflation", "Other expense", "pct", "%", "All other expense."),
    ("templates.due_date", "Templates", "Submission due date", "date", "date",
     "Printed on every template."),
    ("templates.version", "Templates", "Template version", "int", "",
     "Increment when templates are reissued; the newest version of a submission wins."),
    ("templates.finance_contact", "Templates", "Finance contact for returns", "text", "",
     "Who managers send the completed template to (name and e-mail); printed on every "
     "template with the due date."),
)  # fmt: skip
# The template protection password is on no sheet: it is this custom document property of the
# control workbook (init sets it from system.toml; finance changes it in Excel's File > Info >
# Properties > Advanced Properties > Custom). Older workbooks kept it as a Guardrails row.
TEMPLATE_PASSWORD_PROPERTY = "HybridBudget template password"
LEGACY_PASSWORD_KEY = "templates.password"
PASSWORD_NOTE = (
    "The template protection password is not shown on any sheet: it is the workbook's custom "
    f"document property '{TEMPLATE_PASSWORD_PROPERTY}' (File > Info > Properties > Advanced "
    "Properties > Custom), set from system.toml by init. It guards layout against accidents; it "
    "is not a security control."
)


# settings added after control workbooks were in use: a workbook without the row uses the default
OPTIONAL_SETTINGS = frozenset({"guardrails.plausible_warn_factor",
                               "guardrails.plausible_error_factor",
                               "guardrails.capital_escalation_amount",
                               "templates.finance_contact"})  # fmt: skip


def driver_columns() -> tuple[Column, ...]:
    """Columns of the Bottom-up Drivers sheet (one row per cost center)."""
    return (
        Column("Cost center", "cost_center", width=12),
        Column("File", "file", width=30),
        Column("SHA-256", "sha256", width=20),
        *(Column(f"UOS {m}", f"v{i:02d}", "int", width=8) for i, m in enumerate(MONTHS, 1)),
        *(Column(label, key, kind) for key, label, kind in SCALARS),
        *(
            Column(f"{j} {label}", f"{j}_{key}", kind, width=9)
            for j in JOB_CLASSES
            for key, label, kind in STAFF_FIELDS
        ),
        Column("Volume rationale", "rationale_volume", width=30, wrap=True),
        Column("Staffing rationale", "rationale_staffing", width=30, wrap=True),
        Column("Non-labor rationale", "rationale_nonlabor", width=30, wrap=True),
    )

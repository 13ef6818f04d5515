"""The budget's line items and job classes: fixed by the driver model, so they live in code."""

from __future__ import annotations

from dataclasses import dataclass

JOB_CLASSES: tuple[str, ...] = ("RN", "LPN", "CNA", "TECH", "CLER", "MGMT")
# Fixed job classes keep their prior-year FTEs in the top-down target instead of flexing with volume.
FIXED_JOB_CLASSES: frozenset[str] = frozenset({"CLER", "MGMT"})
JOB_CLASS_NAMES: dict[str, str] = {
    "RN": "Registered nurse",
    "LPN": "Licensed practical nurse",
    "CNA": "Certified nursing assistant",
    "TECH": "Technician / technologist",
    "CLER": "Clerical",
    "MGMT": "Management",
}


@dataclass(frozen=True)
class LineItem:
    code: str
    name: str
    kind: str  # revenue | labor | nonlabor
    inflation: str  # the Inflation field that moves it ("" for revenue)


def salary_line(job_class: str) -> str:
    return f"SAL_{job_class}"


LINE_ITEMS: tuple[LineItem, ...] = (
    LineItem("REV", "Net patient revenue", "revenue", ""),
    *(LineItem(salary_line(j), f"Salaries - {j}", "labor", "wages") for j in JOB_CLASSES),
    LineItem("AGY", "Contract (agency) labor", "labor", "wages"),
    LineItem("BEN", "Employee benefits", "labor", "benefits"),
    LineItem("SUP", "Supplies", "nonlabor", "supplies"),
    LineItem("DRG", "Drugs", "nonlabor", "drugs"),
    LineItem("PUR", "Purchased services", "nonlabor", "purchased_services"),
    LineItem("OTH", "Other expense", "nonlabor", "other"),
)
LINE_ITEM_CODES: tuple[str, ...] = tuple(li.code for li in LINE_ITEMS)
# Depreciation of the capital the workshop approves: a plan line only (templates, history and
# targets have none; the prior year's depreciation of existing assets stays in OTH via the GL)
DEPRECIATION = LineItem("DEP", "Depreciation (new capital)", "capital", "")
LINE_ITEM_NAMES: dict[str, str] = {li.code: li.name for li in LINE_ITEMS}
EXPENSE_LINES: tuple[str, ...] = tuple(li.code for li in LINE_ITEMS if li.kind != "revenue")
LABOR_LINES: tuple[str, ...] = tuple(li.code for li in LINE_ITEMS if li.kind == "labor")
NONLABOR_LINES: tuple[str, ...] = tuple(li.code for li in LINE_ITEMS if li.kind == "nonlabor")
EARN_TYPES: tuple[str, ...] = ("REG", "OT", "PTO", "AGY")

HOURS_PER_FTE = 2080
OVERTIME_PREMIUM = 0.5  # overtime hours are paid at 1.5x: straight time plus this premium
MONTHS: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def periods(year: int) -> list[str]:
    """The twelve `YYYY-MM` periods of a (calendar) fiscal year."""
    return [f"{year}-{m:02d}" for m in range(1, 13)]

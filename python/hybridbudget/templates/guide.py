"""The Instructions sheet of a template: how to fill it in, how to return it, what happens next.

One line per row in a single wide column, printed portrait at 100% (the Budget sheet prints at
about 70% to fit one page, too small for instructions). Every template has the same lines in the
same rows; only the cost center, file name, due date and finance contact differ.
"""

from __future__ import annotations

from ..engine.targets import CostCenterTarget
from ..model.reference import Reference

GUIDE_SHEET = "Instructions"
GUIDE_WIDTH = 100.0  # characters: one line of 11 pt text fits, and the page prints at 100%
FEEDBACK_SHEET = "Why this came back"  # the first sheet of a rejected file's feedback copy
GUIDE_ROLES: tuple[str, ...] = (
    "title", "body", "section", *("body",) * 9, "section", *("body",) * 3, "section",
    *("body",) * 7,
)  # fmt: skip


def template_file_name(cost_center: str, fiscal_year: int, version: int) -> str:
    """The name a template is issued under (and is returned under)."""
    return f"{cost_center}_FY{fiscal_year}_v{version}.xlsx"


def due_text(ref: Reference) -> str:
    due = ref.config.templates.due_date
    return f"{due:%B} {due.day}, {due.year}"


def return_line(t: CostCenterTarget, ref: Reference) -> str:
    """How to send the template back, in one sentence (also on the Budget sheet)."""
    cfg = ref.config
    name = template_file_name(t.cost_center.cost_center_code, cfg.fiscal_year,
                              cfg.templates.version)  # fmt: skip
    return (
        f"Return it by {due_text(ref)} to {cfg.templates.finance_contact}: save it as .xlsx and "
        f"keep the file name {name}."
    )


def guide_lines(t: CostCenterTarget, ref: Reference) -> tuple[str, ...]:
    """The sheet's lines, one per row (their roles are GUIDE_ROLES)."""
    cc, cfg = t.cost_center, ref.config
    name = template_file_name(cc.cost_center_code, cfg.fiscal_year, cfg.templates.version)
    lines = (
        f"{cc.cost_center_code} {cc.cost_center_name}: FY{cfg.fiscal_year} budget template",
        f"Due {due_text(ref)}. Questions: {cfg.templates.finance_contact}.",
        "1. Fill it in (sheet Budget)",
        "Type only in the yellow cells; every other cell is locked.",
        "Hover over a yellow cell to see what it expects.",
        "Every yellow cell starts at the top-down target: an untouched template shows no gap.",
        "Grey cells beside each yellow cell show the prior year (and the target) for reference.",
        f"1 Volume: {cc.uos} is a hospital-wide statistic: finance sets it (locked)."
        if cc.hospital_wide_uos
        else f"1 Volume: forecast {cc.uos} by month.",
        "2 Staffing: budget FTEs, wage rate, overtime % and agency FTEs by job class.",
        "3 Non-labor: supplies and drugs per unit of service, purchased services, other expense.",
        "4 Capital requests, if any: item, amount, priority (High, Medium, Low), category (from "
        "finance's list), useful life in months, in-service month (blank: July), justification.",
        "5 Where section 5 says Required, explain the gap to the target (red hurts the margin).",
        "2. Return it",
        "Save it as an Excel workbook (.xlsx) with File > Save: not .xls, .csv or PDF.",
        f"Keep the file name: {name}",
        f"Send it to {cfg.templates.finance_contact} by {due_text(ref)}.",
        "3. What happens next",
        "Finance checks each file when it arrives.",
        f"A file with a problem comes back to you with a first sheet '{FEEDBACK_SHEET}':",
        "each problem in plain words, a link to its cell and what to do.",
        "Fix the marked cells, save, and send it again with the same file name.",
        "Accepted budgets are added up by service line and entity and compared with the targets.",
        "Gaps beyond tolerance go to the budget workshop with your service line director;",
        f"the decisions become the FY{cfg.fiscal_year} plan, and each month your actuals are "
        "compared with it.",
    )
    assert len(lines) == len(GUIDE_ROLES)
    return lines

"""Every finding code intake can report: severity, category and what it means (docs/findings.md)."""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO  # N: a note


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    category: str  # file | identity | integrity | data
    meaning: str


CODES: tuple[Code, ...] = (
    Code("NOT_WORKBOOK", E, "file", "the file is not an Excel workbook (random bytes, a CSV renamed .xlsx, a PDF)"),
    Code("ENCRYPTED", E, "file", "the workbook is password-encrypted; intake cannot open it"),
    Code("CORRUPT", E, "file", "the workbook is damaged or truncated and cannot be read"),
    Code("TOO_LARGE", E, "file", "the workbook unpacks to more than the size cap (a zip bomb or a huge sheet)"),
    Code("OLD_XLS", E, "file", "an old-format .xls workbook: save it as .xlsx and send it again"),
    Code("IGNORED", N, "file", "an operating-system or sync leftover (Thumbs.db, desktop.ini, .DS_Store, ~$ owner file, *.tmp, dot file): skipped"),
    Code("OTHER_FILE", N, "file", "a file that is not a workbook by its name (a PDF, a note): left alone, not a submission"),
    Code("LINK_OUTSIDE", W, "file", "a symbolic link points outside the submissions folder; it is ignored"),
    Code("NOT_TEMPLATE", E, "identity", "the workbook is not one of our templates (metadata or contract names missing)"),
    Code("WRONG_FISCAL_YEAR", E, "identity", "the template is for another fiscal year"),
    Code("WRONG_SCHEMA", E, "identity", "the template's schema version is not the one intake reads"),
    Code("UNKNOWN_COST_CENTER", E, "identity", "the template's cost center is not in the Organization sheet"),
    Code("NOT_ISSUED", E, "identity", "no template finance issued (Issued Templates sheet) matches the file's cost center, fiscal year and version, or its template id was issued to another cost center"),
    Code("STALE_VERSION", E, "identity", "finance has issued a newer version of this cost center's template; the older one is not accepted"),
    Code("NAME_MISMATCH", W, "identity", "the file name names another cost center than the template inside; the one inside counts"),
    Code("SUPERSEDED", W, "identity", "another valid file for the same cost center is newer (higher template version, then later save); this one is ignored"),
    Code("RESUBMISSION_REJECTED", W, "identity", "a newer file for this cost center was rejected; the previous valid file is used"),
    Code("LAYOUT_CHANGED", E, "integrity", "the Budget sheet is not laid out as issued: defined names repointed, moved to another sheet or missing, or rows or columns inserted or deleted"),
    Code("LOCKED_EDITED", E, "integrity", "a locked cell differs from finance's copy of the issued template (checked always, whatever the fingerprint says)"),
    Code("PROTECTION_REMOVED", W, "integrity", "the Budget sheet's protection was removed"),
    Code("FORMULA_CHANGED", E, "integrity", "a formula was overwritten with a constant or changed"),
    Code("REQUIRED_BLANK", E, "data", "a required input is blank"),
    Code("NOT_A_NUMBER", E, "data", "text (or another non-number) in a numeric input"),
    Code("NEGATIVE", E, "data", "a negative value in an input that must be zero or more"),
    Code("OUT_OF_RANGE", E, "data", "a value outside the input's allowed range"),
    Code("FTE_OUTSIDE_BAND", W, "data", "budget FTEs outside the job class's staffing band around the target"),
    Code("RATIONALE_MISSING", E, "data", "a section departs from the target beyond tolerance and its rationale is blank"),
    Code("WAGE_FAR_FROM_PAYROLL", W, "data", "a budget wage rate departs from the payroll history beyond the wage tolerance"),
    Code("DRIVER_UNUSUAL", W, "data", "a typed driver is beyond the Guardrails' warning factor of both prior year and target (outside 0.5x-2x by default) and its section's rationale is blank"),
    Code("DRIVER_IMPLAUSIBLE", E, "data", "a typed driver is beyond the Guardrails' error factor of both prior year and target (outside 0.1x-10x by default)"),
    Code("CAPITAL_INCOMPLETE", E, "data", "a capital request lacks its amount, item, justification, category or useful life"),
    Code("CAPITAL_CATEGORY", E, "data", "a capital request's category is not one of the capital priorities finance lists on Guardrails"),
    Code("MONTHS_NOT_ANNUAL", E, "data", "monthly values do not add up to the annual figure shown"),
    Code("CACHED_MISMATCH", W, "integrity", "a figure the workbook computed differs from the engine's recomputation"),
)  # fmt: skip
CODE_BY_ID: dict[str, Code] = {c.code: c for c in CODES}

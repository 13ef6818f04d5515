"""Read the control workbook back; bad edits are rejected with the sheet and cell, rows never dropped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from ..engine.escalation import COMBINE
from ..engine.history import STAFFING_COLUMNS, History
from ..errors import HybridBudgetError
from ..findings import Finding, Severity
from ..model import (
    AccountMapping,
    CapitalPriority,
    CostCenter,
    Entity,
    EscalationLevel,
    JobClass,
    JobCode,
    Organization,
    ServiceLine,
    SystemConfig,
)
from ..model.guardrails import MAX_CAPITAL_PRIORITIES
from ..model.line_items import JOB_CLASSES, LINE_ITEM_CODES, periods
from ..model.reference import Reference
from ..sources.records import parse_records
from ..workbook.blocks import TableRead, read_block
from ..workbook.spec import Column
from . import schema as L
from .book import ControlBook, open_control

M = TypeVar("M", bound=BaseModel)


def read_ahead(book: ControlBook, sheets: Iterable[str]) -> None:
    """Tell a backend which sheets a step will read next (the file backend parses them at once)."""
    ahead = getattr(book, "read_ahead", None)
    if ahead is not None:
        ahead(sheets)


def _block(
    book: ControlBook, sheet: str, title: str, columns: Sequence[Column], titles: Sequence[str] = ()
) -> TableRead:
    return read_block(book.rows(sheet), sheet, book.file, title, columns, titles)


def _text(value: Any) -> Any:
    """A code typed as a number in Excel (6010, 6010.0) is the text '6010'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else value


def _models(
    table: TableRead, columns: Sequence[Column], model: type[M], what: str
) -> tuple[list[M], list[Finding]]:
    text_keys = {c.key for c in columns if c.kind == "text"}
    rows = [{k: _text(v) if k in text_keys else v for k, v in r.items()} for r in table.rows]

    def locate(i: int, field: str) -> tuple[str, str, str]:
        return (
            table.file,
            table.sheet,
            table.cell(i, field) if field else f"row {table.row_numbers[i]}",
        )

    return parse_records(rows, model, locate, "CONTROL_CELL", what)


def _duplicates(table: TableRead, key: str, what: str) -> list[Finding]:
    seen: dict[str, int] = {}
    out = []
    for i, row in enumerate(table.rows):
        code = _text(row[key])
        if code in seen:
            out.append(
                Finding(
                    code="CONTROL_DUPLICATE",
                    severity=Severity.ERROR,
                    message=f"duplicate {what} {code!r} (first on row {table.row_numbers[seen[code]]})",
                    file=table.file,
                    sheet=table.sheet,
                    cell=table.cell(i, key),
                    value=str(code),
                )
            )
        else:
            seen[code] = i
    return out


def _unknown(table: TableRead, key: str, known: set[str], what: str) -> list[Finding]:
    return [
        Finding(
            code="CONTROL_UNKNOWN",
            severity=Severity.ERROR,
            message=f"unknown {what} {_text(row[key])!r}",
            file=table.file,
            sheet=table.sheet,
            cell=table.cell(i, key),
            value=str(_text(row[key])),
        )
        for i, row in enumerate(table.rows)
        if _text(row[key]) not in known
    ]


def template_password(book: ControlBook, table: Any = None, by_key: Any = None) -> str:
    """The template protection password: the workbook's custom document property (never a cell);
    a control workbook written before it moved keeps it as a Guardrails row."""
    read = getattr(book, "document_property", None)
    value = read(L.TEMPLATE_PASSWORD_PROPERTY) if callable(read) else None
    if value:
        return str(value)
    if table is not None and by_key and L.LEGACY_PASSWORD_KEY in by_key:
        return str(_text(table.rows[by_key[L.LEGACY_PASSWORD_KEY]]["value"]) or "")
    return ""


def _combine(book: ControlBook) -> tuple[str, list[Finding]]:
    """How the Decision Guide's thresholds combine ('either' in a workbook written before it)."""
    rows = book.rows(L.DECISION_GUIDE)
    if not any(r and r[0] == L.ESCALATION_RULE_BLOCK for r in rows):
        return "either", []
    table = _block(book, L.DECISION_GUIDE, L.ESCALATION_RULE_BLOCK, L.ESCALATION_RULE_COLUMNS,
                   L.DECISION_GUIDE_BLOCKS)  # fmt: skip
    for i, row in enumerate(table.rows):
        if row["key"] != "combine":
            continue
        value = str(_text(row["value"])).strip().lower()
        if value in COMBINE:
            return value, []
        return "either", [
            Finding(code="CONTROL_CELL", severity=Severity.ERROR, file=book.file,
                    sheet=L.DECISION_GUIDE, cell=table.cell(i, "value"), value=str(row["value"]),
                    message=f"thresholds combine: {row['value']!r} is not one of "
                            f"{', '.join(COMBINE)}")
        ]  # fmt: skip
    return "either", []


def _capital_priorities(book: ControlBook) -> tuple[list[CapitalPriority] | None, list[Finding]]:
    """The Capital priorities block (None in a workbook written before it: the defaults)."""
    if not any(r and r[0] == L.CAPITAL_PRIORITY_BLOCK for r in book.rows(L.GUARDRAILS)):
        return None, []
    table = _block(book, L.GUARDRAILS, L.CAPITAL_PRIORITY_BLOCK, L.CAPITAL_PRIORITY_COLUMNS,
                   L.GUARDRAIL_BLOCKS)  # fmt: skip
    items, bad = _models(table, L.CAPITAL_PRIORITY_COLUMNS, CapitalPriority, "capital priority")
    bad += _duplicates(table, "category", "capital category")
    if not bad and not 1 <= len(items) <= MAX_CAPITAL_PRIORITIES:
        bad.append(Finding(code="CONTROL_CELL", severity=Severity.ERROR, file=book.file,
                           sheet=L.GUARDRAILS, message=f"list 1 to {MAX_CAPITAL_PRIORITIES} "
                           f"capital priorities (found {len(items)})"))  # fmt: skip
    return items, bad


def read_config(book: ControlBook) -> tuple[SystemConfig | None, list[Finding]]:
    table = _block(book, L.GUARDRAILS, L.GUARDRAIL_BLOCK, L.GUARDRAIL_COLUMNS, L.GUARDRAIL_BLOCKS)
    by_key = {str(r["key"]): i for i, r in enumerate(table.rows) if r["key"]}
    findings: list[Finding] = []
    data: dict[str, dict[str, Any]] = {}
    for key, _group, label, kind, *_ in L.GUARDRAIL_SETTINGS:
        if key not in by_key and key in L.OPTIONAL_SETTINGS:
            continue  # the model's default
        if key not in by_key:
            findings.append(
                Finding(
                    code="CONTROL_MISSING",
                    severity=Severity.ERROR,
                    message=f"the setting '{label}' (key {key}) is missing",
                    file=book.file,
                    sheet=L.GUARDRAILS,
                )
            )
            continue
        group, field = key.split(".")
        value = table.rows[by_key[key]]["value"]
        data.setdefault(group, {})[field] = _text(value) if kind == "text" else value
    password = template_password(book, table, by_key)
    if password:
        data.setdefault("templates", {})["password"] = password
    else:
        findings.append(
            Finding(
                code="CONTROL_MISSING",
                severity=Severity.ERROR,
                message="the template protection password is not set: give the workbook the "
                f"custom document property '{L.TEMPLATE_PASSWORD_PROPERTY}' (File > Info > "
                "Properties > Advanced Properties > Custom), or run init again",
                file=book.file,
            )
        )
    esc = _block(book, L.DECISION_GUIDE, L.ESCALATION_BLOCK, L.ESCALATION_COLUMNS,
                 L.DECISION_GUIDE_BLOCKS)  # fmt: skip
    levels, bad = _models(esc, L.ESCALATION_COLUMNS, EscalationLevel, "escalation level")
    findings += bad
    combine, bad = _combine(book)
    findings += bad
    priorities, bad = _capital_priorities(book)
    findings += bad
    if findings:
        return None, findings
    raw = {
        "system_name": data["system"]["name"],
        "fiscal_year": data["system"]["fiscal_year"],
        "guardrails": data["guardrails"],
        "inflation": data["inflation"],
        "templates": data["templates"],
        "escalation": tuple(levels),
        "escalation_combine": combine,
    }
    if priorities is not None:
        raw["capital_priorities"] = tuple(priorities)
    try:
        return SystemConfig.model_validate(raw), []
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            key = {"system_name": "system.name", "fiscal_year": "system.fiscal_year"}.get(
                loc[0], ".".join(loc[:2])
            )
            i = by_key.get(key)
            value = table.rows[i]["value"] if i is not None else ""
            sheet, cell = (
                (L.GUARDRAILS, table.cell(i, "value")) if i is not None else (L.DECISION_GUIDE, "")
            )
            findings.append(
                Finding(
                    code="CONTROL_CELL",
                    severity=Severity.ERROR,
                    message=f"{key}: {err['msg'].lower()} (found {value!r})",
                    file=book.file,
                    sheet=sheet,
                    cell=cell,
                    value=str(value),
                )
            )
        return None, findings


def read_reference(book: ControlBook) -> Reference:
    """Guardrails, organization, job classes and account map, validated."""
    config, findings = read_config(book)
    ent = _block(book, L.ORGANIZATION, L.ENTITY_BLOCK, L.ENTITY_COLUMNS, L.ORG_BLOCKS)
    sls = _block(book, L.ORGANIZATION, L.SERVICE_LINE_BLOCK, L.SERVICE_LINE_COLUMNS, L.ORG_BLOCKS)
    ccs = _block(book, L.ORGANIZATION, L.COST_CENTER_BLOCK, L.COST_CENTER_COLUMNS, L.ORG_BLOCKS)
    entities, bad_e = _models(ent, L.ENTITY_COLUMNS, Entity, "entity")
    lines, bad_s = _models(sls, L.SERVICE_LINE_COLUMNS, ServiceLine, "service line")
    centers, bad_c = _models(ccs, L.COST_CENTER_COLUMNS, CostCenter, "cost center")
    findings += bad_e + bad_s + bad_c
    findings += _duplicates(ent, "entity_code", "entity")
    findings += _duplicates(sls, "service_line_code", "service line")
    findings += _duplicates(ccs, "cost_center_code", "cost center")
    findings += _unknown(sls, "entity_code", {e.entity_code for e in entities}, "entity")
    findings += _unknown(
        ccs, "service_line_code", {s.service_line_code for s in lines}, "service line"
    )
    jcl = _block(book, L.JOB_CLASSES_SHEET, L.JOB_CLASS_BLOCK, L.JOB_CLASS_COLUMNS, L.JOB_BLOCKS)
    jco = _block(book, L.JOB_CLASSES_SHEET, L.JOB_CODE_BLOCK, L.JOB_CODE_COLUMNS, L.JOB_BLOCKS)
    acc = _block(book, L.ACCOUNT_MAP, L.ACCOUNT_BLOCK, L.ACCOUNT_COLUMNS, L.ACCOUNT_BLOCKS)
    classes, bad_jc = _models(jcl, L.JOB_CLASS_COLUMNS, JobClass, "job class")
    codes, bad_jo = _models(jco, L.JOB_CODE_COLUMNS, JobCode, "job code")
    accounts, bad_a = _models(acc, L.ACCOUNT_COLUMNS, AccountMapping, "account")
    findings += bad_jc + bad_jo + bad_a
    findings += _duplicates(jcl, "job_class", "job class")
    findings += _duplicates(jco, "job_code", "job code")
    findings += _duplicates(acc, "account", "account")
    missing = sorted(set(JOB_CLASSES) - {c.job_class for c in classes})
    if missing and not bad_jc:
        findings.append(
            Finding(
                code="CONTROL_MISSING",
                severity=Severity.ERROR,
                message=f"job class(es) {', '.join(missing)} missing from the Job classes table",
                file=book.file,
                sheet=L.JOB_CLASSES_SHEET,
            )
        )
    if findings or config is None:
        raise HybridBudgetError.from_findings(findings, "The control workbook has problems")
    return Reference(
        config=config,
        organization=Organization(
            entities=tuple(entities), service_lines=tuple(lines), cost_centers=tuple(centers)
        ),
        job_classes=tuple(classes),
        job_codes=tuple(codes),
        accounts=tuple(accounts),
    )


def _is_number(v: Any) -> bool:
    """A number (not a boolean) or an empty cell."""
    kind = type(v)
    if kind is float or kind is int or v is None:
        return True
    return isinstance(v, int | float) and not isinstance(v, bool)


def _numbers(table: TableRead, keys: Sequence[str]) -> tuple[pd.DataFrame, list[Finding]]:
    findings: list[Finding] = []
    frame = pd.DataFrame(table.rows)
    for key in keys:
        col = frame[key] if key in frame.columns else pd.Series(dtype=object)
        if col.dtype.kind in "fi":  # pandas made it numeric: only numbers and blanks in it
            frame[key] = col.fillna(0.0).astype(float)
            continue
        ok = pd.Series([_is_number(v) for v in col.tolist()], index=col.index, dtype=bool)
        for i in col.index[~ok]:
            findings.append(
                Finding(
                    code="CONTROL_CELL",
                    severity=Severity.ERROR,
                    message=f"{key.replace('_', ' ')}: {col[i]!r} is not a number",
                    file=table.file,
                    sheet=table.sheet,
                    cell=table.cell(int(i), key),
                    value=str(col[i]),
                )
            )
        frame[key] = pd.to_numeric(col.where(ok), errors="coerce").fillna(0.0).astype(float)
    return frame, findings


def read_history(book: ControlBook, ref: Reference) -> History:
    year = ref.config.history_year
    known = set(ref.organization.cost_center_by_code)
    hist = _block(book, L.HISTORY, L.HISTORY_BLOCK, L.HISTORY_COLUMNS)
    staff = _block(book, L.STAFFING_HISTORY, L.STAFFING_BLOCK, L.STAFFING_COLUMNS)
    # the total row is ours, not data
    for table in (hist, staff):
        keep = [i for i, r in enumerate(table.rows) if r["cost_center"] != "Total"]
        table.rows[:] = [table.rows[i] for i in keep]
        table.row_numbers[:] = [table.row_numbers[i] for i in keep]
    monthly, findings = _numbers(hist, ["UOS", *LINE_ITEM_CODES])
    staffing, bad = _numbers(staff, list(STAFFING_COLUMNS))
    findings += bad
    findings += _unknown(hist, "cost_center", known, "cost center")
    findings += _unknown(staff, "cost_center", known, "cost center")
    findings += _unknown(hist, "period", set(periods(year)), f"period of fiscal year {year}")
    findings += _unknown(staff, "job_class", set(JOB_CLASSES), "job class")
    if findings:
        raise HybridBudgetError.from_findings(
            findings, "The control workbook's history has problems"
        )
    codes = [c.cost_center_code for c in ref.organization.cost_centers]
    grid = pd.MultiIndex.from_product([codes, periods(year)], names=["cost_center", "period"])
    if monthly.duplicated(["cost_center", "period"]).any():
        dup = monthly[monthly.duplicated(["cost_center", "period"])].iloc[0]
        raise HybridBudgetError(
            f"{book.file}: sheet {L.HISTORY}: {dup['cost_center']} {dup['period']} appears twice"
        )
    monthly = monthly.set_index(["cost_center", "period"]).reindex(grid, fill_value=0.0)
    sgrid = pd.MultiIndex.from_product([codes, JOB_CLASSES], names=["cost_center", "job_class"])
    staffing = staffing.groupby(["cost_center", "job_class"])[list(STAFFING_COLUMNS)].sum()
    staffing = staffing.reindex(sgrid, fill_value=0.0)
    return History(year=year, monthly=monthly.reset_index(), staffing=staffing.reset_index())


# every sheet load_control reads (read ahead, and all read before it returns)
CONTROL_SHEETS = (L.HISTORY, L.STAFFING_HISTORY, L.ORGANIZATION, L.GUARDRAILS, L.DECISION_GUIDE,
                  L.JOB_CLASSES_SHEET, L.ACCOUNT_MAP)  # fmt: skip


def load_control(control: Path | str | ControlBook) -> tuple[Reference, History]:
    """Everything later steps need from the control workbook, validated."""
    book = open_control(control)
    read_ahead(book, CONTROL_SHEETS)
    ref = read_reference(book)
    return ref, read_history(book, ref)

"""Read a health system's text sources (see docs/data-formats.md) into domain models."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path
from typing import TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError
from python_calamine import CalamineError, CalamineWorkbook

from ..errors import HybridBudgetError
from ..findings import Finding
from ..model import (
    AccountMapping,
    CostCenter,
    Entity,
    JobClass,
    JobCode,
    Organization,
    ServiceLine,
    SystemConfig,
)
from ..model.reference import EXTRACTS, Extract, Reference, Sources
from .records import parse_records

M = TypeVar("M", bound=BaseModel)


def _fail(findings: list[Finding], what: str) -> None:
    if findings:
        raise HybridBudgetError.from_findings(findings, what)


def read_csv_text(path: Path, required: list[str]) -> pd.DataFrame:
    """A CSV as text cells; missing file or columns raise a plain error."""
    if not path.is_file():
        raise HybridBudgetError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, csv.Error) as exc:
        raise HybridBudgetError(f"{path}: not a readable UTF-8 CSV file ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise HybridBudgetError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold (15 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime | dt.date):
        # Excel turns a typed period such as 2027-01 into the 1st of the month
        return value.strftime("%Y-%m" if value.day == 1 else "%Y-%m-%d")
    return str(value).strip()


def read_xlsx_text(path: Path, required: list[str]) -> pd.DataFrame:
    """The first sheet of a workbook as text cells, shaped like `read_csv_text` (row 1 = header;
    the index is the row number - 2, blank rows left out)."""
    if not path.is_file():
        raise HybridBudgetError(f"{path}: file not found")
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except (CalamineError, OSError, ValueError, IndexError) as exc:
        raise HybridBudgetError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    header = [_cell_text(v) for v in rows[0]] if rows else []
    body = {
        i: [_cell_text(v) for v in r] + [""] * (len(header) - len(r))
        for i, r in enumerate(rows[1:])
        if any(_cell_text(v) for v in r)
    }
    frame = pd.DataFrame(
        [r[: len(header)] for r in body.values()], index=list(body), columns=header, dtype=str
    )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise HybridBudgetError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def _csv_models(path: Path, model: type[M], what: str) -> list[M]:
    frame = read_csv_text(path, [f for f, info in model.model_fields.items() if info.is_required()])
    columns = list(frame.columns)

    def locate(i: int, field: str) -> tuple[str, str, str]:
        col = columns.index(field) + 1 if field in columns else 0
        return str(path), "", f"line {i + 2}" + (f", column {col} ({field})" if col else "")

    rows = [
        {k: v for k, v in r.items() if k in model.model_fields} for r in frame.to_dict("records")
    ]
    good, bad = parse_records(rows, model, locate, "SOURCE_ROW", what)
    _fail(bad, f"{path.name} has bad rows")
    return good


def load_config(path: Path) -> SystemConfig:
    """system.toml -> SystemConfig, with a plain error naming the setting."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HybridBudgetError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HybridBudgetError(f"{path}: not valid TOML ({exc})") from exc
    system = raw.get("system", {})
    data = {
        "system_name": system.get("name"),
        "fiscal_year": system.get("fiscal_year"),
        "guardrails": raw.get("guardrails"),
        "inflation": raw.get("inflation"),
        "escalation": raw.get("escalation"),
        "templates": raw.get("templates"),
    }
    if "capital_priority" in raw:  # absent: the model's default categories
        data["capital_priorities"] = raw["capital_priority"]
    guide = raw.get("decision_guide")
    if isinstance(guide, dict) and "combine" in guide:  # absent: the model's default
        data["escalation_combine"] = guide["combine"]
    try:
        return SystemConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise HybridBudgetError(f"{path}: setting {where}: {err['msg']}") from exc


def load_reference(folder: Path) -> Reference:
    """The master data from a sources folder."""
    if not folder.is_dir():
        raise HybridBudgetError(f"{folder}: sources folder not found")
    config = load_config(folder / "system.toml")
    org_dir = folder / "organization"
    try:
        organization = Organization(
            entities=tuple(_csv_models(org_dir / "entities.csv", Entity, "entity")),
            service_lines=tuple(
                _csv_models(org_dir / "service_lines.csv", ServiceLine, "service line")
            ),
            cost_centers=tuple(
                _csv_models(org_dir / "cost_centers.csv", CostCenter, "cost center")
            ),
        )
    except ValidationError as exc:
        raise HybridBudgetError(f"{org_dir}: {exc.errors()[0]['msg']}") from exc
    return Reference(
        config=config,
        organization=organization,
        job_classes=tuple(_csv_models(folder / "staffing/job_classes.csv", JobClass, "job class")),
        job_codes=tuple(_csv_models(folder / "staffing/job_codes.csv", JobCode, "job code")),
        accounts=tuple(
            _csv_models(folder / "finance/account_map.csv", AccountMapping, "account mapping")
        ),
    )


def load_extract(kind: str, path: Path) -> Extract:
    """An extract from a .csv file, or from the first sheet of an .xlsx workbook."""
    _, columns = EXTRACTS[kind]
    read = read_xlsx_text if path.suffix.lower() == ".xlsx" else read_csv_text
    return Extract(kind, path, read(path, columns))


def load_sources(folder: Path) -> Sources:
    """Reference data plus the history year's three extracts."""
    reference = load_reference(folder)
    year = reference.config.history_year
    extracts = {
        kind: load_extract(kind, folder / "extracts" / f"{stem}_{year}.csv")
        for kind, (stem, _) in EXTRACTS.items()
    }
    return Sources(reference, extracts)

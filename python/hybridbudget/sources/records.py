"""Rows of text (a CSV file or a sheet table) into validated models, every bad cell a finding."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..findings import Finding, Severity

M = TypeVar("M", bound=BaseModel)
# (row index, field name or "") -> (file, sheet, cell) for the finding's location
Locator = Callable[[int, str], tuple[str, str, str]]
# fields whose bad value has a code of its own (docs/findings.md), whatever the source
FIELD_CODES = {"owner_email": "BAD_EMAIL"}


def _plain(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg[0].lower() + msg[1:] if msg else msg


def parse_records(
    rows: Iterable[Mapping[str, Any]],
    model: type[M],
    locate: Locator,
    code: str,
    what: str,
) -> tuple[list[M], list[Finding]]:
    """Validate each row with `model`; a row that fails gives one finding per bad field."""
    good: list[M] = []
    bad: list[Finding] = []
    for i, row in enumerate(rows):
        try:
            good.append(model.model_validate(dict(row)))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else ""
                file, sheet, cell = locate(i, field)
                value = row.get(field, "") if field else ""
                label = f"{field.replace('_', ' ')} " if field else ""
                bad.append(
                    Finding(
                        code=FIELD_CODES.get(field, code),
                        severity=Severity.ERROR,
                        message=f"{what}: {label}{_plain(err)} (found {value!r})"
                        if field
                        else f"{what}: {_plain(err)}",
                        file=file,
                        sheet=sheet,
                        cell=cell,
                        value="" if value is None else str(value),
                    )
                )
    return good, bad

"""The organization: system -> entity -> service line -> cost center."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_STRICT = ConfigDict(frozen=True, extra="forbid")
Code = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# one address, no display name: what a mail client needs in To (chase drafts are addressed to it)
EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[A-Za-z]{2,}$")


class CostCenterType(StrEnum):
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    ANCILLARY = "ancillary"
    SUPPORT = "support"


class Entity(BaseModel):
    model_config = _STRICT
    entity_code: str = Code
    entity_name: str = Field(min_length=1)
    entity_type: str = Field(pattern=r"^(hospital|clinic network)$")
    beds: int = Field(ge=0)


class ServiceLine(BaseModel):
    model_config = _STRICT
    service_line_code: str = Code
    service_line_name: str = Field(min_length=1)
    entity_code: str = Code


# units of service counted over the whole hospital, not by the cost center: its budget uses the
# top-down figure (pre-filled and locked on its template)
HOSPITAL_WIDE_STATISTICS = frozenset({"ADJPD"})  # adjusted patient days


class CostCenter(BaseModel):
    model_config = _STRICT
    cost_center_code: str = Code
    cost_center_name: str = Field(min_length=1)
    service_line_code: str = Code
    cost_center_type: CostCenterType
    uos: str = Field(min_length=1)
    stat_code: str = Field(min_length=1)
    cms_code: str = ""
    owner_name: str = Field(min_length=1)
    owner_email: str

    @field_validator("owner_email", mode="before")
    @classmethod
    def _address(cls, value: object) -> str:
        text = "" if value is None else str(value).strip()
        if not EMAIL.match(text):
            raise ValueError("is not one e-mail address like name@hospital.org")
        return text

    @property
    def hospital_wide_uos(self) -> bool:
        """Whether its unit of service is a hospital-wide statistic (finance sets it)."""
        return self.stat_code.upper() in HOSPITAL_WIDE_STATISTICS


class Organization(BaseModel):
    """The hierarchy; codes are unique and every parent exists."""

    model_config = ConfigDict(frozen=True, extra="forbid", ignored_types=(cached_property,))
    entities: tuple[Entity, ...] = Field(min_length=1)
    service_lines: tuple[ServiceLine, ...] = Field(min_length=1)
    cost_centers: tuple[CostCenter, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Organization:
        for label, codes in (
            ("entity", [e.entity_code for e in self.entities]),
            ("service line", [s.service_line_code for s in self.service_lines]),
            ("cost center", [c.cost_center_code for c in self.cost_centers]),
        ):
            seen: set[str] = set()
            for code in codes:
                if code in seen:
                    raise ValueError(f"duplicate {label} {code}")
                seen.add(code)
        entities = {e.entity_code for e in self.entities}
        for sl in self.service_lines:
            if sl.entity_code not in entities:
                raise ValueError(
                    f"service line {sl.service_line_code}: unknown entity {sl.entity_code}"
                )
        lines = {s.service_line_code for s in self.service_lines}
        for cc in self.cost_centers:
            if cc.service_line_code not in lines:
                raise ValueError(
                    f"cost center {cc.cost_center_code}: unknown service line {cc.service_line_code}"
                )
        return self

    @cached_property
    def cost_center_by_code(self) -> dict[str, CostCenter]:
        return {c.cost_center_code: c for c in self.cost_centers}

    @cached_property
    def service_line_by_code(self) -> dict[str, ServiceLine]:
        return {s.service_line_code: s for s in self.service_lines}

    @cached_property
    def entity_by_code(self) -> dict[str, Entity]:
        return {e.entity_code: e for e in self.entities}

    def entity_of(self, cost_center_code: str) -> Entity:
        sl = self.service_line_by_code[self.cost_center_by_code[cost_center_code].service_line_code]
        return self.entity_by_code[sl.entity_code]

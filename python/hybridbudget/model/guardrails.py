"""Guardrails: the CFO office's top-down assumptions for the budget year."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_STRICT = ConfigDict(frozen=True, extra="forbid")
Rate = Field(ge=-0.5, le=1.0)


class Inflation(BaseModel):
    """Price change by expense category, as a share (0.035 = 3.5%)."""

    model_config = _STRICT
    wages: float = Rate
    benefits: float = Rate
    supplies: float = Rate
    drugs: float = Rate
    purchased_services: float = Rate
    other: float = Rate


class Guardrails(BaseModel):
    """The three strategic drivers plus the financial guardrails."""

    model_config = _STRICT
    inpatient_admissions_growth: float = Rate
    outpatient_utilization_growth: float = Rate
    labor_intensity_change: float = Rate
    net_revenue_rate_change: float = Rate
    operating_margin_target: float = Field(ge=-0.5, le=0.5)
    capital_envelope: float = Field(ge=0)
    divergence_tolerance_pct: float = Field(gt=0, le=1)
    divergence_tolerance_amount: float = Field(ge=0)
    wage_rate_tolerance_pct: float = Field(default=0.20, gt=0, le=1)
    # plausibility of every typed driver against prior year and target: beyond this factor
    # either way a warning that asks for the section's rationale, beyond the second an error
    plausible_warn_factor: float = Field(default=2.0, gt=1)
    plausible_error_factor: float = Field(default=10.0, gt=1)
    # a capital request of this amount or more goes to the workshop even within the envelope
    capital_escalation_amount: float = Field(default=1_000_000.0, ge=0)


class EscalationLevel(BaseModel):
    """One row of the Decision Guide: a gap reaching pct and/or amount goes to this role
    (how they combine: `SystemConfig.escalation_combine`, applied by engine/escalation.py)."""

    model_config = _STRICT
    level: int = Field(ge=1)
    role: str = Field(min_length=1)
    pct: float = Field(gt=0)
    amount: float = Field(ge=0)
    decides: str = ""


class CapitalPriority(BaseModel):
    """One capital category finance ranks requests by (Guardrails sheet), and its weight."""

    model_config = _STRICT
    category: str = Field(min_length=1, max_length=40)
    weight: float = Field(gt=0, le=100)
    meaning: str = ""


# the categories a system gets when its sources or an older control workbook list none
DEFAULT_CAPITAL_PRIORITIES: tuple[CapitalPriority, ...] = (
    CapitalPriority(category="Patient safety", weight=5,
                    meaning="Prevents harm to patients or staff; failing or recalled equipment."),
    CapitalPriority(category="Regulatory", weight=4,
                    meaning="Required by law, accreditation or a survey finding."),
    CapitalPriority(category="Strategic growth", weight=3,
                    meaning="Adds capacity or services the strategic plan calls for."),
    CapitalPriority(category="Replacement", weight=2,
                    meaning="Replaces equipment at the end of its useful life."),
    CapitalPriority(category="IT", weight=2, meaning="Information systems and devices."),
)  # fmt: skip
MAX_CAPITAL_PRIORITIES = 8  # the template lists at most this many categories


class TemplateSettings(BaseModel):
    model_config = _STRICT
    password: str = Field(min_length=1)
    due_date: dt.date
    version: int = Field(default=1, ge=1)
    # who managers send the completed template to (printed on every template)
    finance_contact: str = Field(default="your finance contact", min_length=1, max_length=200)

    def __repr__(self) -> str:  # never show the password in logs
        return f"TemplateSettings(due_date={self.due_date}, version={self.version})"

    __str__ = __repr__


class SystemConfig(BaseModel):
    """Everything `system.toml` / the Guardrails sheet holds."""

    model_config = _STRICT
    system_name: str = Field(min_length=1)
    fiscal_year: int = Field(ge=2000, le=2100)
    guardrails: Guardrails
    inflation: Inflation
    escalation: tuple[EscalationLevel, ...] = Field(min_length=1)
    escalation_combine: Literal["either", "both"] = "either"  # a level's $ or/and % threshold
    templates: TemplateSettings
    capital_priorities: tuple[CapitalPriority, ...] = Field(
        default=DEFAULT_CAPITAL_PRIORITIES, min_length=1, max_length=MAX_CAPITAL_PRIORITIES
    )

    @field_validator("capital_priorities")
    @classmethod
    def _distinct(cls, items: tuple[CapitalPriority, ...]) -> tuple[CapitalPriority, ...]:
        names = [p.category.strip().lower() for p in items]
        if len(names) != len(set(names)):
            raise ValueError("capital categories must be unique")
        return items

    @field_validator("escalation")
    @classmethod
    def _ordered(cls, levels: tuple[EscalationLevel, ...]) -> tuple[EscalationLevel, ...]:
        nums = [lv.level for lv in levels]
        if nums != sorted(set(nums)):
            raise ValueError("escalation levels must be unique and listed lowest first")
        return levels

    @property
    def history_year(self) -> int:
        return self.fiscal_year - 1

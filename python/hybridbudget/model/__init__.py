"""Domain models (pydantic), validated on load."""

from .guardrails import (
    CapitalPriority,
    EscalationLevel,
    Guardrails,
    Inflation,
    SystemConfig,
    TemplateSettings,
)
from .line_items import JOB_CLASSES, LINE_ITEMS, LineItem, salary_line
from .organization import CostCenter, CostCenterType, Entity, Organization, ServiceLine
from .staffing import AccountMapping, JobClass, JobCode

__all__ = [
    "JOB_CLASSES",
    "LINE_ITEMS",
    "AccountMapping",
    "CapitalPriority",
    "CostCenter",
    "CostCenterType",
    "Entity",
    "EscalationLevel",
    "Guardrails",
    "Inflation",
    "JobClass",
    "JobCode",
    "LineItem",
    "Organization",
    "ServiceLine",
    "SystemConfig",
    "TemplateSettings",
    "salary_line",
]

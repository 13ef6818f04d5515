"""Job classes, payroll job codes and the GL account map."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .line_items import JOB_CLASSES, LINE_ITEM_CODES

_STRICT = ConfigDict(frozen=True, extra="forbid")


class JobClass(BaseModel):
    """A job class and its staffing band (budget FTEs as a share of the target FTEs)."""

    model_config = _STRICT
    job_class: str
    job_class_name: str = Field(min_length=1)
    fte_band_low: float = Field(ge=0, le=1)
    fte_band_high: float = Field(ge=1, le=5)
    wage_min: float = Field(gt=0)
    wage_max: float = Field(gt=0)

    @model_validator(mode="after")
    def _known(self) -> JobClass:
        if self.job_class not in JOB_CLASSES:
            raise ValueError(f"job class must be one of {', '.join(JOB_CLASSES)}")
        if self.wage_min >= self.wage_max:
            raise ValueError("wage_min must be below wage_max")
        return self


class JobCode(BaseModel):
    model_config = _STRICT
    job_code: str = Field(min_length=1)
    job_title: str = Field(min_length=1)
    job_class: str

    @model_validator(mode="after")
    def _known(self) -> JobCode:
        if self.job_class not in JOB_CLASSES:
            raise ValueError(f"job class must be one of {', '.join(JOB_CLASSES)}")
        return self


class AccountMapping(BaseModel):
    """A GL account and the budget line item it rolls into."""

    model_config = _STRICT
    account: str = Field(pattern=r"^\d{4,6}$")
    account_name: str = Field(min_length=1)
    line_item: str

    @model_validator(mode="after")
    def _known(self) -> AccountMapping:
        if self.line_item not in LINE_ITEM_CODES:
            raise ValueError(f"line item must be one of {', '.join(LINE_ITEM_CODES)}")
        return self

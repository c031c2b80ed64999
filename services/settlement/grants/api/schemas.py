"""Request and response bodies of the settlement API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, RootModel, model_validator

from contracts.events.common import BudgetCategory, ExecutionTarget
from contracts.money import MAX_MINOR
from plumbing.web.request_bodies import RequestBody
from services.settlement.grants.domain.execution import Figures, Outlook

Text = Annotated[str, Field(min_length=1, max_length=500)]
Minor = Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR, description="fen: an integer, never a float")]


UserId = Annotated[str, Field(min_length=1, max_length=200)]


class GrantIn(RequestBody):
    grant_id: Annotated[str | None, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = None
    code: Annotated[str, Field(min_length=1, max_length=64)]
    title: Text
    pi_id: Annotated[str, Field(min_length=1, max_length=200)]
    authorised_buyers: Annotated[list[UserId], Field(default_factory=list, max_length=500)]
    budget_by_category: dict[BudgetCategory, Minor]
    period_start: date
    period_end: date
    approval_threshold_minor: Minor
    execution_targets: Annotated[list[ExecutionTarget], Field(default_factory=list, max_length=50)]
    org_unit_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None  # its lab

    @model_validator(mode="after")
    def _period(self) -> GrantIn:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class BudgetIn(RequestBody):
    category: BudgetCategory
    budget_minor: Minor
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class BuyersIn(RequestBody):
    authorised_buyers: Annotated[list[UserId], Field(max_length=500)]
    approval_threshold_minor: Minor


class FiguresOut(BaseModel):
    budget: int
    encumbered: int
    expended: int
    refunded: int
    available: int
    execution_rate_bp: int

    @classmethod
    def of(cls, f: Figures) -> FiguresOut:
        return cls(
            budget=f.budget,
            encumbered=f.encumbered,
            expended=f.expended,
            refunded=f.refunded,
            available=f.available,
            execution_rate_bp=f.rate_bp(),
        )


class MonthOut(BaseModel):
    """A month's net expenditure (released spend less the refunds paid back that month: it may be
    negative) and those refunds; a category's months add up to its `expended`."""

    month: date
    category: str
    expended: int
    refunded: int


class OutlookOut(BaseModel):
    elapsed_days: int
    total_days: int
    burn_per_day_minor: int
    projected_expended: int
    projected_rate_bp: int
    target_today_bp: int
    target_at_end_bp: int
    behind_target: bool

    @classmethod
    def of(cls, o: Outlook) -> OutlookOut:
        return cls(
            elapsed_days=o.elapsed_days,
            total_days=o.total_days,
            burn_per_day_minor=o.burn_per_day,
            projected_expended=o.projected_expended,
            projected_rate_bp=o.projected_rate_bp,
            target_today_bp=o.target_today_bp,
            target_at_end_bp=o.target_at_end_bp,
            behind_target=o.behind_target,
        )


class ExecutionOut(BaseModel):
    grant_id: str
    code: str
    title: str
    pi_id: str
    open: bool
    currency: str = "CNY"
    period_start: date
    period_end: date
    total: FiguresOut
    by_category: dict[str, FiguresOut]
    by_month: list[MonthOut]
    outlook: OutlookOut
    org_unit_id: str | None = None  # in a report over many grants: the unit the grant is in today


class ExecutionsOut(RootModel[list[ExecutionOut]]):
    pass


class GrantOut(BaseModel):
    grant_id: str
    tenant_id: str
    code: str
    title: str
    pi_id: str
    authorised_buyers: list[str]
    budget_by_category: dict[str, int]
    period_start: date
    period_end: date
    approval_threshold_minor: int
    execution_targets: list[ExecutionTarget]
    open: bool
    version: int
    org_unit_id: str | None = None  # the unit it belongs to today


class GrantUnitIn(RequestBody):
    org_unit_id: Annotated[str, Field(min_length=1, max_length=200)]
    effective_from: date


class GrantUnitOut(BaseModel):
    grant_id: str
    org_unit_id: str
    effective_from: date

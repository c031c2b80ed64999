"""Bodies and answers of the organisation API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.events.organisation import ApprovalRule, Period, UnitCode, UnitKind, UnitName
from plumbing.org.tree import Unit
from plumbing.web.request_bodies import RequestBody
from services.settlement.grants.api.schemas import ExecutionOut, FiguresOut

UnitId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class UnitIn(RequestBody):
    unit_id: UnitId | None = None
    code: UnitCode
    name: UnitName
    kind: UnitKind
    parent_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None  # None: a school
    active_from: date | None = None  # a month's first day; this month's when not given


class RenameIn(RequestBody):
    name: UnitName


class MoveIn(RequestBody):
    parent_id: Annotated[str | None, Field(min_length=1, max_length=200)]
    effective_from: date


class CloseIn(RequestBody):
    closed_from: date
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class RulesIn(RequestBody):
    rules: Annotated[list[ApprovalRule], Field(max_length=50)]


class UnitOut(BaseModel):
    unit_id: str
    code: str
    name: str
    kind: UnitKind
    parent_id: str | None  # today
    active_from: date
    closed_from: date | None
    parents: list[Period]
    rules: list[ApprovalRule]

    @classmethod
    def of(cls, unit: Unit, parent_id: str | None) -> UnitOut:
        return cls(
            unit_id=unit.unit_id,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            parent_id=parent_id,
            active_from=unit.active_from,
            closed_from=unit.closed_from,
            parents=list(unit.parents),
            rules=list(unit.rules),
        )


class NodeOut(BaseModel):
    unit_id: str
    code: str
    name: str
    kind: UnitKind
    grants: list[str]  # directly in this unit
    units: list[NodeOut]


class TreeOut(BaseModel):
    tenant_id: str
    as_of: date
    units: list[NodeOut]


class UnitRef(BaseModel):
    unit_id: str
    code: str
    name: str
    kind: UnitKind


class PartOut(BaseModel):
    """A unit directly below (`unit` None: grants held by the unit itself — for the university,
    grants under no school) and the sum of its grants."""

    unit: UnitRef | None
    grants: int
    total: FiguresOut


class UnitMonthOut(BaseModel):
    month: date
    expended: int
    refunded: int


class UnitExecutionOut(BaseModel):
    tenant_id: str
    unit: UnitRef
    total: FiguresOut
    units: list[PartOut]
    by_month: list[UnitMonthOut]
    grants: list[ExecutionOut]

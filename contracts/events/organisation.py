"""Events on `settlement.events` about a university's organisation: its units (schools,
departments, labs), where each sits in the tree and from when, which grant belongs to which unit,
and each unit's approval rules. Settlement owns the tree (it owns the grants); orders projects it.

Every event carries the whole of what changed — a unit's parent history, a grant's unit history,
a unit's whole rule list — so a projection replaces what it holds and never recomputes a period.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory, Id, Reason
from contracts.money import MinorUnits
from contracts.topics import Topic

UnitCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
UnitName = Annotated[str, Field(min_length=1, max_length=200)]
RuleKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class UnitKind(StrEnum):
    SCHOOL = "school"  # 学院: directly under the university
    DEPARTMENT = "department"  # under a school or another department
    LAB = "lab"  # under a school or a department; grants belong to labs


class Period(BaseModel):
    """One period of membership: under `parent_id` (None: directly under the university) from
    `valid_from` (a month's first day) until the day before `valid_to` (None: still)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    parent_id: Id | None
    valid_from: date
    valid_to: date | None = None


class Approver(StrEnum):
    PRINCIPAL_INVESTIGATOR = "principal_investigator"  # the grant's PI
    UNIT_APPROVER = "unit_approver"  # a unit approver of the unit that holds the rule (a dean)
    SAFETY_OFFICER = "safety_officer"
    UNIVERSITY_FINANCE = "university_finance"  # a finance officer whose scope holds the grant


class ItemKind(StrEnum):
    """What of an order a rule looks at: all of it, or only when it holds hazardous items or
    items of one budget category."""

    ANY = "any"
    HAZARDOUS = "hazardous"
    REAGENTS = BudgetCategory.REAGENTS.value
    CONSUMABLES = BudgetCategory.CONSUMABLES.value
    EQUIPMENT = BudgetCategory.EQUIPMENT.value
    SERVICES = BudgetCategory.SERVICES.value


class ApprovalRule(BaseModel):
    """Who must approve an order whose total lies in a band and whose items are of a kind. A
    unit's rule applies to the units below it unless one of them has a rule with the same key
    (which then replaces it there — `enabled: false` switches it off)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: RuleKey
    approver: Approver
    above_minor: MinorUnits = 0  # applies when the order total is above this
    up_to_minor: MinorUnits | None = None  # … and at most this (None: no upper bound)
    item_kind: ItemKind = ItemKind.ANY
    enabled: bool = True


class _OrgEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.SETTLEMENT_EVENTS

    unit_id: Id


class OrgUnitCreated(_OrgEvent):
    event_type: ClassVar[str] = "settlement.OrgUnitCreated"
    summary: ClassVar[str] = "A school, department or lab was added to a university's tree."

    code: UnitCode
    name: UnitName
    kind: UnitKind
    active_from: date
    parents: Annotated[list[Period], Field(min_length=1)]
    created_by: Actor


class OrgUnitRenamed(_OrgEvent):
    event_type: ClassVar[str] = "settlement.OrgUnitRenamed"
    summary: ClassVar[str] = "A unit's name changed (its code and history stay)."

    name: UnitName
    previous_name: UnitName
    renamed_by: Actor


class OrgUnitMoved(_OrgEvent):
    event_type: ClassVar[str] = "settlement.OrgUnitMoved"
    summary: ClassVar[str] = "A unit moves under another parent from a month's first day."

    parent_id: Id | None
    effective_from: date
    parents: Annotated[list[Period], Field(min_length=1)]  # the unit's whole history after the move
    moved_by: Actor


class OrgUnitClosed(_OrgEvent):
    event_type: ClassVar[str] = "settlement.OrgUnitClosed"
    summary: ClassVar[str] = "A unit with no units or grants left under it closes from a date."

    closed_from: date
    parents: Annotated[list[Period], Field(min_length=1)]
    reason: Reason
    closed_by: Actor


class OrgUnitApprovalRulesSet(_OrgEvent):
    event_type: ClassVar[str] = "settlement.OrgUnitApprovalRulesSet"
    summary: ClassVar[str] = "A unit's approval rules, in order, replace the ones it had."

    rules: list[ApprovalRule]
    set_by: Actor


class GrantOrgUnitChanged(EventPayload):
    topic: ClassVar[Topic] = Topic.SETTLEMENT_EVENTS
    event_type: ClassVar[str] = "settlement.GrantOrgUnitChanged"
    summary: ClassVar[str] = "A grant belongs to a unit from a month's first day."

    grant_id: Id
    unit_id: Id
    effective_from: date
    units: Annotated[list[Period], Field(min_length=1)]  # the grant's whole history after the change
    changed_by: Actor


ORGANISATION_EVENTS: tuple[type[EventPayload], ...] = (
    OrgUnitCreated,
    OrgUnitRenamed,
    OrgUnitMoved,
    OrgUnitClosed,
    OrgUnitApprovalRulesSet,
    GrantOrgUnitChanged,
)

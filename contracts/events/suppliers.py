"""Events on `suppliers.events`: onboarding, review, bank verification, licences, listings."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory, CasNumber, CreditCode, Id, Reason
from contracts.money import Money
from contracts.topics import Topic


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    phone: Annotated[str, Field(min_length=5, max_length=32)]


class _SupplierEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.SUPPLIERS_EVENTS

    supplier_id: Id


class SupplierRegistered(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.SupplierRegistered"
    summary: ClassVar[str] = "A supplier registered itself and awaits review."

    legal_name: Annotated[str, Field(min_length=1, max_length=300)]
    credit_code: CreditCode
    contact: Contact
    categories: Annotated[list[BudgetCategory], Field(min_length=1)]


class SupplierApproved(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.SupplierApproved"
    summary: ClassVar[str] = "Platform operations approved the supplier's documents."

    reviewed_by: Actor


class SupplierRejected(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.SupplierRejected"
    summary: ClassVar[str] = "Platform operations rejected the supplier; it may fix and resubmit."

    reviewed_by: Actor
    reason: Reason


class SupplierActivated(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.SupplierActivated"
    summary: ClassVar[str] = "Approved and bank account verified: the supplier may sell."

    legal_name: Annotated[str, Field(min_length=1, max_length=300)]
    hazardous_licence_valid_until: date | None = None


class SupplierSuspended(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.SupplierSuspended"
    summary: ClassVar[str] = "The supplier may not sell or be paid out until reinstated."

    suspended_by: Actor
    reason: Reason


class SupplierReinstated(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.SupplierReinstated"
    summary: ClassVar[str] = "A suspended supplier is active again."

    reinstated_by: Actor
    reason: Reason


class BankAccountChanged(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.BankAccountChanged"
    summary: ClassVar[str] = "A new bank account was given; payouts pause until it is verified."

    bank_account_id: Id
    bank_name: Annotated[str, Field(min_length=1, max_length=200)]
    holder_name: Annotated[str, Field(min_length=1, max_length=300)]
    account_masked: Annotated[str, Field(max_length=40, examples=["**** 4321"])]


class BankAccountVerified(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.BankAccountVerified"
    summary: ClassVar[str] = "The supplier confirmed the micro-deposit; payouts may go there."

    bank_account_id: Id
    account_masked: Annotated[str, Field(max_length=40)]


class LicenceType(StrEnum):
    BUSINESS = "business"
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"


class LicenceExpired(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.LicenceExpired"
    summary: ClassVar[str] = "A licence expired; hazardous listings were withdrawn."

    licence_id: Id
    licence_type: LicenceType
    expired_on: date
    withdrawn_listing_ids: list[Id] = []


class LicenceRenewed(_SupplierEvent):
    event_type: ClassVar[str] = "suppliers.LicenceRenewed"
    summary: ClassVar[str] = "A licence was renewed; the supplier may list hazardous goods again."

    licence_id: Id
    licence_type: LicenceType
    valid_until: date


class _ListingEvent(_SupplierEvent):
    listing_id: Id
    sku: Id


class _ListingDetails(_ListingEvent):
    name: Annotated[str, Field(min_length=1, max_length=500)]
    unit: Annotated[str, Field(min_length=1, max_length=50)]
    price: Money
    category: BudgetCategory
    hazard_class: Annotated[str | None, Field(max_length=64, examples=["flammable,toxic"])] = None
    cas_number: CasNumber | None = None
    hazardous: bool = Field(default=False, description="needs a hazardous-chemicals licence to sell")


class ListingPublished(_ListingDetails):
    event_type: ClassVar[str] = "suppliers.ListingPublished"
    summary: ClassVar[str] = "A product is on sale at a price (version 1)."

    listing_version: Annotated[int, Field(ge=1)]


class ListingChanged(_ListingDetails):
    event_type: ClassVar[str] = "suppliers.ListingChanged"
    summary: ClassVar[str] = "A listing's price or details changed; orders keep the version they bought."

    listing_version: Annotated[int, Field(ge=2)]


class ListingWithdrawn(_ListingEvent):
    event_type: ClassVar[str] = "suppliers.ListingWithdrawn"
    summary: ClassVar[str] = "A listing is no longer on sale."

    reason_code: Annotated[str, Field(examples=["supplier_withdrew", "licence_expired", "suspended"])]


SUPPLIER_EVENTS: tuple[type[EventPayload], ...] = (
    SupplierRegistered,
    SupplierApproved,
    SupplierRejected,
    SupplierActivated,
    SupplierSuspended,
    SupplierReinstated,
    BankAccountChanged,
    BankAccountVerified,
    LicenceExpired,
    LicenceRenewed,
    ListingPublished,
    ListingChanged,
    ListingWithdrawn,
)

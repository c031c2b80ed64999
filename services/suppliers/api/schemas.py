"""Request and response bodies of the suppliers API. Bank account numbers never leave masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.events.common import BudgetCategory
from contracts.events.suppliers import Contact
from plumbing.web.request_bodies import RequestBody
from services.suppliers.domain.listing import Listing, ListingDetails
from services.suppliers.domain.supplier import Supplier

Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=300)]  # as long as the events allow
BankName = Annotated[str, Field(min_length=1, max_length=200)]


class RegistrationIn(RequestBody):
    legal_name: Name
    credit_code: Annotated[str, Field(min_length=18, max_length=18, examples=["91310115AL7LL93D6F"])]
    contact: Contact
    categories: Annotated[list[BudgetCategory], Field(min_length=1)]


class BankAccountIn(RequestBody):
    bank_name: BankName
    account_number: Annotated[str, Field(pattern=r"^\d{10,30}$")]
    holder_name: Name


class DepositAnswerIn(RequestBody):
    amount_minor: Annotated[
        int, Field(strict=True, ge=1, le=99, description="the micro-deposit seen, in fen")
    ]


class ListingIn(RequestBody):
    name: Text
    unit: Annotated[str, Field(min_length=1, max_length=50)]
    price_minor: Annotated[int, Field(strict=True, gt=0, le=10**12)]
    category: BudgetCategory
    hazard_class: Annotated[str | None, Field(max_length=64, examples=["flammable,toxic"])] = None
    cas_number: Annotated[str | None, Field(max_length=16, examples=["67-64-1"])] = None

    def details(self) -> ListingDetails:
        return ListingDetails(
            self.name, self.unit, self.price_minor, self.category, self.hazard_class, self.cas_number
        )


class NewListingIn(ListingIn):
    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class BankAccountOut(BaseModel):
    account_id: str
    bank_name: str
    holder_name: str
    account_masked: str
    status: str
    verification_deadline: datetime | None
    attempts_left: int
    payouts_paused: bool


class DocumentOut(BaseModel):
    kind: str
    sha256: str
    content_type: str
    size_bytes: int
    valid_until: date | None
    licence_number: str | None


class SupplierOut(BaseModel):
    supplier_id: str
    legal_name: str
    credit_code: str
    contact: Contact
    categories: list[BudgetCategory]
    state: str
    state_reason: str | None
    has_business_licence: bool
    hazardous_licence_until: date | None
    hazardous_licence_expired: bool
    bank_account: BankAccountOut | None
    version: int

    @classmethod
    def of(cls, s: Supplier) -> SupplierOut:
        a = s.bank_account
        account = None
        if a is not None:
            account = BankAccountOut(
                account_id=a.account_id,
                bank_name=a.bank_name,
                holder_name=a.holder_name,
                account_masked=a.masked,
                status=a.status.value,
                verification_deadline=None if a.status.value == "verified" else a.verification_deadline,
                attempts_left=max(0, 3 - a.wrong_answers),
                payouts_paused=a.status.value != "verified",
            )
        return cls(
            supplier_id=s.supplier_id,
            legal_name=s.legal_name,
            credit_code=s.credit_code,
            contact=s.contact,
            categories=s.categories,
            state=s.state.value,
            state_reason=s.state_reason,
            has_business_licence=s.has_business_licence,
            hazardous_licence_until=s.hazardous_licence_until,
            hazardous_licence_expired=s.hazardous_licence_expired,
            bank_account=account,
            version=s.version,
        )


class SupplierPage(BaseModel):
    items: list[SupplierOut]
    next_cursor: str | None


class ListingOut(BaseModel):
    listing_id: str
    supplier_id: str
    sku: str
    status: str
    version: int
    name: str
    unit: str
    price_minor: int
    currency: str = "CNY"
    category: BudgetCategory
    hazard_class: str | None
    cas_number: str | None
    hazardous: bool
    withdrawn_reason: str | None = None

    @classmethod
    def of(cls, listing: Listing) -> ListingOut:
        d = listing.details
        return cls(
            listing_id=listing.listing_id,
            supplier_id=listing.supplier_id,
            sku=listing.sku,
            status=listing.status.value,
            version=listing.version,
            name=d.name,
            unit=d.unit,
            price_minor=d.price_minor,
            category=d.category,
            hazard_class=d.hazard_class,
            cas_number=d.cas_number,
            hazardous=d.needs_hazardous_licence,
            withdrawn_reason=listing.withdrawn_reason,
        )


class ListingPage(BaseModel):
    items: list[ListingOut]
    next_cursor: str | None

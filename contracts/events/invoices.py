"""Events on `invoices.events`: a university's invoicing profile, each invoice's verification and
three-way match, and the red-letter invoices refunds call for. Settlement reads them to pay a
supplier only what matched invoices cover."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import EventPayload
from contracts.events.common import Actor, CreditCode, Id, Reason
from contracts.money import Money
from contracts.topics import Topic

InvoiceNumber = Annotated[str, Field(pattern=r"^\d{18,20}$", examples=["25322000000123456789"])]
MatchReason = Annotated[
    str,
    Field(
        examples=[
            "price_variance",
            "quantity_variance",
            "not_received",
            "buyer_mismatch",
            "seller_mismatch",
            "verification_failed",
        ]
    ),
]


class Cover(BaseModel):
    """What an invoice covers of one order: fen with tax, what may be paid out against it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: Id
    amount: Money


class InvoicingProfileSet(EventPayload):
    event_type: ClassVar[str] = "invoices.InvoicingProfileSet"
    summary: ClassVar[str] = (
        "A university set its invoicing profile: from now on its suppliers are paid only what matched "
        "invoices cover, and overdue red-letter invoices may hold their payouts."
    )
    topic: ClassVar[Topic] = Topic.INVOICES_EVENTS

    university_id: Id
    buyer_name: Annotated[str, Field(min_length=1, max_length=300)]
    buyer_tax_id: CreditCode
    payouts_need_invoices: bool = True
    red_letter_hold_days: Annotated[int, Field(ge=0, le=365)] | None = None  # None: never held
    set_by: Actor


class _InvoiceEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.INVOICES_EVENTS

    invoice_id: InvoiceNumber
    supplier_id: Id


class InvoiceSubmitted(_InvoiceEvent):
    event_type: ClassVar[str] = "invoices.InvoiceSubmitted"
    summary: ClassVar[str] = "A supplier submitted an invoice for orders of one university."

    issued_on: date
    total: Money
    order_ids: Annotated[list[Id], Field(min_length=1)]
    submitted_by: Actor


class InvoiceMatched(_InvoiceEvent):
    event_type: ClassVar[str] = "invoices.InvoiceMatched"
    summary: ClassVar[str] = (
        "The invoice is verified and matches order and receipt (or finance accepted its variance): "
        "what it covers may be paid out."
    )

    covers: Annotated[list[Cover], Field(min_length=1)]
    accepted_by: Actor | None = None  # finance, when it accepted a variance
    reasons_accepted: list[MatchReason] = []


class InvoiceHeld(_InvoiceEvent):
    event_type: ClassVar[str] = "invoices.InvoiceHeld"
    summary: ClassVar[str] = (
        "The invoice does not match (with the reasons): finance accepts it or rejects it."
    )

    reasons: Annotated[list[MatchReason], Field(min_length=1)]
    order_ids: Annotated[list[Id], Field(min_length=1)]


class InvoiceRejected(_InvoiceEvent):
    event_type: ClassVar[str] = "invoices.InvoiceRejected"
    summary: ClassVar[str] = "Finance rejected the invoice back to the supplier, with a reason."

    rejected_by: Actor
    reason: Reason
    order_ids: Annotated[list[Id], Field(min_length=1)]


class InvoiceVoided(_InvoiceEvent):
    event_type: ClassVar[str] = "invoices.InvoiceVoided"
    summary: ClassVar[str] = (
        "The tax service reports the invoice voided (作废) or offset (红冲): it covers nothing any more, "
        "and what it allowed and is not yet paid is held again."
    )

    status: Annotated[str, Field(examples=["voided", "offset"])]
    order_ids: Annotated[list[Id], Field(min_length=1)]
    was_matched: bool


class _RedLetterEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.INVOICES_EVENTS

    refund_id: Id
    order_id: Id
    supplier_id: Id
    amount: Money  # positive: what the red-letter invoice must offset


class RedLetterOwed(_RedLetterEvent):
    event_type: ClassVar[str] = "invoices.RedLetterOwed"
    summary: ClassVar[str] = (
        "A refund on an invoiced order: the supplier owes a red-letter invoice (红字发票) for it."
    )

    invoice_id: InvoiceNumber  # the invoice it must offset
    owed_since: datetime


class RedLetterReceived(_RedLetterEvent):
    event_type: ClassVar[str] = "invoices.RedLetterReceived"
    summary: ClassVar[str] = "The supplier submitted the red-letter invoice a refund called for."

    red_letter_id: InvoiceNumber
    invoice_id: InvoiceNumber


INVOICE_EVENTS: tuple[type[EventPayload], ...] = (
    InvoicingProfileSet,
    InvoiceSubmitted,
    InvoiceMatched,
    InvoiceHeld,
    InvoiceRejected,
    InvoiceVoided,
    RedLetterOwed,
    RedLetterReceived,
)

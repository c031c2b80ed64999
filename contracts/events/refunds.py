"""Events on `refunds.events`: refund cases after Taobao's statuses, disputes and awards."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.events.base import EventPayload
from contracts.events.common import Actor, Id, Reason
from contracts.events.settlement import RefundSource
from contracts.money import Money
from contracts.topics import Topic


class _RefundEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.REFUNDS_EVENTS

    refund_id: Id
    order_id: Id


class RefundRequested(_RefundEvent):
    event_type: ClassVar[str] = "refunds.RefundRequested"
    summary: ClassVar[str] = "A buyer opened a refund case; the order's receipt timer pauses."

    supplier_id: Id
    grant_id: Id
    requested_by: Actor
    amount: Money
    reason_code: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Reason
    goods_return_required: bool
    seller_deadline: datetime


class RefundAgreed(_RefundEvent):
    event_type: ClassVar[str] = "refunds.RefundAgreed"
    summary: ClassVar[str] = "The refund is owed to the grant: settlement pays it."

    supplier_id: Id
    grant_id: Id
    amount: Money
    agreed_by: Actor
    automatic: bool
    pay_by: datetime


class RefundRefused(_RefundEvent):
    event_type: ClassVar[str] = "refunds.RefundRefused"
    summary: ClassVar[str] = "The supplier refused; the buyer may escalate."

    refused_by: Actor
    reason: Reason


class ReturnGoodsShipped(_RefundEvent):
    event_type: ClassVar[str] = "refunds.ReturnGoodsShipped"
    summary: ClassVar[str] = "The buyer sent the goods back."

    carrier: Annotated[str, Field(min_length=1, max_length=100)]
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]


class ReturnGoodsConfirmed(_RefundEvent):
    event_type: ClassVar[str] = "refunds.ReturnGoodsConfirmed"
    summary: ClassVar[str] = "The supplier (or the timer) confirmed the returned goods."

    confirmed_by: Actor
    automatic: bool


class RefundEscalated(_RefundEvent):
    event_type: ClassVar[str] = "refunds.RefundEscalated"
    summary: ClassVar[str] = "The buyer took a refused refund to platform operations."

    escalated_by: Actor
    reason: Reason


class DisputeDecision(StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    NO_REFUND = "no_refund"


class DisputeResolved(_RefundEvent):
    event_type: ClassVar[str] = "refunds.DisputeResolved"
    summary: ClassVar[str] = "Platform operations decided the dispute."

    decided_by: Actor
    decision: DisputeDecision
    awarded: Money
    reason: Reason


class RefundClosed(_RefundEvent):
    event_type: ClassVar[str] = "refunds.RefundClosed"
    summary: ClassVar[str] = "The case closed without a refund; the receipt timer resumes."

    reason_code: Annotated[str, Field(examples=["buyer_withdrew", "return_not_shipped", "dispute_lost"])]


class RefundCompleted(_RefundEvent):
    event_type: ClassVar[str] = "refunds.RefundCompleted"
    summary: ClassVar[str] = "Settlement paid the refund; the case is done."

    amount: Money
    source: RefundSource
    agreed_at: datetime
    settled_at: datetime


REFUND_EVENTS: tuple[type[EventPayload], ...] = (
    RefundRequested,
    RefundAgreed,
    RefundRefused,
    ReturnGoodsShipped,
    ReturnGoodsConfirmed,
    RefundEscalated,
    DisputeResolved,
    RefundClosed,
    RefundCompleted,
)

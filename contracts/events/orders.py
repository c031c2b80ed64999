"""Events on `orders.events`: one order per supplier, through approval, escrow and fulfilment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory, CasNumber, Id, Reason
from contracts.events.organisation import Approver
from contracts.money import MinorUnits, Money
from contracts.topics import Topic


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    listing_id: Id
    sku: Id
    listing_version: Annotated[int, Field(ge=1, description="the price version ordered at")]
    name: Annotated[str, Field(min_length=1, max_length=500)]
    category: BudgetCategory
    unit: Annotated[str, Field(min_length=1, max_length=50)]
    quantity: Annotated[int, Field(ge=1)]
    unit_price_minor: MinorUnits
    line_total_minor: MinorUnits
    hazardous: bool = False
    cas_number: CasNumber | None = None


class ApprovalReason(StrEnum):
    OVER_THRESHOLD = "over_threshold"  # the grant's own threshold
    LAB_MEMBER_PURCHASE = "lab_member_purchase"
    HAZARDOUS_ITEM = "hazardous_item"
    UNIT_RULE = "unit_rule"  # an approval rule of a unit above the grant


class ApprovalStep(BaseModel):
    """One approval an order waits for; steps are given in order. `scope_units`: the units whose
    scoped approvers of the step's kind may give it (a rule's own unit for a unit approver; the
    grant's units for a finance officer, who may also be unscoped)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: Annotated[str, Field(min_length=1, max_length=300)]  # a reason, or "<unit code>/<rule key>"
    reason: ApprovalReason
    approver: Approver
    scope_units: list[Id] = []
    unit_id: Id | None = None  # the unit whose rule asked for it
    rule: Annotated[str, Field(max_length=500)] = ""  # what asked for it, in words


class _OrderEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.ORDERS_EVENTS

    order_id: Id


class OrderPlaced(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderPlaced"
    summary: ClassVar[str] = "An order for one supplier was placed; settlement reserves grant funds."

    checkout_id: Id
    grant_id: Id
    buyer: Actor
    supplier_id: Id
    lines: Annotated[list[OrderLine], Field(min_length=1)]
    total: Money
    approvals_required: list[ApprovalReason] = []
    external_ref: Id | None = None


class OrderApprovalRequested(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderApprovalRequested"
    summary: ClassVar[str] = "The order waits for its approvals: the PI, unit approvers, a safety officer."

    grant_id: Id
    reasons: Annotated[list[ApprovalReason], Field(min_length=1)]
    approver_roles: Annotated[list[str], Field(min_length=1)]
    deadline: datetime
    steps: list[ApprovalStep] = []  # in the order they are given


class OrderApproved(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderApproved"
    summary: ClassVar[str] = "One approval was given; `fully_approved` when none is left."

    approver: Actor
    reason: ApprovalReason
    fully_approved: bool
    step: Annotated[str, Field(max_length=300)] | None = None  # the step's key
    on_behalf_of: Actor | None = None  # the approver the giver stands in for (a delegation)


class OrderApprovalDenied(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderApprovalDenied"
    summary: ClassVar[str] = "An approver said no; the order closes and escrow is voided."

    approver: Actor
    reason: Reason


class OrderPaid(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderPaid"
    summary: ClassVar[str] = "Funds are held in escrow and approvals are complete: waiting for the supplier."

    supplier_id: Id
    amount: Money
    ship_by: datetime


class OrderRejected(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderRejected"
    summary: ClassVar[str] = "Settlement refused the funds; the order is REJECTED."

    reason_code: Annotated[str, Field(min_length=1, max_length=64)]
    detail: str = ""


class OrderShipped(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderShipped"
    summary: ClassVar[str] = "The supplier shipped; the receipt timer starts."

    supplier_id: Id
    carrier: str | None = None
    tracking_number: str | None = None
    auto_confirm_at: datetime


class ReceivedLine(BaseModel):
    """What one receipt took of one order line: `line_no` counts the order's lines from 1."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_no: Annotated[int, Field(ge=1, le=500)]
    quantity: Annotated[int, Field(ge=1)]
    amount_minor: MinorUnits  # quantity times the line's unit price
    category: BudgetCategory


class OrderReceived(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderReceived"
    summary: ClassVar[str] = (
        "A receipt became final (by a receiver, or the timer for what was left): settlement "
        "releases the escrow of the lines it took — all that is held when `complete`."
    )

    supplier_id: Id
    grant_id: Id
    confirmed_by: Actor
    auto_confirmed: bool
    amount: Money  # what the receipt's lines are worth; without lines, what is still to settle
    receipt_no: Annotated[int, Field(ge=1)] = 1
    lines: list[ReceivedLine] = []  # none: the whole order at once
    complete: bool = True  # every line is now received in full


class OrderCompleted(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderCompleted"
    summary: ClassVar[str] = "Escrow was released to the supplier: the trade is finished."

    supplier_id: Id
    settled: Money


class CancelReason(StrEnum):
    BUYER_CANCELLED = "buyer_cancelled"
    OUT_OF_STOCK = "out_of_stock"
    NOT_SHIPPED_IN_TIME = "not_shipped_in_time"
    PLATFORM_CANCELLED = "platform_cancelled"


class OrderCancelled(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderCancelled"
    summary: ClassVar[str] = "Cancelled before shipping: settlement voids the escrow."

    grant_id: Id
    cancelled_by: Actor
    reason_code: CancelReason
    reason: str = ""


class CloseReason(StrEnum):
    APPROVAL_TIMEOUT = "approval_timeout"
    APPROVAL_DENIED = "approval_denied"
    PAYMENT_TIMEOUT = "payment_timeout"
    FULLY_REFUNDED = "fully_refunded"


class OrderClosed(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderClosed"
    summary: ClassVar[str] = "Closed without trade (unapproved or unpaid): any escrow is voided."

    grant_id: Id
    reason_code: CloseReason


class OrderRefundStateChanged(_OrderEvent):
    event_type: ClassVar[str] = "orders.OrderRefundStateChanged"
    summary: ClassVar[str] = "The order's refund state and refunded total, as the buyer sees them."

    refund_state: Annotated[str, Field(examples=["none", "in_progress", "partially_refunded"])]
    refunded: Money
    auto_confirm_paused: bool


ORDER_EVENTS: tuple[type[EventPayload], ...] = (
    OrderPlaced,
    OrderApprovalRequested,
    OrderApproved,
    OrderApprovalDenied,
    OrderPaid,
    OrderRejected,
    OrderShipped,
    OrderReceived,
    OrderCompleted,
    OrderCancelled,
    OrderClosed,
    OrderRefundStateChanged,
)

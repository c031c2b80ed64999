"""Request and response bodies of the orders API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.events.common import Actor
from contracts.events.orders import OrderLine
from plumbing.web.request_bodies import RequestBody
from services.orders.domain.order import Order, OrderStatus

Id = Annotated[str, Field(min_length=1, max_length=200)]


class CartLineIn(RequestBody):
    supplier_id: Id
    sku: Id
    quantity: Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
    unit_price_minor: Annotated[
        int, Field(strict=True, gt=0, le=10**12, description="the price shown to the buyer, in fen")
    ]


class CheckoutIn(RequestBody):
    grant_id: Id
    lines: Annotated[list[CartLineIn], Field(min_length=1, max_length=500)]


class ShipIn(RequestBody):
    carrier: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    tracking_number: Annotated[str | None, Field(min_length=1, max_length=100)] = None


class DeadlineOut(BaseModel):
    kind: str
    due_at: datetime | None
    paused: bool


class ApprovalOut(BaseModel):
    step: int
    key: str
    reason: str
    approver: str  # principal_investigator, unit_approver, safety_officer, university_finance
    unit_id: str | None  # the unit whose rule asked for it
    rule: str  # what asked for it, in words
    given_by: Actor | None


class LineReceivedOut(BaseModel):
    line_no: int
    ordered: int
    received: int  # by every receipt not undone, those within their undo window included
    final: int  # by final receipts: what escrow was released on


class ReceiptOut(BaseModel):
    no: int
    by: Actor
    at: datetime
    final_at: datetime
    state: str  # pending (within its undo window) | final | undone
    automatic: bool
    lines: dict[int, int]  # line no → quantity
    released_minor: int  # what settlement released on it


class OrderOut(BaseModel):
    order_id: str
    checkout_id: str
    tenant_id: str
    grant_id: str
    buyer: Actor
    supplier_id: str
    status: str
    funds: str
    lines: list[OrderLine]
    total_minor: int
    currency: str
    approvals_required: list[str]  # the reasons
    approvals_pending: list[str]  # the keys of the steps not yet given, in order
    approvals: list[ApprovalOut]  # every step, in the order they are given
    carrier: str | None
    tracking_number: str | None
    refund_state: str
    refunded_minor: int
    received: list[LineReceivedOut]
    receipts: list[ReceiptOut]
    deadlines: list[DeadlineOut]
    external_ref: str | None
    placed_at: datetime
    version: int

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        """Size: the order's fields one by one, with its approvals and receipts."""
        # an order received before receipts were kept by line was received whole
        whole = not o.receipts.items and o.status in (OrderStatus.RECEIVED, OrderStatus.COMPLETED)
        return cls(
            order_id=o.order_id,
            checkout_id=o.checkout_id,
            tenant_id=o.tenant_id,
            grant_id=o.grant_id,
            buyer=o.buyer,
            supplier_id=o.supplier_id,
            status=o.status.value,
            funds=o.funds.value,
            lines=o.lines,
            total_minor=o.total_minor,
            currency=o.currency,
            approvals_required=[r.value for r in o.approvals_required],
            approvals_pending=[step.key for step in o.approvals_pending],
            approvals=[
                ApprovalOut(
                    step=n,
                    key=step.key,
                    reason=step.reason.value,
                    approver=step.approver.value,
                    unit_id=step.unit_id,
                    rule=step.rule,
                    given_by=o.approvals_given.get(step.key),
                )
                for n, step in enumerate(o.approval_steps, 1)
            ],
            carrier=o.carrier,
            tracking_number=o.tracking_number,
            refund_state=o.refund_state,
            refunded_minor=o.refunded_minor,
            received=[
                LineReceivedOut(
                    line_no=n,
                    ordered=line.quantity,
                    received=line.quantity if whole else o.receipts.received(n),
                    final=line.quantity if whole else o.receipts.received(n, final_only=True),
                )
                for n, line in enumerate(o.lines, 1)
            ],
            receipts=[
                ReceiptOut(
                    no=r.no,
                    by=r.by,
                    at=r.at,
                    final_at=r.final_at,
                    state=r.state.value,
                    automatic=r.automatic,
                    lines=r.lines,
                    released_minor=r.released_minor,
                )
                for r in o.receipts.items
            ],
            deadlines=[
                DeadlineOut(kind=k.value, due_at=t.due_at, paused=t.due_at is None)
                for k, t in sorted(o.timers.items())
            ],
            external_ref=o.external_ref,
            placed_at=o.placed_at,
            version=o.version,
        )


class CheckoutOut(BaseModel):
    checkout_id: str
    orders: list[OrderOut]
    total_minor: int


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class TimelineEntryOut(BaseModel):
    seq: int
    at: datetime
    action: str
    actor_id: str
    actor_role: str
    from_status: str | None
    to_status: str
    reason: str | None

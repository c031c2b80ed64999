"""What refunds does with other services' events, one table keyed by event class: it keeps a view
of each order's status (eligibility reads it), and a refund settled by settlement pays the case."""

from __future__ import annotations

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.orders import (
    OrderCancelled,
    OrderClosed,
    OrderCompleted,
    OrderPaid,
    OrderPlaced,
    OrderReceived,
    OrderRejected,
    OrderShipped,
)
from contracts.events.settlement import RefundSettled
from contracts.money import Money
from plumbing.messaging.appliers import Events, EventTable
from plumbing.messaging.consistency import CONTRADICTS_ORDER
from plumbing.messaging.delivery import Delivery, PoisonEvent
from services.refunds.adapters import repository as repo
from services.refunds.context import Context
from services.refunds.domain import order_view

STATUS_OF: dict[type[EventPayload], str] = {
    OrderPaid: "PAID",
    OrderShipped: "SHIPPED",
    OrderReceived: "RECEIVED",
    OrderCompleted: "COMPLETED",
    OrderCancelled: "CANCELLED",
    OrderClosed: "CLOSED",
    OrderRejected: "REJECTED",
}


async def on_order_event(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """The order's view follows the event, unless it is old news or contradicts the order
    (`domain.order_view`: then it is dead-lettered)."""
    event, envelope = delivery.payload, delivery.envelope
    if isinstance(event, OrderReceived) and not event.complete:
        return  # a receipt of part of the order: it stays SHIPPED until every line is received
    status = "PLACED" if isinstance(event, OrderPlaced) else STATUS_OF[type(event)]
    order_id: str = event.order_id  # type: ignore[attr-defined]
    view = await repo.order(conn, order_id, for_update=True)
    if view is None:
        if isinstance(event, OrderPlaced):
            await repo.insert_order(conn, envelope, event)
        return  # an order placed before this view began, or one that never was: nothing to follow
    decision = order_view.decide(view, _claim(envelope.tenant_id, event), status)
    if decision.verdict is order_view.Verdict.CONTRADICTS:
        raise PoisonEvent(CONTRADICTS_ORDER, decision.detail)
    if decision.verdict is order_view.Verdict.APPLY:
        await repo.move_order(conn, order_id, status, envelope.aggregate_version, ctx.clock.now())


def _claim(tenant_id: str, event: EventPayload) -> order_view.Claim:
    total = event.total if isinstance(event, OrderPlaced) else getattr(event, "amount", None)
    if isinstance(event, OrderReceived):
        total = None  # what is still to settle, not the order's total
    return order_view.Claim(
        tenant_id,
        grant_id=getattr(event, "grant_id", None),
        supplier_id=getattr(event, "supplier_id", None),
        total_minor=total.amount_minor if isinstance(total, Money) else None,
    )


async def on_refund_settled(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    settled = delivery.payload
    assert isinstance(settled, RefundSettled)
    case = await repo.get(conn, settled.refund_id, for_update=True)
    if case is None:
        raise PoisonEvent("refund_not_found", f"no refund case {settled.refund_id!r}")
    if case.paid(settled.source, ctx.clock.now()):
        await repo.save(conn, case, ctx.outbox, causation_id=delivery.envelope.event_id)


TABLE: EventTable[Context] = {
    OrderPlaced: on_order_event,
    **{event: on_order_event for event in STATUS_OF},
    RefundSettled: on_refund_settled,
}
EVENTS: Events[Context] = Events.table(TABLE)

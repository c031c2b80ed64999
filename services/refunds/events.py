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
from plumbing.appliers import Events, EventTable
from plumbing.delivery import Delivery, PoisonEvent
from services.refunds.adapters import repository as repo
from services.refunds.context import Context

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
    event, envelope = delivery.payload, delivery.envelope
    if isinstance(event, OrderPlaced):
        await conn.execute(
            """insert into orders_view (order_id, tenant_id, grant_id, buyer_id, supplier_id, total_minor,
                   status, version) values ($1, $2, $3, $4, $5, $6, 'PLACED', $7) on conflict do nothing""",
            event.order_id,
            envelope.tenant_id,
            event.grant_id,
            event.buyer.user_id,
            event.supplier_id,
            event.total.amount_minor,
            envelope.aggregate_version,
        )
        return
    status = STATUS_OF[type(event)]
    order_id: str = event.order_id  # type: ignore[attr-defined]
    await conn.execute(
        """update orders_view set status = $2, version = $3,
               completed_at = case when $2 = 'COMPLETED' then $4 else completed_at end
           where order_id = $1 and version < $3""",
        order_id,
        status,
        envelope.aggregate_version,
        ctx.clock.now(),
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

"""What early payment needs to know of orders and refunds beyond the money: when an order shipped
and confirms itself (its expected release), and which refund cases closed without a refund."""

from __future__ import annotations

import asyncpg

from contracts.events.orders import OrderShipped
from contracts.events.refunds import RefundClosed
from plumbing.messaging.delivery import Delivery
from services.settlement.context import Context

EVENTS = (OrderShipped, RefundClosed)


async def on_order_fact(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    event = delivery.payload
    if isinstance(event, OrderShipped):
        await conn.execute(
            """insert into shipments (order_id, supplier_id, shipped_at, auto_confirm_at)
               values ($1, $2, $3, $4) on conflict (order_id) do nothing""",
            event.order_id,
            event.supplier_id,
            delivery.envelope.occurred_at,
            event.auto_confirm_at,
        )
    elif isinstance(event, RefundClosed):
        await conn.execute("update refund_requests set closed = true where refund_id = $1", event.refund_id)

"""The oracle's handlers: one money event per transaction, as settlement applied them before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.refunds import RefundAgreed, RefundRequested
from plumbing.delivery import Delivery, Handler, bind_handlers
from tests.settlement_oracle.context import Context
from tests.settlement_oracle.escrow_saga import on_order_ended, on_order_placed, on_order_received
from tests.settlement_oracle.refund_payments import on_refund_agreed, on_refund_requested

EventFn = Callable[[asyncpg.Connection, Delivery, Context], Awaitable[None]]

TABLE: dict[str, EventFn] = {
    OrderPlaced.event_type: on_order_placed,
    OrderCancelled.event_type: on_order_ended,
    OrderClosed.event_type: on_order_ended,
    OrderReceived.event_type: on_order_received,
    RefundRequested.event_type: on_refund_requested,
    RefundAgreed.event_type: on_refund_agreed,
}


def handlers(ctx: Context) -> dict[str, Handler]:
    return bind_handlers(TABLE, ctx)

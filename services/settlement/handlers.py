"""Settlement's event handlers, registered in one table. Only this service moves money: every
movement is a ledger transfer with an id derived from its cause, written in the same transaction
as the escrow state, the execution figures and the outgoing event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.refunds import RefundAgreed, RefundRequested
from plumbing.delivery import Delivery, Handler, bind_handlers
from services.settlement.context import Context
from services.settlement.escrow_saga import on_order_ended, on_order_placed, on_order_received
from services.settlement.payees import EVENTS as SUPPLIER_EVENTS
from services.settlement.payees import on_supplier_event
from services.settlement.refund_payments import on_refund_agreed, on_refund_requested

EventFn = Callable[[asyncpg.Connection, Delivery, Context], Awaitable[None]]

TABLE: dict[str, EventFn] = {
    OrderPlaced.event_type: on_order_placed,
    OrderCancelled.event_type: on_order_ended,
    OrderClosed.event_type: on_order_ended,
    OrderReceived.event_type: on_order_received,
    RefundRequested.event_type: on_refund_requested,
    RefundAgreed.event_type: on_refund_agreed,
    **{e.event_type: on_supplier_event for e in SUPPLIER_EVENTS},
}


def handlers(ctx: Context) -> dict[str, Handler]:
    return bind_handlers(TABLE, ctx)

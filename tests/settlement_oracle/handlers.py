"""The oracle's handlers: one money event per transaction, as settlement applied them before."""

from __future__ import annotations

from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.refunds import RefundAgreed, RefundRequested
from plumbing.messaging.appliers import EventTable, HandlerTable
from tests.settlement_oracle.context import Context
from tests.settlement_oracle.escrow_saga import on_order_ended, on_order_placed, on_order_received
from tests.settlement_oracle.refund_payments import on_refund_agreed, on_refund_requested

TABLE: EventTable[Context] = {
    OrderPlaced: on_order_placed,
    OrderCancelled: on_order_ended,
    OrderClosed: on_order_ended,
    OrderReceived: on_order_received,
    RefundRequested: on_refund_requested,
    RefundAgreed: on_refund_agreed,
}


def handlers(ctx: Context) -> HandlerTable:
    return HandlerTable.of(TABLE, ctx)

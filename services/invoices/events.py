"""What invoices does with other services' events, one table keyed by event class: it keeps what
it matches against — each order's lines and what was finally received of them (orders.events),
each supplier's credit code (suppliers.events) — matches held invoices once their goods arrive,
and records the red-letter invoice a refund on an invoiced order calls for (settlement.events)."""

from __future__ import annotations

import json

import asyncpg

from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.settlement import RefundSettled
from contracts.events.suppliers import SupplierRegistered
from plumbing.messaging.appliers import Events, EventTable
from plumbing.messaging.delivery import Delivery
from services.invoices.commands import invoices, red_letters
from services.invoices.context import Context


async def on_placed(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    placed = delivery.payload
    assert isinstance(placed, OrderPlaced)
    lines = [
        {
            "line_no": n,
            "name": x.name,
            "unit": x.unit,
            "quantity": x.quantity,
            "unit_price_minor": x.unit_price_minor,
        }
        for n, x in enumerate(placed.lines, start=1)
    ]
    await conn.execute(
        """insert into orders_view (order_id, tenant_id, grant_id, supplier_id, buyer_id, lines)
           values ($1, $2, $3, $4, $5, $6::jsonb) on conflict (order_id) do nothing""",
        placed.order_id,
        delivery.envelope.tenant_id,
        placed.grant_id,
        placed.supplier_id,
        placed.buyer.user_id,
        json.dumps(lines, ensure_ascii=False),
    )


async def on_received(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """A final receipt adds what it received (a receipt without lines: everything); a replay, or a
    receipt naming another university or supplier than the order's, changes nothing."""
    received = delivery.payload
    assert isinstance(received, OrderReceived)
    row = await conn.fetchrow("select * from orders_view where order_id = $1 for update", received.order_id)
    if (
        row is None
        or received.receipt_no in row["receipts"]
        or (row["tenant_id"], row["supplier_id"]) != (delivery.envelope.tenant_id, received.supplier_id)
    ):
        return
    got: dict[str, int] = json.loads(row["received"])
    if received.lines:
        for line in received.lines:
            got[str(line.line_no)] = got.get(str(line.line_no), 0) + line.quantity
    else:
        got = {str(x["line_no"]): x["quantity"] for x in json.loads(row["lines"])}
    await conn.execute(
        """update orders_view set received = $2::jsonb, receipts = array_append(receipts, $3)
           where order_id = $1""",
        received.order_id,
        json.dumps(got),
        received.receipt_no,
    )
    await invoices.rematch_after_receipt(conn, ctx, received.order_id)


async def on_ended(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    ended = delivery.payload
    assert isinstance(ended, OrderCancelled | OrderClosed)
    await conn.execute(
        "update orders_view set ended = true where order_id = $1 and tenant_id = $2",
        ended.order_id,
        delivery.envelope.tenant_id,
    )


async def on_supplier(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    registered = delivery.payload
    assert isinstance(registered, SupplierRegistered)
    await conn.execute(
        """insert into suppliers_view (supplier_id, legal_name, credit_code) values ($1, $2, $3)
           on conflict (supplier_id) do update set legal_name = $2, credit_code = $3""",
        registered.supplier_id,
        registered.legal_name,
        registered.credit_code,
    )


async def on_refund_settled(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    settled = delivery.payload
    assert isinstance(settled, RefundSettled)
    await red_letters.owed_on_refund(conn, ctx, settled)


TABLE: EventTable[Context] = {
    OrderPlaced: on_placed,
    OrderReceived: on_received,
    OrderCancelled: on_ended,
    OrderClosed: on_ended,
    SupplierRegistered: on_supplier,
    RefundSettled: on_refund_settled,
}
EVENTS: Events[Context] = Events.table(TABLE)

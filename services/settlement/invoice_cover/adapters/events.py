"""How invoices' events change what may be paid (invoices.events): a university's profile says
whether its suppliers are paid only against matched invoices; a matched invoice covers orders; a
held, rejected or voided one says why their money is held (a voided one covers nothing any more);
a red-letter invoice owed, then received. Each is applied once: a replay changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.invoices import (
    InvoiceHeld,
    InvoiceMatched,
    InvoiceRejected,
    InvoiceVoided,
    InvoicingProfileSet,
    RedLetterOwed,
    RedLetterReceived,
)
from plumbing.messaging.delivery import Delivery
from services.settlement.context import Context

EVENTS = (
    InvoicingProfileSet,
    InvoiceMatched,
    InvoiceHeld,
    InvoiceRejected,
    InvoiceVoided,
    RedLetterOwed,
    RedLetterReceived,
)


HOLD_REASONS: dict[type[EventPayload], str] = {
    InvoiceHeld: "invoice_variance",
    InvoiceRejected: "invoice_rejected",
    InvoiceVoided: "invoice_voided",
}


async def _profile(conn: asyncpg.Connection, event: Any, delivery: Delivery, at: datetime) -> None:
    await conn.execute(
        """insert into invoicing_universities (tenant_id, payouts_need_invoices, red_letter_hold_days)
           values ($1, $2, $3) on conflict (tenant_id) do update set payouts_need_invoices = $2,
               red_letter_hold_days = $3""",
        delivery.envelope.tenant_id,
        event.payouts_need_invoices,
        event.red_letter_hold_days,
    )


async def _matched(conn: asyncpg.Connection, event: Any, delivery: Delivery, at: datetime) -> None:
    await conn.execute("delete from invoice_holds where invoice_id = $1", event.invoice_id)
    await conn.executemany(
        """insert into invoice_covers (invoice_id, order_id, supplier_id, amount, recorded_at)
           values ($1, $2, $3, $4, $5) on conflict (invoice_id, order_id) do nothing""",
        [(event.invoice_id, c.order_id, event.supplier_id, c.amount.amount_minor, at) for c in event.covers],
    )


async def _unmatched(conn: asyncpg.Connection, event: Any, delivery: Delivery, at: datetime) -> None:
    reason = HOLD_REASONS[type(event)]
    await conn.execute(
        """update invoice_covers set withdrawn = true, withdrawn_at = $2
           where invoice_id = $1 and not withdrawn""",
        event.invoice_id,
        at,
    )
    await conn.execute("delete from invoice_holds where invoice_id = $1", event.invoice_id)
    await conn.executemany(
        """insert into invoice_holds (order_id, invoice_id, supplier_id, reason) values ($1, $2, $3, $4)
           on conflict do nothing""",
        [(o, event.invoice_id, event.supplier_id, reason) for o in event.order_ids],
    )


async def _owed(conn: asyncpg.Connection, event: Any, delivery: Delivery, at: datetime) -> None:
    await conn.execute(
        """insert into red_letters_owed (refund_id, supplier_id, tenant_id, order_id, amount, owed_since)
           values ($1, $2, $3, $4, $5, $6) on conflict (refund_id) do nothing""",
        event.refund_id,
        event.supplier_id,
        delivery.envelope.tenant_id,
        event.order_id,
        event.amount.amount_minor,
        event.owed_since,
    )


async def _received(conn: asyncpg.Connection, event: Any, delivery: Delivery, at: datetime) -> None:
    await conn.execute("update red_letters_owed set received = true where refund_id = $1", event.refund_id)
    await conn.execute(
        """insert into invoice_covers (invoice_id, order_id, supplier_id, amount, recorded_at)
           values ($1, $2, $3, $4, $5) on conflict (invoice_id, order_id) do nothing""",
        event.red_letter_id,
        event.order_id,
        event.supplier_id,
        -event.amount.amount_minor,
        at,
    )


HANDLERS: dict[
    type[EventPayload], Callable[[asyncpg.Connection, Any, Delivery, datetime], Awaitable[None]]
] = {
    InvoicingProfileSet: _profile,
    InvoiceMatched: _matched,
    InvoiceHeld: _unmatched,
    InvoiceRejected: _unmatched,
    InvoiceVoided: _unmatched,
    RedLetterOwed: _owed,
    RedLetterReceived: _received,
}


async def on_invoice_event(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    await HANDLERS[type(delivery.payload)](conn, delivery.payload, delivery, delivery.envelope.occurred_at)

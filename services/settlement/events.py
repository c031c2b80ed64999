"""What settlement does with other services' events, in two tables keyed by event class. Only
this service moves money.

The money events are applied a poll at a time, in one transaction with the poll's dedup rows:
the book of everything the poll can touch is read in a few statements (`adapters.book_reader`),
every event is decided in record order in pure Python against it (`domain.poll`, with the rules
in `domain.escrow` and `domain.refund`), and what changed is written in a few set-based
statements (`adapters.effects`). Applying one event is applying a poll of one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.refunds import RefundAgreed, RefundRequested
from plumbing.messaging.appliers import Events, EventTable, HandlerTable
from plumbing.messaging.delivery import Delivery
from plumbing.messaging.outbox import OutboxRow
from plumbing.messaging.poison import DeadLetter
from plumbing.ops.tracing import TraceContext
from services.settlement.context import PRODUCER, Context
from services.settlement.early_payment.adapters import order_facts
from services.settlement.invoice_cover.adapters import events as invoice_events
from services.settlement.money_path.adapters.book_reader import read_book
from services.settlement.money_path.adapters.poll_writer import write_poll
from services.settlement.money_path.domain import escrow, refund
from services.settlement.money_path.domain.book import Terms
from services.settlement.money_path.domain.poll import Decider, Emitted, Poll
from services.settlement.payouts.adapters import payees

MONEY: dict[type[EventPayload], Decider] = {
    OrderPlaced: escrow.decide_placed,
    OrderReceived: escrow.decide_received,
    OrderCancelled: escrow.decide_ended,
    OrderClosed: escrow.decide_ended,
    RefundRequested: refund.decide_requested,
    RefundAgreed: refund.decide_agreed,
}

OTHERS: EventTable[Context] = {
    **{event: payees.on_supplier_event for event in payees.EVENTS},
    **{event: order_facts.on_order_fact for event in order_facts.EVENTS},
    **{event: invoice_events.on_invoice_event for event in invoice_events.EVENTS},
}


class MoneyPath:
    """The consumer's applier: money events a poll at a time, the others one by one."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.names = {e.event_type for e in MONEY}
        self.others = HandlerTable.of(OTHERS, ctx)

    def handles(self, event_type: str) -> bool:
        return event_type in self.names or self.others.handles(event_type)

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> list[DeadLetter]:
        money = [d for d in deliveries if d.envelope.event_type in self.names]
        await self.others(conn, [d for d in deliveries if d.envelope.event_type not in self.names])
        if not money:
            return []
        book = await read_book(
            conn, [(d.payload, d.envelope) for d in money], Terms(self.ctx.fee_rate_bp, self.ctx.today)
        )
        poll = Poll(book, MONEY)
        refused = []
        for d in money:
            refusal = poll.apply(d.payload, d.envelope)
            if refusal is not None:
                refused.append(
                    DeadLetter(
                        d.record, refusal.code, refusal.reason, d.envelope.event_id, d.envelope.event_type
                    )
                )
        causes = {d.envelope.event_id: d for d in money}
        now = datetime.now(UTC)  # when the poll's events occurred: they are decided together
        rows = [self._row(e, causes[e.cause.event_id].trace, now) for e in poll.emitted]
        await write_poll(conn, poll, rows, self.ctx.outbox)
        return refused

    def _row(self, e: Emitted, trace: TraceContext | None, now: datetime) -> OutboxRow:
        event_id, value = Envelope.encode(
            e.payload,
            producer=PRODUCER,
            aggregate_id=e.aggregate_id,
            aggregate_version=e.version,
            tenant_id=e.tenant_id,
            correlation_id=e.cause.correlation_id,
            causation_id=e.cause.event_id,
            occurred_at=now,
        )
        traceparent = (trace.child() if trace else TraceContext.new()).traceparent
        return self.ctx.outbox.encoded(
            e.payload, event_id, value, key=e.aggregate_id, traceparent=traceparent
        )


EVENTS: Events[Context] = Events((*MONEY, *OTHERS), MoneyPath)

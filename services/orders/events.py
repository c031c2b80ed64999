"""What orders does with other services' events, in two tables keyed by event class: the events
about an order (funds, escrow, refunds) change the order, a poll at a time; the rest — platforms'
commands, grants, the organisation tree, the catalog — are handled event by event."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.commands import CancelOrder, PlaceOrder
from contracts.events.organisation import ORGANISATION_EVENTS
from contracts.events.refunds import RefundClosed, RefundCompleted, RefundRequested
from contracts.events.settlement import (
    EscrowReleased,
    EscrowVoided,
    FundsRejected,
    FundsReserved,
    GrantBuyersChanged,
    GrantClosed,
    GrantRegistered,
)
from contracts.events.suppliers import SUPPLIER_EVENTS
from plumbing.messaging.appliers import Appliers, Events, EventTable, HandlerTable
from plumbing.messaging.delivery import Delivery
from plumbing.messaging.poison import DeadLetter
from services.orders.adapters import projections
from services.orders.adapters import repository as repo
from services.orders.commands.platform import on_platform_command
from services.orders.context import Context
from services.orders.domain.consistency import contradiction
from services.orders.domain.order import Order

OrderChange = Callable[[Order, Delivery, Context], object]


class OrderEvents:
    """Settlement's and refunds' events about orders, applied a poll at a time: every order the
    poll names is loaded at once (locked in id order), each event is applied in record order to
    its order in memory (a later event of the poll sees the earlier ones), and every order that
    changed is saved at once. An event about no order of ours, or one that contradicts its order
    (`domain.consistency`), is refused as a value and changes nothing; one that cannot be applied
    raises: the consumer then applies the poll again one event at a time — this same code, with
    polls of one."""

    def __init__(self, ctx: Context, changes: Mapping[type[EventPayload], OrderChange]) -> None:
        self.ctx = ctx
        self.changes = {event.event_type: change for event, change in changes.items()}

    def handles(self, event_type: str) -> bool:
        return event_type in self.changes

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> list[DeadLetter]:
        named = sorted({_order_id(d) for d in deliveries})
        orders = await repo.get_many(conn, named, for_update=True)
        causes: dict[str, list[repo.Cause]] = {}
        changed: dict[str, Order] = {}
        refused: list[DeadLetter] = []
        for delivery in deliveries:
            order = orders.get(_order_id(delivery))
            e = delivery.envelope
            if order is None:
                refused.append(
                    DeadLetter(
                        delivery.record,
                        "unknown_order",
                        f"no order {_order_id(delivery)!r}",
                        e.event_id,
                        e.event_type,
                    )
                )
                continue
            found = contradiction(order, e.tenant_id, delivery.payload)
            if found is not None:
                refused.append(
                    DeadLetter(delivery.record, found.code, found.detail, e.event_id, e.event_type)
                )
                continue
            before = len(order.events)
            self.changes[delivery.envelope.event_type](order, delivery, self.ctx)
            new = len(order.events) - before
            causes.setdefault(order.order_id, []).extend(
                [repo.Cause(delivery.envelope.event_id, delivery.trace)] * new
            )
            if order.events or order.timeline:  # else the event was old news: leave the row as it is
                changed[order.order_id] = order
        await repo.save_many(conn, list(changed.values()), self.ctx.outbox, causes)
        return refused


def _order_id(delivery: Delivery) -> str:
    order_id: str = delivery.payload.order_id  # type: ignore[attr-defined]
    return order_id


def _funds_reserved(order: Order, d: Delivery, ctx: Context) -> None:
    order.funds_reserved(ctx.clock.now(), ctx.deadlines)


def _funds_rejected(order: Order, d: Delivery, ctx: Context) -> None:
    p = d.payload
    assert isinstance(p, FundsRejected)
    order.funds_rejected(p.reason_code.value, p.detail, ctx.clock.now())


def _escrow_released(order: Order, d: Delivery, ctx: Context) -> None:
    p = d.payload
    assert isinstance(p, EscrowReleased)
    order.escrow_released(p.gross.amount_minor, ctx.clock.now(), receipt_no=p.receipt_no, complete=p.complete)


def _escrow_voided(order: Order, d: Delivery, ctx: Context) -> None:
    order.escrow_voided(ctx.clock.now())


def _refund_requested(order: Order, d: Delivery, ctx: Context) -> None:
    order.refund_opened(d.payload.refund_id, ctx.clock.now())  # type: ignore[attr-defined]


def _refund_closed(order: Order, d: Delivery, ctx: Context) -> None:
    order.refund_closed(d.payload.refund_id, ctx.clock.now())  # type: ignore[attr-defined]


def _refund_completed(order: Order, d: Delivery, ctx: Context) -> None:
    p = d.payload
    assert isinstance(p, RefundCompleted)
    order.refund_completed(p.refund_id, p.amount.amount_minor, ctx.clock.now())


async def _grant(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    await projections.apply_grant_event(conn, delivery.envelope, delivery.payload)


async def _organisation(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    await projections.apply_org_event(conn, delivery.envelope, delivery.payload)


async def _catalog(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    await projections.apply_supplier_event(conn, delivery.envelope, delivery.payload)


ORDER_CHANGES: dict[type[EventPayload], OrderChange] = {
    FundsReserved: _funds_reserved,
    FundsRejected: _funds_rejected,
    EscrowReleased: _escrow_released,
    EscrowVoided: _escrow_voided,
    RefundRequested: _refund_requested,
    RefundClosed: _refund_closed,
    RefundCompleted: _refund_completed,
}
GRANT_EVENTS = (GrantRegistered, GrantBuyersChanged, GrantClosed)
ONE_BY_ONE: EventTable[Context] = {
    PlaceOrder: on_platform_command,
    CancelOrder: on_platform_command,
    **{event: _grant for event in GRANT_EVENTS},
    **{event: _organisation for event in ORGANISATION_EVENTS},
    **{event: _catalog for event in SUPPLIER_EVENTS},  # the catalog follows every supplier event
}


def _applier(ctx: Context) -> Appliers:
    return Appliers(OrderEvents(ctx, ORDER_CHANGES), HandlerTable.of(ONE_BY_ONE, ctx))


EVENTS: Events[Context] = Events((*ORDER_CHANGES, *ONE_BY_ONE), _applier)

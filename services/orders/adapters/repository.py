"""Loading and saving orders with their timeline and deadlines; new events go to the outbox in
the caller's transaction, numbered on from the order's last aggregate version."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import asyncpg
from pydantic import TypeAdapter

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import ApprovalStep, OrderLine
from plumbing.messaging.outbox import Outbox
from plumbing.ops.tracing import TraceContext
from services.orders.domain.order import Funds, Order, OrderStatus, Timer, TimerKind
from services.orders.domain.receipt import Receipt, Receipts

_STEPS = TypeAdapter(list[ApprovalStep])

PRODUCER = "orders"


async def get(conn: asyncpg.Connection, order_id: str, *, for_update: bool = False) -> Order | None:
    return (await get_many(conn, [order_id], for_update=for_update)).get(order_id)


async def get_many(
    conn: asyncpg.Connection, order_ids: Sequence[str], *, for_update: bool = False
) -> dict[str, Order]:
    """The orders with these ids (those that exist), in three statements however many; locked in
    id order with `for_update`, so that two writers of the same orders never deadlock."""
    rows = await conn.fetch(
        "select * from orders where order_id = any($1::text[]) order by order_id"
        + (" for update" if for_update else ""),
        list(order_ids),
    )
    if not rows:
        return {}
    ids = [r["order_id"] for r in rows]
    timers: dict[str, list[asyncpg.Record]] = {i: [] for i in ids}
    for t in await conn.fetch(
        "select order_id, kind, due_at, remaining from order_timers where order_id = any($1::text[])", ids
    ):
        timers[t["order_id"]].append(t)
    seqs = {
        r["order_id"]: r["seq"]
        for r in await conn.fetch(
            """select order_id, max(seq) as seq from order_timeline where order_id = any($1::text[])
               group by order_id""",
            ids,
        )
    }
    orders = {}
    for row in rows:
        order = _order(row, timers[row["order_id"]])
        order.timeline_saved = seqs.get(row["order_id"], 0)
        orders[order.order_id] = order
    return orders


def _order(row: asyncpg.Record, timers: list[asyncpg.Record]) -> Order:
    return Order(
        order_id=row["order_id"],
        checkout_id=row["checkout_id"],
        tenant_id=row["tenant_id"],
        grant_id=row["grant_id"],
        pi_id=row["pi_id"],
        buyer=Actor.model_validate_json(row["buyer"]),
        supplier_id=row["supplier_id"],
        lines=[OrderLine.model_validate(line) for line in json.loads(row["lines"])],
        total_minor=row["total_minor"],
        currency=row["currency"],
        placed_at=row["placed_at"],
        status=OrderStatus(row["status"]),
        funds=Funds(row["funds"]),
        approval_steps=_STEPS.validate_json(row["approval_steps"]),
        approvals_given={k: Actor.model_validate(v) for k, v in json.loads(row["approvals_given"]).items()},
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        refund_open=row["refund_open"],
        refunded_minor=row["refunded_minor"],
        refunds=json.loads(row["refunds"]),
        external_ref=row["external_ref"],
        version=row["version"],
        timers={TimerKind(t["kind"]): Timer(t["due_at"], t["remaining"]) for t in timers},
        receipts=Receipts([Receipt.from_json(r) for r in json.loads(row["receipts"])]),
    )


class Cause(NamedTuple):
    """What caused a new event: the event it answers (if any) and the trace it continues."""

    event_id: uuid.UUID | None
    trace: TraceContext | None


def envelopes(order: Order, causes: Sequence[Cause] | None = None) -> list[Envelope]:
    """The order's new events, numbered on from its last aggregate version (`causes`: one per
    new event, else none)."""
    return Envelope.numbered(
        order.events,
        producer=PRODUCER,
        aggregate_id=order.order_id,
        after_version=order.version,
        tenant_id=order.tenant_id,
        correlation_id=order.checkout_id,
        causation_ids=[c.event_id for c in causes] if causes else None,
    )


def saved(order: Order, events: int) -> None:
    """What the order knows once its state, timeline and `events` new events are written."""
    order.version += events
    order.timeline_saved += len(order.timeline)
    order.events.clear()
    order.timeline.clear()


async def save(
    conn: asyncpg.Connection, order: Order, outbox: Outbox, causation_id: uuid.UUID | None = None
) -> None:
    """Persist state, deadlines and timeline, and append new events to the outbox."""
    cause = Cause(causation_id, None)
    await save_many(conn, [order], outbox, {order.order_id: [cause] * len(order.events)})


_UPDATE = """
    update orders o set status = u.status, funds = u.funds, approvals_given = u.approvals_given,
        carrier = u.carrier, tracking_number = u.tracking_number, refund_open = u.refund_open,
        refunded_minor = u.refunded_minor, version = u.version, refunds = u.refunds,
        receipts = u.receipts, updated_at = now()
    from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::bool[],
                $8::bigint[], $9::int[], $10::jsonb[], $11::jsonb[])
        as u(order_id, status, funds, approvals_given, carrier, tracking_number, refund_open,
             refunded_minor, version, refunds, receipts)
    where o.order_id = u.order_id"""
_TIMERS = """
    insert into order_timers (order_id, kind, due_at, remaining)
    select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::interval[])"""
_TIMELINE = """
    insert into order_timeline (order_id, seq, at, action, actor_id, actor_role, from_status,
        to_status, reason)
    select * from unnest($1::text[], $2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[])"""


async def save_many(
    conn: asyncpg.Connection,
    orders: Sequence[Order],
    outbox: Outbox,
    causes: Mapping[str, Sequence[Cause]] | None = None,
) -> None:
    """Persist the orders' state, deadlines and timelines, and append their new events to the
    outbox (keyed by grant: settlement's processes each own whole grants), in five statements
    however many orders; `causes` says, per order, what caused each of its new events."""
    if not orders:
        return
    staged = [(o, envelopes(o, (causes or {}).get(o.order_id))) for o in orders]
    await conn.execute(
        _UPDATE,
        *columns(
            [
                (
                    o.order_id,
                    o.status.value,
                    o.funds.value,
                    json.dumps({k: v.model_dump() for k, v in o.approvals_given.items()}),
                    o.carrier,
                    o.tracking_number,
                    o.refund_open,
                    o.refunded_minor,
                    o.version + len(new),
                    json.dumps(o.refunds),
                    json.dumps([r.as_json() for r in o.receipts.items]),
                )
                for o, new in staged
            ],
            11,
        ),
    )
    await conn.execute(
        "delete from order_timers where order_id = any($1::text[])", [o.order_id for o in orders]
    )
    timers = timer_rows(orders)
    if timers:
        await conn.execute(_TIMERS, *columns(timers, 4))
    timeline = timeline_rows(orders)
    if timeline:
        await conn.execute(_TIMELINE, *columns(timeline, 9))
    rows = [
        outbox.row(
            envelope,
            key=o.grant_id,
            traceparent=(c.trace.child().traceparent if (c := cause_of(causes, o, n)) and c.trace else None),
        )
        for o, new in staged
        for n, envelope in enumerate(new)
    ]
    await outbox.write(conn, rows)
    for o, new in staged:
        saved(o, len(new))


def timer_rows(orders: Sequence[Order]) -> list[tuple[object, ...]]:
    """The orders' deadlines as rows of order_timers."""
    return [(o.order_id, k.value, t.due_at, t.remaining) for o in orders for k, t in o.timers.items()]


def timeline_rows(orders: Sequence[Order]) -> list[tuple[object, ...]]:
    """The orders' unsaved timeline entries as rows of order_timeline, numbered on."""
    return [
        (
            o.order_id,
            o.timeline_saved + n,
            e.at,
            e.action,
            e.actor.user_id,
            e.actor.role,
            e.from_status.value if e.from_status else None,
            e.to_status.value,
            e.reason,
        )
        for o in orders
        for n, e in enumerate(o.timeline, start=1)
    ]


def cause_of(causes: Mapping[str, Sequence[Cause]] | None, order: Order, n: int) -> Cause | None:
    mine = (causes or {}).get(order.order_id)
    return mine[n] if mine else None


def columns(rows: Sequence[tuple[object, ...]], width: int) -> list[list[object]]:
    """Rows as one list per column (the arrays of an `unnest`)."""
    return [[row[i] for row in rows] for i in range(width)]

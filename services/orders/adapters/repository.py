"""Loading and saving orders with their timeline and deadlines; new events go to the outbox in
the caller's transaction, numbered on from the order's last aggregate version."""

from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import ApprovalReason, OrderLine
from plumbing.outbox import Outbox
from services.orders.domain.order import Funds, Order, OrderStatus, Timer, TimerKind

PRODUCER = "orders"


async def get(conn: asyncpg.Connection, order_id: str, *, for_update: bool = False) -> Order | None:
    row = await conn.fetchrow(
        "select * from orders where order_id = $1" + (" for update" if for_update else ""), order_id
    )
    if row is None:
        return None
    timers = await conn.fetch(
        "select kind, due_at, remaining from order_timers where order_id = $1", order_id
    )
    order = _order(row, timers)
    order.timeline_saved = await conn.fetchval(
        "select coalesce(max(seq), 0) from order_timeline where order_id = $1", order_id
    )
    return order


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
        approvals_required=[ApprovalReason(r) for r in row["approvals_required"]],
        approvals_given={
            ApprovalReason(k): Actor.model_validate(v) for k, v in json.loads(row["approvals_given"]).items()
        },
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        refund_open=row["refund_open"],
        refunded_minor=row["refunded_minor"],
        refunds=json.loads(row["refunds"]),
        external_ref=row["external_ref"],
        version=row["version"],
        timers={TimerKind(t["kind"]): Timer(t["due_at"], t["remaining"]) for t in timers},
    )


def envelopes(order: Order, causation_id: uuid.UUID | None = None) -> list[Envelope]:
    """The order's new events, numbered on from its last aggregate version."""
    return [
        Envelope.of(
            event,
            producer=PRODUCER,
            aggregate_id=order.order_id,
            aggregate_version=order.version + n,
            tenant_id=order.tenant_id,
            correlation_id=order.checkout_id,
            causation_id=causation_id,
        )
        for n, event in enumerate(order.events, start=1)
    ]


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
    new = envelopes(order, causation_id)
    await conn.execute(
        """update orders set status = $2, funds = $3, approvals_given = $4::jsonb, carrier = $5,
               tracking_number = $6, refund_open = $7, refunded_minor = $8, version = $9,
               refunds = $10::jsonb, updated_at = now()
           where order_id = $1""",
        order.order_id,
        order.status.value,
        order.funds.value,
        json.dumps({k.value: v.model_dump() for k, v in order.approvals_given.items()}),
        order.carrier,
        order.tracking_number,
        order.refund_open,
        order.refunded_minor,
        order.version + len(new),
        json.dumps(order.refunds),
    )
    await conn.execute("delete from order_timers where order_id = $1", order.order_id)
    if order.timers:
        await conn.executemany(
            "insert into order_timers (order_id, kind, due_at, remaining) values ($1, $2, $3, $4)",
            [(order.order_id, k.value, t.due_at, t.remaining) for k, t in order.timers.items()],
        )
    seq = order.timeline_saved
    if order.timeline:
        await conn.executemany(
            """insert into order_timeline (order_id, seq, at, action, actor_id, actor_role, from_status,
                   to_status, reason) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            [
                (
                    order.order_id,
                    seq + n,
                    e.at,
                    e.action,
                    e.actor.user_id,
                    e.actor.role,
                    e.from_status.value if e.from_status else None,
                    e.to_status.value,
                    e.reason,
                )
                for n, e in enumerate(order.timeline, start=1)
            ],
        )
    if new:  # keyed by grant: settlement's processes each own whole grants (contracts.topics)
        await outbox.append(conn, new, key=order.grant_id)
    saved(order, len(new))

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


async def add(conn: asyncpg.Connection, order: Order, outbox: Outbox) -> None:
    await conn.execute(
        """insert into orders (order_id, checkout_id, tenant_id, grant_id, pi_id, buyer, supplier_id, lines,
               total_minor, currency, status, funds, approvals_required, external_ref, placed_at, version)
           values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, 0)""",
        order.order_id,
        order.checkout_id,
        order.tenant_id,
        order.grant_id,
        order.pi_id,
        order.buyer.model_dump_json(),
        order.supplier_id,
        json.dumps([line.model_dump(mode="json") for line in order.lines]),
        order.total_minor,
        order.currency,
        order.status.value,
        order.funds.value,
        [r.value for r in order.approvals_required],
        order.external_ref,
        order.placed_at,
    )
    await save(conn, order, outbox)


async def save(
    conn: asyncpg.Connection, order: Order, outbox: Outbox, causation_id: uuid.UUID | None = None
) -> None:
    """Persist state, deadlines and timeline, and append new events to the outbox."""
    envelopes = [
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
    order.version += len(envelopes)
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
        order.version,
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
    order.timeline_saved = seq + len(order.timeline)
    if envelopes:  # keyed by grant: settlement's processes each own whole grants (contracts.topics)
        await outbox.append(conn, envelopes, key=order.grant_id)
    order.events.clear()
    order.timeline.clear()

"""Refund cases in Postgres; new events go to the outbox in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import OrderPlaced
from contracts.events.settlement import RefundSource
from plumbing.messaging.outbox import Outbox
from services.refunds.domain.case import CaseStatus, RefundCase
from services.refunds.domain.eligibility import History, OrderView


async def get(conn: asyncpg.Connection, refund_id: str, *, for_update: bool = False) -> RefundCase | None:
    r = await conn.fetchrow(
        "select * from refund_cases where refund_id = $1" + (" for update" if for_update else ""), refund_id
    )
    if r is None:
        return None
    return RefundCase(
        refund_id=r["refund_id"],
        order_id=r["order_id"],
        tenant_id=r["tenant_id"],
        grant_id=r["grant_id"],
        supplier_id=r["supplier_id"],
        buyer=Actor.model_validate_json(r["buyer"]),
        amount_minor=r["amount_minor"],
        reason_code=r["reason_code"],
        reason=r["reason"],
        goods_return=r["goods_return"],
        status=CaseStatus(r["status"]),
        opened_at=r["opened_at"],
        deadline=r["deadline"],
        agreed_at=r["agreed_at"],
        pay_by=r["pay_by"],
        settled_at=r["settled_at"],
        source=RefundSource(r["source"]) if r["source"] else None,
        version=r["version"],
    )


async def save(
    conn: asyncpg.Connection,
    case: RefundCase,
    outbox: Outbox,
    *,
    new: bool = False,
    causation_id: uuid.UUID | None = None,
) -> None:
    """Size: a case's state, steps and events in a few set-based statements."""
    envelopes = Envelope.numbered(
        case.events,
        producer="refunds",
        aggregate_id=case.refund_id,
        after_version=case.version,
        tenant_id=case.tenant_id,
        correlation_id=f"refund:{case.refund_id}",
        causation_ids=causation_id,
    )
    steps_before = (
        await conn.fetchval(
            "select coalesce(max(seq), 0) from refund_steps where refund_id = $1", case.refund_id
        )
        if not new
        else 0
    )
    case.version += len(envelopes)
    values = (
        case.refund_id,
        case.order_id,
        case.tenant_id,
        case.grant_id,
        case.supplier_id,
        case.buyer.model_dump_json(),
        case.amount_minor,
        case.reason_code,
        case.reason,
        case.goods_return,
        case.status.value,
        case.opened_at,
        case.deadline,
        case.agreed_at,
        case.pay_by,
        case.settled_at,
        case.source.value if case.source else None,
        case.version,
    )
    if new:
        await conn.execute(
            """insert into refund_cases (refund_id, order_id, tenant_id, grant_id, supplier_id, buyer,
                   amount_minor, reason_code, reason, goods_return, status, opened_at, deadline, agreed_at,
                   pay_by, settled_at, source, version)
               values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                       $18)""",
            *values,
        )
    else:
        await conn.execute(
            """update refund_cases set amount_minor = $2, status = $3, deadline = $4, agreed_at = $5,
                   pay_by = $6, settled_at = $7, source = $8, version = $9 where refund_id = $1""",
            case.refund_id,
            case.amount_minor,
            case.status.value,
            case.deadline,
            case.agreed_at,
            case.pay_by,
            case.settled_at,
            case.source.value if case.source else None,
            case.version,
        )
    await conn.executemany(
        """insert into refund_steps (refund_id, seq, at, action, actor_id, actor_role, to_status, reason)
           values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [
            (
                case.refund_id,
                steps_before + n,
                s.at,
                s.action,
                s.actor.user_id,
                s.actor.role,
                s.to_status.value,
                s.reason,
            )
            for n, s in enumerate(case.steps, start=1)
        ],
    )
    if envelopes:  # keyed by grant, like orders.events (contracts.topics)
        await outbox.append(conn, envelopes, key=case.grant_id)
    case.events.clear()
    case.steps.clear()


async def insert_order(conn: asyncpg.Connection, envelope: Envelope, placed: OrderPlaced) -> None:
    """The view of an order orders has just placed."""
    await conn.execute(
        """insert into orders_view (order_id, tenant_id, grant_id, buyer_id, supplier_id, total_minor,
               status, version) values ($1, $2, $3, $4, $5, $6, 'PLACED', $7) on conflict do nothing""",
        placed.order_id,
        envelope.tenant_id,
        placed.grant_id,
        placed.buyer.user_id,
        placed.supplier_id,
        placed.total.amount_minor,
        envelope.aggregate_version,
    )


async def move_order(
    conn: asyncpg.Connection, order_id: str, status: str, version: int, now: datetime
) -> None:
    """The order's view moves to `status` (`domain.order_view` decided it may)."""
    await conn.execute(
        """update orders_view set status = $2, version = greatest(version, $3),
               completed_at = case when $2 = 'COMPLETED' then $4 else completed_at end
           where order_id = $1""",
        order_id,
        status,
        version,
        now,
    )


async def order(conn: asyncpg.Connection, order_id: str, *, for_update: bool = False) -> OrderView | None:
    r = await conn.fetchrow(
        "select * from orders_view where order_id = $1" + (" for update" if for_update else ""), order_id
    )
    if r is None:
        return None
    return OrderView(
        r["order_id"],
        r["tenant_id"],
        r["grant_id"],
        r["buyer_id"],
        r["supplier_id"],
        r["total_minor"],
        r["status"],
        r["completed_at"],
    )


async def history(conn: asyncpg.Connection, order_id: str) -> History:
    r = await conn.fetchrow(
        """select count(*) cases,
                  max(refund_id) filter (where status not in ('COMPLETED', 'CLOSED')) open_case,
                  coalesce(sum(amount_minor) filter (where status in ('AGREED', 'COMPLETED')),
                           0)::bigint committed
           from refund_cases where order_id = $1""",
        order_id,
    )
    return History(int(r["cases"]), r["open_case"], int(r["committed"]))

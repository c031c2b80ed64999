"""The refunds service's commands and event handlers, registered at the bottom. Each command
runs in one transaction: lock the case, apply the rule, save the case, its timeline and events."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.orders import (
    OrderCancelled,
    OrderClosed,
    OrderCompleted,
    OrderPaid,
    OrderPlaced,
    OrderReceived,
    OrderRejected,
    OrderShipped,
)
from contracts.events.settlement import RefundSettled
from plumbing.acting import Aggregate
from plumbing.audit import Audited
from plumbing.clock import Clock
from plumbing.delivery import Delivery, Handler, PoisonEvent, bind_handlers
from plumbing.errors import NotFound
from plumbing.outbox import Outbox
from services.refunds.adapters import repository as repo
from services.refunds.domain.case import Deadlines, RefundCase
from services.refunds.domain.eligibility import check_request


@dataclass
class Context:
    pool: asyncpg.Pool
    outbox: Outbox
    clock: Clock
    deadlines: Deadlines


async def request(
    ctx: Context,
    tenant_id: str,
    buyer: Actor,
    order_id: str,
    amount_minor: int,
    reason_code: str,
    reason: str,
    goods_return: bool,
) -> RefundCase:
    async with ctx.pool.acquire() as conn, conn.transaction():
        order = await repo.order(conn, order_id, for_update=True)  # serialises requests on one order
        now = ctx.clock.now()
        check_request(
            order,
            buyer.user_id,
            tenant_id,
            amount_minor,
            await repo.history(conn, order_id),
            now,
            ctx.deadlines,
        )
        assert order is not None
        case = RefundCase.request(
            refund_id=f"R-{uuid.uuid4().hex[:16]}",
            order_id=order_id,
            tenant_id=tenant_id,
            grant_id=order.grant_id,
            supplier_id=order.supplier_id,
            buyer=buyer,
            amount_minor=amount_minor,
            reason_code=reason_code,
            reason=reason,
            goods_return=goods_return,
            now=now,
            deadlines=ctx.deadlines,
        )
        await repo.save(conn, case, ctx.outbox, new=True)
        return case


async def act(
    ctx: Context,
    refund_id: str,
    action: Callable[[RefundCase], object],
    visible: Callable[[RefundCase], bool],
    audited: Audited | None = None,
) -> RefundCase:
    """Apply `action` to the locked case and save it; an `audited` action is recorded in the
    audit trail with the case before and after."""
    return await cases_of(ctx).act(ctx.pool, refund_id, action, visible, audited, ctx.clock.now)


def cases_of(ctx: Context) -> Aggregate[RefundCase]:
    """How a refund case is loaded, saved and shown when someone acts on it."""

    async def load(conn: asyncpg.Connection, refund_id: str) -> RefundCase | None:
        return await repo.get(conn, refund_id, for_update=True)

    async def save(conn: asyncpg.Connection, case: RefundCase) -> None:
        await repo.save(conn, case, ctx.outbox)

    return Aggregate(
        load,
        save,
        audit_view,
        lambda c: f"refund:{c.refund_id}",
        lambda c: c.tenant_id,
        lambda refund_id: NotFound(f"no refund case {refund_id!r}", code="refund_not_found"),
    )


def audit_view(case: RefundCase) -> dict[str, object]:
    """What the audit trail keeps of a refund case: where it stands and the money at stake."""
    return {
        "status": case.status.value,
        "order_id": case.order_id,
        "supplier_id": case.supplier_id,
        "grant_id": case.grant_id,
        "amount_minor": case.amount_minor,
        "source": case.source.value if case.source else None,
    }


async def fire_due_deadlines(ctx: Context, limit: int = 200) -> int:
    """Let silence decide every case whose deadline has passed."""
    now, fired = ctx.clock.now(), 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        due = await conn.fetch(
            """select refund_id from refund_cases where deadline <= $1 order by deadline
               limit $2 for update skip locked""",
            now,
            limit,
        )
        for row in due:
            case = await repo.get(conn, row["refund_id"], for_update=True)
            if case is None:
                continue
            before = audit_view(case)
            if case.fire(now, ctx.deadlines):
                fired += 1
                await repo.save(conn, case, ctx.outbox)
                silence = Audited.by_deadline("refund.deadline_passed", "silence decided")
                await cases_of(ctx).audit(conn, silence, case, before, now)
    return fired


# ---------------------------------------------------------------- events


STATUS_OF: dict[type[EventPayload], str] = {
    OrderPaid: "PAID",
    OrderShipped: "SHIPPED",
    OrderReceived: "RECEIVED",
    OrderCompleted: "COMPLETED",
    OrderCancelled: "CANCELLED",
    OrderClosed: "CLOSED",
    OrderRejected: "REJECTED",
}


async def on_order_event(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    event, envelope = delivery.payload, delivery.envelope
    if isinstance(event, OrderPlaced):
        await conn.execute(
            """insert into orders_view (order_id, tenant_id, grant_id, buyer_id, supplier_id, total_minor,
                   status, version) values ($1, $2, $3, $4, $5, $6, 'PLACED', $7) on conflict do nothing""",
            event.order_id,
            envelope.tenant_id,
            event.grant_id,
            event.buyer.user_id,
            event.supplier_id,
            event.total.amount_minor,
            envelope.aggregate_version,
        )
        return
    status = STATUS_OF[type(event)]
    order_id: str = event.order_id  # type: ignore[attr-defined]
    await conn.execute(
        """update orders_view set status = $2, version = $3,
               completed_at = case when $2 = 'COMPLETED' then $4 else completed_at end
           where order_id = $1 and version < $3""",
        order_id,
        status,
        envelope.aggregate_version,
        ctx.clock.now(),
    )


async def on_refund_settled(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    settled = delivery.payload
    assert isinstance(settled, RefundSettled)
    case = await repo.get(conn, settled.refund_id, for_update=True)
    if case is None:
        raise PoisonEvent("refund_not_found", f"no refund case {settled.refund_id!r}")
    if case.paid(settled.source, ctx.clock.now()):
        await repo.save(conn, case, ctx.outbox, causation_id=delivery.envelope.event_id)


EventFn = Callable[[asyncpg.Connection, Delivery, Context], Awaitable[None]]
ORDER_EVENTS: tuple[type[EventPayload], ...] = (OrderPlaced, *STATUS_OF)
TABLE: dict[str, EventFn] = {
    **{event.event_type: on_order_event for event in ORDER_EVENTS},
    RefundSettled.event_type: on_refund_settled,
}


def handlers(ctx: Context) -> dict[str, Handler]:
    return bind_handlers(TABLE, ctx)

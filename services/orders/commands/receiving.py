"""Receiving an order's goods by line, undoing a receipt within its window, and a university's
receipt rules."""

from __future__ import annotations

from collections.abc import Mapping

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import Principal, Role
from services.orders.adapters import queries, receiving
from services.orders.commands.actions import ORDERS
from services.orders.context import Context
from services.orders.domain.order import Order
from services.orders.domain.receipt import ReceiptPolicy, Receivers


async def receive(ctx: Context, order_id: str, receiver: Principal, asked: Mapping[int, int] | None) -> Order:
    """Record a receipt of `asked` (line no → quantity; None: everything outstanding). The
    requester, the grant's PI and lab members, and designated receivers whose scope holds the
    grant may; anyone else is refused, and an order they may not see is not found."""
    async with ctx.pool.acquire() as conn:
        policy = await receiving.policy(conn, receiver.tenant_id)
        scope = await queries.scope_grants(conn, receiver, ctx.today)
        lab = await receiving.lab(conn, order_id)

    def visible(o: Order) -> bool:
        return queries.may_see(receiver, o, scope) or (
            o.tenant_id == receiver.tenant_id and receiver.subject in lab
        )

    receivers = Receivers(lab, designated=receiver.role is Role.RECEIVER)
    lines = dict(asked) if asked is not None else None
    return await ORDERS.act(
        ctx,
        order_id,
        lambda o: o.receive(receiver.actor, lines, ctx.clock.now(), policy, receivers),
        visible,
        Audited.by(receiver, "order.received", _words(asked)),
    )


async def undo(ctx: Context, order_id: str, receiver: Principal, receipt_no: int) -> Order:
    """Whoever recorded a receipt takes it back while its window is open."""
    return await ORDERS.act(
        ctx,
        order_id,
        lambda o: o.undo_receipt(receipt_no, receiver.actor, ctx.clock.now()),
        lambda o: (
            o.tenant_id == receiver.tenant_id
            and any(r.no == receipt_no and r.by.user_id == receiver.subject for r in o.receipts.items)
        ),
        Audited.by(receiver, "order.receipt_undone", f"receipt {receipt_no}"),
    )


async def set_policy(
    ctx: Context, finance: Principal, tenant_id: str, policy: ReceiptPolicy
) -> ReceiptPolicy:
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await receiving.policy(conn, tenant_id)
        await receiving.set_policy(conn, tenant_id, policy, finance.subject)
        await audit.record(
            conn,
            Audited.by(finance, "receipt_policy.set"),
            tenant_id=tenant_id,
            subject=f"receipt_policy:{tenant_id}",
            before=before.view(),
            after=policy.view(),
            at=ctx.clock.now(),
        )
    return policy


async def policy(ctx: Context, tenant_id: str) -> ReceiptPolicy:
    async with ctx.pool.acquire() as conn:
        return await receiving.policy(conn, tenant_id)


def _words(asked: Mapping[int, int] | None) -> str:
    if asked is None:
        return "everything outstanding"
    return ", ".join(f"line {no}: {q}" for no, q in sorted(asked.items()))

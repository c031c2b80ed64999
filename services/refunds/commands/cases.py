"""Refund cases: a buyer requests a refund of an order; supplier, buyer and operations act on the
case. Each command runs in one transaction: lock the case, apply the rule, save the case, its
timeline and events — audited where a person decides."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from contracts.events.common import Actor
from plumbing.aggregates.acting import Aggregate
from plumbing.aggregates.audit import Audited
from plumbing.errors import NotFound
from services.refunds.adapters import repository as repo
from services.refunds.context import Context
from services.refunds.domain.case import RefundCase
from services.refunds.domain.eligibility import check_request


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
    return await CASES.act(ctx, refund_id, action, visible, audited)


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


CASES = Aggregate(
    repo,
    audit_view,
    lambda c: f"refund:{c.refund_id}",
    lambda c: c.tenant_id,
    lambda refund_id: NotFound(f"no refund case {refund_id!r}", code="refund_not_found"),
)

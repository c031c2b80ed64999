"""What orders does on its own: deadlines that have passed (approval, shipping, receipt) fire."""

from __future__ import annotations

from plumbing.audit import Audited
from plumbing.timers import Timer
from services.orders.adapters import repository as repo
from services.orders.commands.actions import audit_view, orders_of
from services.orders.context import Context
from services.orders.domain.order import TimerKind


async def fire_due_deadlines(ctx: Context, limit: int = 200) -> int:
    """Fire every deadline that has passed; returns how many changed an order."""
    now = ctx.clock.now()
    fired = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        due = await conn.fetch(
            """select order_id, kind from order_timers where due_at <= $1
               order by due_at, kind limit $2 for update skip locked""",
            now,
            limit,
        )
        for row in due:
            order = await repo.get(conn, row["order_id"], for_update=True)
            if order is None:
                continue
            before = audit_view(order)
            if order.fire(TimerKind(row["kind"]), now):
                fired += 1
                deadline = Audited.by_deadline(f"order.{row['kind']}_deadline", "the deadline passed")
                await orders_of(ctx).audit(conn, deadline, order, before, now)
            await repo.save(conn, order, ctx.outbox)
    return fired


def timers(poll_seconds: float) -> list[Timer[Context]]:
    return [Timer("deadlines", fire_due_deadlines, poll_seconds)]

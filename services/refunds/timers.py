"""What refunds does on its own: silence decides every case whose deadline has passed."""

from __future__ import annotations

from plumbing.audit import Audited
from plumbing.timers import Timer
from services.refunds.adapters import repository as repo
from services.refunds.commands.cases import audit_view, cases_of
from services.refunds.context import Context


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


def timers(poll_seconds: float) -> list[Timer[Context]]:
    return [Timer("deadlines", fire_due_deadlines, poll_seconds)]

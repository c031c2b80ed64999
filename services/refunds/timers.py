"""What refunds does on its own: silence decides every case whose deadline has passed."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from plumbing.aggregates.audit import Audited
from plumbing.timers import Timer
from services.refunds.commands.cases import CASES
from services.refunds.context import Context
from services.refunds.domain.case import RefundCase

DUE = """select refund_id from refund_cases where deadline <= $1 order by deadline
         limit $2 for update skip locked"""
SILENCE = Audited.by_deadline("refund.deadline_passed", "silence decided")


async def fire_due_deadlines(ctx: Context, limit: int = 200) -> int:
    """Let silence decide every case whose deadline has passed."""

    def fire(case: RefundCase, _: asyncpg.Record, now: datetime) -> Audited | None:
        return SILENCE if case.fire(now, ctx.deadlines) else None

    return await CASES.fire_due(ctx, DUE, fire, limit)


def timers(poll_seconds: float) -> list[Timer[Context]]:
    return [Timer("deadlines", fire_due_deadlines, poll_seconds)]

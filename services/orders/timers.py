"""What orders does on its own: deadlines that have passed (approval, shipping, receipt) fire."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from plumbing.aggregates.audit import Audited
from plumbing.timers import Timer
from services.orders.commands.actions import ORDERS
from services.orders.context import Context
from services.orders.domain.order import Order, TimerKind

DUE = """select order_id, kind from order_timers where due_at <= $1
         order by due_at, kind limit $2 for update skip locked"""


def _fire(order: Order, due: asyncpg.Record, now: datetime) -> Audited | None:
    if not order.fire(TimerKind(due["kind"]), now):
        return None
    return Audited.by_deadline(f"order.{due['kind']}_deadline", "the deadline passed")


async def fire_due_deadlines(ctx: Context, limit: int = 200) -> int:
    """Fire every deadline that has passed; returns how many changed an order."""
    return await ORDERS.fire_due(ctx, DUE, _fire, limit)


def timers(poll_seconds: float) -> list[Timer[Context]]:
    return [Timer("deadlines", fire_due_deadlines, poll_seconds)]

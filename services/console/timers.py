"""What the console does on its own: it forgets ended sessions and used or expired links."""

from __future__ import annotations

from plumbing.timers import Timer
from services.console.adapters import sessions
from services.console.context import Context


async def forget_old(ctx: Context) -> int:
    async with ctx.pool.acquire() as conn:
        return await sessions.forget(conn, ctx.clock.now())


def timers(interval_seconds: float = 3600) -> list[Timer[Context]]:
    return [Timer("forget-sessions", forget_old, interval_seconds)]

"""What invoices does on its own: it asks the tax service again about matched and held invoices."""

from __future__ import annotations

from datetime import timedelta

from plumbing.timers import Timer
from services.invoices.commands.invoices import recheck
from services.invoices.context import Context


def timers(recheck_seconds: float) -> list[Timer[Context]]:
    every = timedelta(seconds=recheck_seconds)

    async def due(ctx: Context) -> int:
        return await recheck(ctx, every)

    return [Timer("tax-recheck", due, min(recheck_seconds, 60))]

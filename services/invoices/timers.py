"""What invoices does on its own: it asks the tax service again about matched and held invoices."""

from __future__ import annotations

from plumbing.timers import Timer
from services.invoices.commands.invoices import recheck
from services.invoices.context import Context


def timers(recheck_seconds: float) -> list[Timer[Context]]:
    return [Timer("tax-recheck", recheck, recheck_seconds, drain=False)]

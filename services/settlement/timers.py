"""What settlement does on its own: the daily payout run (the first a day after the start), and
early payments repaid from their orders' releases."""

from __future__ import annotations

from plumbing.aggregates.audit import Audited
from plumbing.ops.logs import get_logger
from plumbing.timers import Timer
from services.settlement.context import Context
from services.settlement.early_payment.commands import early_payment
from services.settlement.payouts.commands import payouts

log = get_logger(__name__)
SCHEDULER = Audited("payout_run", "scheduler", "system")


async def daily_payouts(ctx: Context) -> int:
    """Pay every active supplier's posted balance; the run of a day is one run (its id is the
    day), so a restart on the same day pays nothing twice."""
    report = await payouts.run(ctx, f"daily-{ctx.today}", SCHEDULER)
    log.info("payout run", run_id=report.run_id, paid=len(report.paid), skipped=report.skipped)
    return len(report.paid)


async def financing_sweep(ctx: Context) -> int:
    """Repay early payments from their orders' releases; recover what broken ones left owing."""
    return await early_payment.sweep(ctx)


def timers(interval_hours: float, sweep_seconds: float = 5) -> list[Timer[Context]]:
    return [
        Timer("payouts", daily_payouts, interval_hours * 3600, drain=False, wait_first=True),
        Timer("financing", financing_sweep, sweep_seconds, drain=False),
    ]

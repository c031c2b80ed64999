"""What suppliers does on its own: hazardous listings are withdrawn when a licence expires."""

from __future__ import annotations

from plumbing.ops.logs import get_logger
from plumbing.timers import Timer
from services.suppliers.adapters import repository as repo
from services.suppliers.context import Context

log = get_logger(__name__)


async def expire_licences(ctx: Context) -> list[str]:
    """Withdraw hazardous listings of every supplier whose licence expired; returns their ids."""
    today = ctx.today
    async with ctx.pool.acquire() as conn:
        due = [
            r["supplier_id"]
            for r in await conn.fetch(
                """select supplier_id from suppliers where hazardous_licence_until <= $1
                   and not hazardous_licence_expired order by supplier_id""",
                today,
            )
        ]
    expired: list[str] = []
    for supplier_id in due:
        async with ctx.pool.acquire() as conn, conn.transaction():
            supplier = await repo.get(conn, supplier_id, for_update=True)
            if supplier is None:
                continue
            withdrawn = supplier.expire_hazardous_licence(today, await repo.listings_of(conn, supplier_id))
            for listing in withdrawn:
                await repo.save_listing(conn, listing)
            if supplier.events:
                await repo.save(conn, supplier, ctx.outbox, correlation_id=f"licence-expiry:{today}")
                expired.append(supplier_id)
    return expired


async def _licence_expiry(ctx: Context) -> int:
    expired = await expire_licences(ctx)
    if expired:
        log.info("hazardous licences expired", suppliers=expired)
    return len(expired)


def timers(interval_seconds: float) -> list[Timer[Context]]:
    return [Timer("licence-expiry", _licence_expiry, interval_seconds)]

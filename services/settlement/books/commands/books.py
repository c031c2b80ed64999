"""A university's books: its account mappings (set by finance, audited) and a period's vouchers,
derived from the ledger each time they are asked for."""

from __future__ import annotations

import re
from datetime import datetime

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import RuleViolation
from plumbing.web.auth import Principal
from services.settlement.books.adapters import repository as repo
from services.settlement.books.domain.mapping import AccountMapping
from services.settlement.books.domain.vouchers import CHINA, Book, book
from services.settlement.context import Context

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def bounds(period: str) -> tuple[datetime, datetime]:
    """A month of the university's books, from its first to the next month's first midnight in
    Beijing time."""
    found = PERIOD.match(period)
    if found is None:
        raise RuleViolation(f"{period!r} is not a period: YYYY-MM", code="invalid_period")
    year, month = int(found[1]), int(found[2])
    start = datetime(year, month, 1, tzinfo=CHINA)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CHINA)
    return start, end


async def set_mapping(ctx: Context, by: Principal, tenant_id: str, mapping: AccountMapping) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = [
            m for m in await repo.mappings(conn, tenant_id) if m.effective_from == mapping.effective_from
        ]
        await repo.save_mapping(conn, tenant_id, mapping, by.subject, ctx.clock.now())
        await audit.record(
            conn,
            Audited.by(by, "account_mapping.set"),
            tenant_id=tenant_id,
            subject=f"account_mapping:{tenant_id}:{mapping.effective_from.isoformat()}",
            before=before[0] if before else None,
            after=mapping,
        )


async def mappings(ctx: Context, tenant_id: str) -> list[AccountMapping]:
    async with ctx.pool.acquire() as conn:
        return await repo.mappings(conn, tenant_id)


async def vouchers(ctx: Context, tenant_id: str, period: str) -> Book:
    start, end = bounds(period)
    async with ctx.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        found = await repo.movements(conn, tenant_id, start, end)
        known = await repo.mappings(conn, tenant_id)
    return book(tenant_id, found, known)

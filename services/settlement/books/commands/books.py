"""A university's books: its account mappings (set by finance, audited) and a period's vouchers,
derived from the ledger each time they are asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import Conflict, RuleViolation
from plumbing.web.auth import Principal
from services.settlement.books.adapters import repository as repo
from services.settlement.books.domain.accruals import Accrual
from services.settlement.books.domain.accruals import accruals as accrued
from services.settlement.books.domain.mapping import AccountMapping
from services.settlement.books.domain.vouchers import CHINA, Book, book
from services.settlement.context import Context

PERIOD = re.compile(r"^(2\d{3})-(0[1-9]|1[0-2])$")  # a month of this millennium's books


def bounds(period: str) -> tuple[datetime, datetime]:
    """A month of the university's books, from its first to the next month's first midnight in
    Beijing time."""
    found = PERIOD.match(period)
    if found is None:
        raise RuleViolation(f"{period!r} is not a period: YYYY-MM, 2000 to 2999", code="invalid_period")
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


@dataclass(frozen=True)
class PostReport:
    posted: int  # accepted now
    already: int  # posted before (by UniSettle, or found there by the finance system)
    rejected: list[dict[str, str]]  # voucher id, reason
    unpostable: list[dict[str, str]]  # transfer id, reasons: what the mapping lacks


async def post(ctx: Context, by: Principal, tenant_id: str, period: str) -> PostReport:
    """Post the period's vouchers not yet posted (rejected ones again) to the university's finance
    system; it de-duplicates by voucher id, so posting again never doubles anything."""
    found = await vouchers(ctx, tenant_id, period)
    async with ctx.pool.acquire() as conn:
        done = await repo.posted(conn, tenant_id, period)
    due = [v for v in found.vouchers if v.voucher_id not in done]
    if ctx.finance_system is None:
        raise Conflict("no finance system is connected for posting", code="finance_system_unavailable")
    results = await ctx.finance_system.post(tenant_id, due, ctx.clock.now()) if due else []
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.record_posts(conn, tenant_id, period, results, ctx.clock.now())
        report = PostReport(
            posted=sum(r.status == "accepted" for r in results),
            already=len(done) + sum(r.status == "duplicate" for r in results),
            rejected=[
                {"voucher_id": r.voucher_id, "reason": r.reason or ""}
                for r in results
                if r.status == "rejected"
            ],
            unpostable=[
                {"transfer_id": e.transfer_id, "reasons": "; ".join(e.reasons)} for e in found.exceptions
            ],
        )
        await audit.record(
            conn,
            Audited.by(by, "vouchers.posted"),
            tenant_id=tenant_id,
            subject=f"vouchers:{tenant_id}:{period}",
            before={"posted": len(done)},
            after=report,
        )
    return report


async def exceptions(ctx: Context, tenant_id: str, period: str) -> list[dict[str, object]]:
    """What finance must resolve for the period: movements the mapping cannot make vouchers of,
    and vouchers the finance system rejected (until a repost is accepted)."""
    found = await vouchers(ctx, tenant_id, period)
    async with ctx.pool.acquire() as conn:
        rejected = await repo.rejected(conn, tenant_id, period)
    return [
        {
            "kind": "unmapped",
            "transfer_id": e.transfer_id,
            "date": e.day.isoformat(),
            "summary": e.summary,
            "reasons": list(e.reasons),
            "amount_fen": e.amount,
        }
        for e in found.exceptions
    ] + [
        {
            "kind": "rejected",
            "voucher_id": r["voucher_id"],
            "reasons": [r["reason"]],
            "attempts": r["attempts"],
        }
        for r in rejected
    ]


async def accruals(ctx: Context, tenant_id: str, at: datetime) -> list[Accrual]:
    async with ctx.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return accrued(await repo.receipts(conn, tenant_id, at))

"""The university's finance system (用友, 金蝶, 浪潮 or its own), as the books need it: post
vouchers, each accepted, recognised as already posted (it de-duplicates by voucher id), or
rejected with a reason. UniSettle cannot reach a real one, so deployments use the simulator: it
keeps its own book, knows the university's chart of accounts and closed periods, and rejects an
unknown account, a closed period or an unbalanced voucher as a real one would."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from services.settlement.books.domain.vouchers import Voucher


@dataclass(frozen=True)
class PostResult:
    voucher_id: str
    status: str  # accepted, duplicate, rejected
    reason: str | None = None


class FinanceSystem(Protocol):
    async def post(self, tenant_id: str, vouchers: Sequence[Voucher], at: datetime) -> list[PostResult]: ...


class FinanceSystemSimulator:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def post(self, tenant_id: str, vouchers: Sequence[Voucher], at: datetime) -> list[PostResult]:
        results = []
        async with self.pool.acquire() as conn, conn.transaction():
            chart = {
                r["account"]
                for r in await conn.fetch(
                    "select account from finance_simulator_chart where tenant_id = $1", tenant_id
                )
            }
            closed = {
                r["period"]
                for r in await conn.fetch(
                    "select period from finance_simulator_closed where tenant_id = $1", tenant_id
                )
            }
            for v in vouchers:
                results.append(await self._one(conn, tenant_id, v, chart, closed, at))
        return results

    async def _one(
        self,
        conn: asyncpg.Connection,
        tenant_id: str,
        v: Voucher,
        chart: set[str],
        closed: set[str],
        at: datetime,
    ) -> PostResult:
        if await conn.fetchval(
            "select 1 from finance_simulator_vouchers where tenant_id = $1 and voucher_id = $2",
            tenant_id,
            v.voucher_id,
        ):
            return PostResult(v.voucher_id, "duplicate")
        if not v.balanced:
            return PostResult(v.voucher_id, "rejected", "unbalanced: debits and credits differ")
        unknown = sorted({x.account for x in v.lines} - chart)
        if unknown:
            return PostResult(v.voucher_id, "rejected", f"unknown_account: {', '.join(unknown)}")
        period = v.day.strftime("%Y-%m")
        if period in closed:
            return PostResult(v.voucher_id, "rejected", f"closed_period: {period}")
        await conn.execute(
            """insert into finance_simulator_vouchers (tenant_id, voucher_id, day, summary, lines, posted_at)
               values ($1, $2, $3, $4, $5::jsonb, $6)""",
            tenant_id,
            v.voucher_id,
            v.day,
            v.summary,
            json.dumps([x.__dict__ for x in v.lines], ensure_ascii=False),
            at,
        )
        return PostResult(v.voucher_id, "accepted")

    async def set_chart(self, tenant_id: str, accounts: Sequence[str]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("delete from finance_simulator_chart where tenant_id = $1", tenant_id)
            await conn.executemany(
                "insert into finance_simulator_chart (tenant_id, account) values ($1, $2)",
                [(tenant_id, a) for a in sorted(set(accounts))],
            )

    async def close(self, tenant_id: str, period: str, closed: bool) -> None:
        async with self.pool.acquire() as conn:
            if closed:
                await conn.execute(
                    "insert into finance_simulator_closed values ($1, $2) on conflict do nothing",
                    tenant_id,
                    period,
                )
            else:
                await conn.execute(
                    "delete from finance_simulator_closed where tenant_id = $1 and period = $2",
                    tenant_id,
                    period,
                )

    async def vouchers(self, tenant_id: str, period: str) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return list(
                await conn.fetch(
                    """select voucher_id, day, summary, lines from finance_simulator_vouchers
                       where tenant_id = $1 and to_char(day, 'YYYY-MM') = $2 order by day, voucher_id""",
                    tenant_id,
                    period,
                )
            )

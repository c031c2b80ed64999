"""Funding-execution reads from the pre-aggregated figures (never a scan of the ledger)."""

from __future__ import annotations

import asyncpg

from services.settlement.domain.execution import Figures


async def by_category(conn: asyncpg.Connection, tenant_id: str, grant_id: str) -> dict[str, Figures]:
    rows = await conn.fetch(
        """select category, budget, encumbered, expended, refunded from grant_figures
           where tenant_id = $1 and grant_id = $2 order by category""",
        tenant_id,
        grant_id,
    )
    return {r["category"]: Figures(r["budget"], r["encumbered"], r["expended"], r["refunded"]) for r in rows}


async def by_month(conn: asyncpg.Connection, tenant_id: str, grant_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(  # type: ignore[no-any-return]
        """select month, category, expended - refunded as expended, refunded from grant_monthly
           where tenant_id = $1 and grant_id = $2 order by month, category""",
        tenant_id,
        grant_id,
    )


async def grant_ids_of(conn: asyncpg.Connection, tenant_id: str) -> list[str]:
    return [
        r["grant_id"]
        for r in await conn.fetch(
            "select grant_id from grants where tenant_id = $1 order by grant_id", tenant_id
        )
    ]


def total(figures: dict[str, Figures]) -> Figures:
    return Figures(
        sum(f.budget for f in figures.values()),
        sum(f.encumbered for f in figures.values()),
        sum(f.expended for f in figures.values()),
        sum(f.refunded for f in figures.values()),
    )

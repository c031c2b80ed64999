"""Grants in Postgres."""

from __future__ import annotations

import json

import asyncpg

from contracts.events.common import BudgetCategory, ExecutionTarget
from services.settlement.grants.domain.grant import Grant


async def get(
    conn: asyncpg.Connection, tenant_id: str, grant_id: str, *, for_update: bool = False
) -> Grant | None:
    """The university's grant `grant_id` (grant ids are each university's own)."""
    row = await conn.fetchrow(
        "select * from grants where tenant_id = $1 and grant_id = $2" + (" for update" if for_update else ""),
        tenant_id,
        grant_id,
    )
    if row is None:
        return None
    budget = {
        BudgetCategory(r["category"]): int(r["budget"])
        for r in await conn.fetch(
            "select category, budget from grant_figures where tenant_id = $1 and grant_id = $2",
            tenant_id,
            grant_id,
        )
    }
    return grant_of(row, budget)


def grant_of(row: asyncpg.Record, budget: dict[BudgetCategory, int]) -> Grant:
    return Grant(
        grant_id=row["grant_id"],
        tenant_id=row["tenant_id"],
        code=row["code"],
        title=row["title"],
        pi_id=row["pi_id"],
        authorised_buyers=list(row["authorised_buyers"]),
        budget=budget,
        period_start=row["period_start"],
        period_end=row["period_end"],
        approval_threshold_minor=row["approval_threshold_minor"],
        targets=[ExecutionTarget.model_validate(t) for t in json.loads(row["targets"])],
        open=row["open"],
        version=row["version"],
    )


async def add(conn: asyncpg.Connection, g: Grant) -> bool:
    inserted = await conn.fetchval(
        """insert into grants (grant_id, tenant_id, code, title, pi_id, authorised_buyers,
            period_start, period_end,
               approval_threshold_minor, targets, open, version)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, true,
           $11) on conflict do nothing returning true""",
        g.grant_id,
        g.tenant_id,
        g.code,
        g.title,
        g.pi_id,
        g.authorised_buyers,
        g.period_start,
        g.period_end,
        g.approval_threshold_minor,
        json.dumps([t.model_dump(mode="json") for t in g.targets]),
        g.version,
    )
    return bool(inserted)


async def save(conn: asyncpg.Connection, g: Grant) -> None:
    await conn.execute(
        """update grants set authorised_buyers = $2, approval_threshold_minor = $3, open = $4, version = $5
           where tenant_id = $6 and grant_id = $1""",
        g.grant_id,
        g.authorised_buyers,
        g.approval_threshold_minor,
        g.open,
        g.version,
        g.tenant_id,
    )

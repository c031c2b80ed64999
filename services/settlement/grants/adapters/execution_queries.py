"""Funding-execution reads from the pre-aggregated figures (never a scan of the ledger)."""

from __future__ import annotations

import json
from datetime import date
from typing import NamedTuple

import asyncpg

from contracts.events.common import BudgetCategory
from services.settlement.grants.adapters.grants_repo import grant_of
from services.settlement.grants.domain.execution import Figures
from services.settlement.grants.domain.grant import Grant


class Month(NamedTuple):
    month: date
    category: str
    expended: int  # net of refunds
    refunded: int


class GrantFigures(NamedTuple):
    grant: Grant
    by_category: dict[str, Figures]
    by_month: list[Month]


_EXECUTIONS = """
select g.*,
       coalesce((select jsonb_agg(jsonb_build_array(f.category, f.budget, f.encumbered, f.expended,
                                                    f.refunded) order by f.category)
                 from grant_figures f where f.tenant_id = g.tenant_id and f.grant_id = g.grant_id),
                '[]')::text as figures,
       coalesce((select jsonb_agg(jsonb_build_array(m.month, m.category, m.expended - m.refunded,
                                                    m.refunded) order by m.month, m.category)
                 from grant_monthly m where m.tenant_id = g.tenant_id and m.grant_id = g.grant_id),
                '[]')::text as months
from grants g
where g.tenant_id = $1 and ($2::text is null or g.grant_id = $2)
order by g.grant_id
"""


async def executions(
    conn: asyncpg.Connection, tenant_id: str, grant_id: str | None = None
) -> list[GrantFigures]:
    """The university's grants (or the one named) with their figures by category and month, in
    one statement however many grants."""
    out = []
    for row in await conn.fetch(_EXECUTIONS, tenant_id, grant_id):
        categories = {c: Figures(b, e, x, r) for c, b, e, x, r in json.loads(row["figures"])}
        budget = {BudgetCategory(c): f.budget for c, f in categories.items()}
        months = [Month(date.fromisoformat(m), c, x, r) for m, c, x, r in json.loads(row["months"])]
        out.append(GrantFigures(grant_of(row, budget), categories, months))
    return out


def total(figures: dict[str, Figures]) -> Figures:
    return Figures(
        sum(f.budget for f in figures.values()),
        sum(f.encumbered for f in figures.values()),
        sum(f.expended for f in figures.values()),
        sum(f.refunded for f in figures.values()),
    )

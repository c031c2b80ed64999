"""Grants in Postgres: their rows, what is committed of each category, and — when a grant is
saved — the budget it moved (ledger transfers and figures) and its events, in the caller's
transaction (`STORE`, the grant's store for `plumbing.aggregates.acting.Aggregate`)."""

from __future__ import annotations

import json

import asyncpg

from contracts.events.common import BudgetCategory, ExecutionTarget
from plumbing.messaging.outbox import Outbox
from services.settlement.context import append_events
from services.settlement.grants.adapters.figures import write_figures
from services.settlement.grants.domain.errors import BudgetBelowCommitted
from services.settlement.grants.domain.grant import Grant
from services.settlement.ledger.adapters.store import load_ledger, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.errors import LimitExceeded


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
    figures = await conn.fetch(
        """select category, budget, encumbered + expended as committed from grant_figures
           where tenant_id = $1 and grant_id = $2""",
        tenant_id,
        grant_id,
    )
    grant = grant_of(row, {BudgetCategory(r["category"]): int(r["budget"]) for r in figures})
    grant.committed = {BudgetCategory(r["category"]): int(r["committed"]) for r in figures}
    return grant


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


async def add(conn: asyncpg.Connection, g: Grant, outbox: Outbox) -> bool:
    """Register the grant with its events and budget; False if its id or code is taken."""
    first, g.version = g.version + 1, g.version + len(g.events)
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
    if inserted:
        await _changes(conn, g, outbox, first)
    return bool(inserted)


async def save(conn: asyncpg.Connection, g: Grant, outbox: Outbox) -> None:
    first, g.version = g.version + 1, g.version + len(g.events)
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
    await _changes(conn, g, outbox, first)


async def _changes(conn: asyncpg.Connection, g: Grant, outbox: Outbox, first_version: int) -> None:
    """The budget the grant moved, as ledger transfers and figures, and its events from
    `first_version` on."""
    if g.moves:
        categories = sorted({m.category for m in g.moves}, key=lambda c: c.value)
        ledger = await load_ledger(
            conn,
            [
                accounts.opening_funding(g.tenant_id),
                *(accounts.opening_grant(g.tenant_id, g.grant_id, c.value) for c in categories),
            ],
        )
        try:
            ledger.apply_all([t for m in g.moves if (t := m.transfer(g.tenant_id, g.grant_id)) is not None])
        except LimitExceeded as exc:
            raise BudgetBelowCommitted(str(exc)) from exc
        await write_ledger(conn, ledger)
        figures: dict[tuple[str, str, str], list[int]] = {}
        for m in g.moves:  # a category's row is there afterwards even for a budget of 0
            figures.setdefault((g.tenant_id, g.grant_id, m.category.value), [0, 0, 0, 0])[0] += m.delta
        await write_figures(conn, figures)
    await append_events(
        conn,
        outbox,
        aggregate_id=g.grant_id,
        first_version=first_version,
        tenant_id=g.tenant_id,
        correlation_id=f"grant:{g.grant_id}",
        events=g.events,
    )
    g.events.clear()
    g.moves.clear()


GrantKey = tuple[str, str]  # the university and its grant id


class GrantStore:
    """Grants as an `Aggregate` keeps them, by (university, grant id)."""

    async def get(
        self, conn: asyncpg.Connection, key: GrantKey, /, *, for_update: bool = False
    ) -> Grant | None:
        return await get(conn, key[0], key[1], for_update=for_update)

    async def save(self, conn: asyncpg.Connection, it: Grant, outbox: Outbox, /) -> None:
        await save(conn, it, outbox)


STORE = GrantStore()

"""What settlement's handlers share: the context, writing events, and moving the execution
figures together with the money."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from plumbing.clock import Clock
from plumbing.messaging.outbox import Outbox

PRODUCER = "settlement"


@dataclass
class Context:
    pool: asyncpg.Pool
    outbox: Outbox
    clock: Clock
    fee_rate_bp: int

    @property
    def today(self) -> date:
        return self.clock.now().date()


async def emit(
    conn: asyncpg.Connection,
    ctx: Context,
    *,
    aggregate_id: str,
    first_version: int,
    tenant_id: str,
    correlation_id: str,
    events: Sequence[EventPayload],
    causation_id: uuid.UUID | None = None,
) -> None:
    await ctx.outbox.append(
        conn,
        [
            Envelope.of(
                e,
                producer=PRODUCER,
                aggregate_id=aggregate_id,
                aggregate_version=first_version + n,
                tenant_id=tenant_id,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for n, e in enumerate(events)
        ],
    )


async def monthly(
    conn: asyncpg.Connection,
    tenant_id: str,
    grant_id: str,
    category: str,
    on: date,
    *,
    expended: int = 0,
    refunded: int = 0,
) -> None:
    """Move a month's execution figures with the money: spend released, refunds paid back."""
    await conn.execute(
        """insert into grant_monthly (tenant_id, grant_id, category, month, expended, refunded)
           values ($1, $2, $3, $4, $5, $6)
           on conflict (tenant_id, grant_id, category, month)
           do update set expended = grant_monthly.expended + $5, refunded = grant_monthly.refunded + $6""",
        tenant_id,
        grant_id,
        category,
        on.replace(day=1),
        expended,
        refunded,
    )


async def figures(
    conn: asyncpg.Connection,
    tenant_id: str,
    grant_id: str,
    category: str,
    *,
    encumbered: int = 0,
    expended: int = 0,
    budget: int = 0,
    refunded: int = 0,
) -> None:
    """Move the pre-aggregated execution figures with the money (same transaction)."""
    # A plain update: an upsert would check its insert row (budget 0) against the constraint first.
    status = await conn.execute(
        """update grant_figures set budget = budget + $3, encumbered = encumbered + $4,
               expended = expended + $5, refunded = refunded + $6
           where grant_id = $1 and category = $2 and tenant_id = $7""",
        grant_id,
        category,
        budget,
        encumbered,
        expended,
        refunded,
        tenant_id,
    )
    if status == "UPDATE 0":
        await conn.execute(
            """insert into grant_figures
                   (tenant_id, grant_id, category, budget, encumbered, expended, refunded)
               values ($7, $1, $2, $3, $4, $5, $6)""",
            grant_id,
            category,
            budget,
            encumbered,
            expended,
            refunded,
            tenant_id,
        )

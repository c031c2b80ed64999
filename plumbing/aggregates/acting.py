"""Acting on one aggregate (an order, a refund case, a grant, a supplier): load it locked, check
that the caller may see it, apply the action, save it with its events, and — for an audited action
— record it in the audit trail with the aggregate before and after, all in one transaction.
Deadlines that passed are acted on the same way, by nobody. Each service says once, in an
`Aggregate`, how its kind is stored, shown and named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

import asyncpg

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.context import BaseContext
from plumbing.messaging.outbox import Outbox

A = TypeVar("A")
K = TypeVar("K", contravariant=True)  # what names one (an id, or a university's own id)
Key = TypeVar("Key")


class Store(Protocol[A, K]):
    """Where an aggregate kind is kept (a service's repository)."""

    async def get(
        self, conn: asyncpg.Connection, aggregate_id: K, /, *, for_update: bool = ...
    ) -> A | None: ...

    async def save(self, conn: asyncpg.Connection, it: A, outbox: Outbox, /) -> None: ...


@dataclass(frozen=True)
class Aggregate(Generic[A, Key]):
    store: Store[A, Key]
    view: Callable[[A], dict[str, object]]  # what the audit trail keeps of it
    subject: Callable[[A], str]  # e.g. order:O-1
    tenant: Callable[[A], str]
    not_found: Callable[[Key], Exception]

    async def act(
        self,
        ctx: BaseContext,
        aggregate_id: Key,
        action: Callable[[A], object],
        visible: Callable[[A], bool],
        audited: Audited | None,
    ) -> A:
        """Apply `action` to the locked aggregate and save it; one that does not exist or that the
        caller may not see is `not_found`."""
        async with ctx.pool.acquire() as conn, conn.transaction():
            it = await self.store.get(conn, aggregate_id, for_update=True)
            if it is None or not visible(it):
                raise self.not_found(aggregate_id)
            before = self.view(it)
            action(it)
            await self.store.save(conn, it, ctx.outbox)
            if audited is not None:
                await self._audit(conn, audited, it, before, ctx.clock.now())
            return it

    async def fire_due(
        self,
        ctx: BaseContext,
        due: str,
        fire: Callable[[A, asyncpg.Record, datetime], Audited | None],
        limit: int = 200,
    ) -> int:
        """Fire the deadlines that have passed: `due` selects (locked, skipping those another
        process holds) the id and whatever `fire` needs of at most $2 deadlines due by $1; `fire`
        changes the aggregate and says how the change is audited, or None if it changed nothing.
        Returns how many changed an aggregate."""
        now, fired = ctx.clock.now(), 0
        async with ctx.pool.acquire() as conn, conn.transaction():
            for row in await conn.fetch(due, now, limit):
                it = await self.store.get(conn, row[0], for_update=True)
                if it is None:
                    continue
                before = self.view(it)
                audited = fire(it, row, now)
                await self.store.save(conn, it, ctx.outbox)
                if audited is not None:
                    fired += 1
                    await self._audit(conn, audited, it, before, now)
        return fired

    async def _audit(
        self, conn: asyncpg.Connection, audited: Audited, it: A, before: dict[str, object], at: datetime
    ) -> None:
        await audit.record(
            conn,
            audited,
            tenant_id=self.tenant(it),
            subject=self.subject(it),
            before=before,
            after=self.view(it),
            at=at,
        )

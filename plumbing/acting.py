"""Acting on one aggregate (an order, a refund case): load it locked, check that the caller may
see it, apply the action, save it with its events, and — for an audited action — record it in the
audit trail with the aggregate before and after, all in one transaction. Each service says once,
in an `Aggregate`, how its kind is loaded, saved and shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import asyncpg

from plumbing import audit
from plumbing.audit import Audited

A = TypeVar("A")


@dataclass(frozen=True)
class Aggregate(Generic[A]):
    load: Callable[[asyncpg.Connection, str], Awaitable[A | None]]  # locked for update
    save: Callable[[asyncpg.Connection, A], Awaitable[None]]
    view: Callable[[A], dict[str, object]]  # what the audit trail keeps of it
    subject: Callable[[A], str]  # e.g. order:O-1
    tenant: Callable[[A], str]
    not_found: Callable[[str], Exception]

    async def audit(
        self, conn: asyncpg.Connection, audited: Audited, it: A, before: dict[str, object], at: datetime
    ) -> None:
        """Record a change of `it` (shown as `before` until now) in the audit trail."""
        await audit.record(
            conn,
            audited,
            tenant_id=self.tenant(it),
            subject=self.subject(it),
            before=before,
            after=self.view(it),
            at=at,
        )

    async def act(
        self,
        pool: asyncpg.Pool,
        aggregate_id: str,
        action: Callable[[A], object],
        visible: Callable[[A], bool],
        audited: Audited | None,
        now: Callable[[], datetime],
    ) -> A:
        """Apply `action` to the locked aggregate and save it; one that does not exist or that the
        caller may not see is `not_found`."""
        async with pool.acquire() as conn, conn.transaction():
            it = await self.load(conn, aggregate_id)
            if it is None or not visible(it):
                raise self.not_found(aggregate_id)
            before = self.view(it)
            action(it)
            await self.save(conn, it)
            if audited is not None:
                await self.audit(conn, audited, it, before, now())
            return it

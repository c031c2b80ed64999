"""Handing on approvals for a period, taking them back, and who an approver may act as."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

import asyncpg

from plumbing.aggregates import audit
from plumbing.errors import NotFound
from plumbing.web.auth import Principal
from services.orders.adapters import delegations as store
from services.orders.context import Context
from services.orders.domain.approvals import Acting
from services.orders.domain.delegation import Delegation


class DelegationNotFound(NotFound):
    code = "delegation_not_found"


async def delegate(
    ctx: Context, by: Principal, delegate_id: str, valid_from: datetime | None, valid_until: datetime
) -> Delegation:
    now = ctx.clock.now()
    made = Delegation.make(
        delegation_id=f"D-{uuid.uuid4().hex[:12]}",
        tenant_id=by.tenant_id,
        delegator=by.actor,
        delegator_unit=by.org_unit_id,
        delegate_id=delegate_id,
        valid_from=valid_from or now,
        valid_until=valid_until,
        now=now,
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.add(conn, made, now)
        await _audit(conn, by, "delegation.made", None, made, now)
    return made


async def revoke(ctx: Context, by: Principal, delegation_id: str) -> Delegation:
    """The delegator takes their approvals back (from now on)."""
    now = ctx.clock.now()
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await store.get(conn, by.tenant_id, delegation_id)
        if found is None or found.delegator.user_id != by.subject:
            raise DelegationNotFound(f"no delegation {delegation_id!r} of yours")
        if found.revoked_at is not None:
            return found
        await store.revoke(conn, delegation_id, now)
        revoked = dataclasses.replace(found, revoked_at=now)
        await _audit(conn, by, "delegation.revoked", found, revoked, now)
    return revoked


async def _audit(
    conn: asyncpg.Connection,
    by: Principal,
    action: str,
    before: Delegation | None,
    after: Delegation,
    now: datetime,
) -> None:
    await audit.record(
        conn,
        audit.Audited.by(by, action),
        tenant_id=by.tenant_id,
        subject=f"delegation:{after.delegation_id}",
        before=before,
        after=after,
        at=now,
    )


async def acting_as(ctx: Context, principal: Principal) -> list[Acting]:
    """Who the principal may approve as now: themself, and each approver who delegated to them."""
    async with ctx.pool.acquire() as conn:
        delegations = await store.to(conn, principal.tenant_id, principal.subject, ctx.clock.now())
    return [Acting(principal.actor, principal.org_unit_id), *(d.acting(principal.actor) for d in delegations)]

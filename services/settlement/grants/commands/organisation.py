"""University finance's commands on the organisation tree: add, rename, move and close a unit,
set its approval rules, put a grant under a unit. Each change is checked against the whole tree
(changes of one university are taken one at a time), saved with its event and audited in one
transaction. A finance officer scoped to a unit changes only what lies below it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from datetime import date

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.organisation import (
    ApprovalRule,
    GrantOrgUnitChanged,
    OrgUnitApprovalRulesSet,
    OrgUnitClosed,
    OrgUnitCreated,
    OrgUnitMoved,
    OrgUnitRenamed,
    UnitKind,
)
from plumbing.aggregates import audit
from plumbing.org import store as org_store
from plumbing.org.tree import OrgTree, Unit, in_scope
from plumbing.web.auth import Principal
from services.settlement.context import Context, emit
from services.settlement.grants.adapters import grants_repo
from services.settlement.grants.domain import organisation as rules
from services.settlement.grants.domain.errors import GrantNotFound, OrgUnitExists, OrgUnitNotFound


async def locked_tree(conn: asyncpg.Connection, tenant_id: str) -> OrgTree:
    """The university's tree, with its changes serialised until the transaction ends."""
    await conn.execute("select pg_advisory_xact_lock(hashtextextended($1, 0))", f"org:{tenant_id}")
    return await org_store.load(conn, tenant_id)


def within(tree: OrgTree, by: Principal, unit_id: str | None, on: date, *, own: bool = False) -> None:
    """A scoped officer changes only units below their own (`own`: or their own, for what is put
    under it); what lies elsewhere does not exist for them. An unscoped one deals with the whole
    university (None: its top)."""
    scope = by.org_unit_id
    if scope is None:
        return
    if unit_id is None or (unit_id == scope and not own) or scope not in tree.path(unit_id, on):
        raise OrgUnitNotFound(f"no unit {unit_id!r} you may change")


async def _save(
    conn: asyncpg.Connection,
    ctx: Context,
    by: Principal,
    tenant_id: str,
    before: Unit | None,
    after: Unit,
    event: EventPayload,
    action: str,
    reason: str | None = None,
) -> Unit:
    version = await org_store.version(conn, tenant_id, after.unit_id) + 1
    if not await org_store.save_unit(conn, tenant_id, after, version):  # pragma: no cover - locked above
        raise OrgUnitExists(f"unit {after.unit_id!r} changed meanwhile")
    await emit(
        conn,
        ctx,
        aggregate_id=after.unit_id,
        first_version=version,
        tenant_id=tenant_id,
        correlation_id=f"org_unit:{after.unit_id}",
        events=[event],
    )
    await audit.record(
        conn,
        audit.Audited.by(by, action, reason),
        tenant_id=tenant_id,
        subject=f"org_unit:{after.unit_id}",
        before=before,
        after=after,
    )
    return after


async def create(
    ctx: Context,
    by: Principal,
    *,
    unit_id: str | None,
    code: str,
    name: str,
    kind: UnitKind,
    parent_id: str | None,
    active_from: date | None,
) -> Unit:
    tenant = by.tenant_id
    async with ctx.pool.acquire() as conn, conn.transaction():
        tree = await locked_tree(conn, tenant)
        start = active_from or ctx.today.replace(day=1)
        within(tree, by, parent_id, start)
        new_id = unit_id or f"U-{uuid.uuid4().hex[:12]}"
        clash = [u for u in tree.units.values() if u.unit_id == new_id or u.code == code]
        if clash:
            raise OrgUnitExists(
                f"unit {new_id!r} (or code {code!r}) already exists at this university",
                details={"unit_id": clash[0].unit_id, "code": clash[0].code},
            )
        unit = rules.create(
            tree, unit_id=new_id, code=code, name=name, kind=kind, parent_id=parent_id, active_from=start
        )
        event = OrgUnitCreated(
            unit_id=new_id,
            code=code,
            name=name,
            kind=kind,
            active_from=start,
            parents=list(unit.parents),
            created_by=by.actor,
        )
        return await _save(conn, ctx, by, tenant, None, unit, event, "org_unit.created")


async def _change(
    ctx: Context,
    by: Principal,
    unit_id: str,
    change: Callable[[OrgTree, Unit], tuple[Unit, EventPayload]],
    action: str,
    reason: str | None = None,
) -> Unit:
    tenant = by.tenant_id
    async with ctx.pool.acquire() as conn, conn.transaction():
        tree = await locked_tree(conn, tenant)
        within(tree, by, unit_id, ctx.today)
        before = rules.unit(tree, unit_id)
        after, event = change(tree, before)
        return await _save(conn, ctx, by, tenant, before, after, event, action, reason)


async def rename(ctx: Context, by: Principal, unit_id: str, name: str) -> Unit:
    def change(tree: OrgTree, unit: Unit) -> tuple[Unit, EventPayload]:
        renamed = dataclasses.replace(unit, name=name)
        return renamed, OrgUnitRenamed(
            unit_id=unit_id, name=name, previous_name=unit.name, renamed_by=by.actor
        )

    return await _change(ctx, by, unit_id, change, "org_unit.renamed")


async def move(ctx: Context, by: Principal, unit_id: str, parent_id: str | None, start: date) -> Unit:
    def change(tree: OrgTree, unit: Unit) -> tuple[Unit, EventPayload]:
        within(tree, by, parent_id, start)
        moved = rules.move(tree, unit_id, parent_id, start, ctx.today)
        return moved, OrgUnitMoved(
            unit_id=unit_id,
            parent_id=parent_id,
            effective_from=start,
            parents=list(moved.parents),
            moved_by=by.actor,
        )

    return await _change(ctx, by, unit_id, change, "org_unit.moved")


async def close(ctx: Context, by: Principal, unit_id: str, closed_from: date, reason: str) -> Unit:
    def change(tree: OrgTree, unit: Unit) -> tuple[Unit, EventPayload]:
        closed = rules.close(tree, unit_id, closed_from, ctx.today)
        return closed, OrgUnitClosed(
            unit_id=unit_id,
            closed_from=closed_from,
            parents=list(closed.parents),
            reason=reason,
            closed_by=by.actor,
        )

    return await _change(ctx, by, unit_id, change, "org_unit.closed", reason)


async def set_rules(ctx: Context, by: Principal, unit_id: str, new: Sequence[ApprovalRule]) -> Unit:
    def change(tree: OrgTree, unit: Unit) -> tuple[Unit, EventPayload]:
        checked = rules.check_rules(list(new))
        return dataclasses.replace(unit, rules=tuple(checked)), OrgUnitApprovalRulesSet(
            unit_id=unit_id, rules=checked, set_by=by.actor
        )

    return await _change(ctx, by, unit_id, change, "org_unit.rules_set")


async def place_grant(
    conn: asyncpg.Connection,
    ctx: Context,
    by: Principal,
    tree: OrgTree,
    grant_id: str,
    unit_id: str,
    start: date,
    version: int,
) -> GrantOrgUnitChanged:
    """Put a grant under a unit from `start` (inside the caller's transaction, which holds the
    tree locked and saves the grant at `version`); the event that says so."""
    within(tree, by, unit_id, start, own=True)
    units = rules.assign(tree, grant_id, unit_id, start, ctx.today)
    await org_store.save_grant(conn, by.tenant_id, grant_id, units, version)
    return GrantOrgUnitChanged(
        grant_id=grant_id, unit_id=unit_id, effective_from=start, units=list(units), changed_by=by.actor
    )


async def move_grant(ctx: Context, by: Principal, grant_id: str, unit_id: str, start: date) -> str:
    """Put an existing grant under a unit from `start`: one more version of the grant."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        grant = await grants_repo.get(conn, by.tenant_id, grant_id, for_update=True)
        tree = await locked_tree(conn, by.tenant_id)
        if grant is None or not in_scope(tree, by.org_unit_id, grant_id, ctx.today):
            raise GrantNotFound(f"no grant {grant_id!r} you may change")
        event = await place_grant(conn, ctx, by, tree, grant_id, unit_id, start, grant.version + 1)
        grant.events.append(event)
        await grants_repo.save(conn, grant, ctx.outbox)
        await audit.record(
            conn,
            audit.Audited.by(by, "grant.org_unit_changed"),
            tenant_id=by.tenant_id,
            subject=f"grant:{grant_id}",
            before={"units": tree.grants.get(grant_id, ())},
            after={"units": event.units},
        )
    return unit_id

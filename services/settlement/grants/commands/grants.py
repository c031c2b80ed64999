"""University finance's commands on grants: register, adjust a budget, change buyers, close.
Each change of a grant is one `Aggregate.act` on it (`GRANTS`): the grant enforces its rules and
records its events; its store writes the budget it moved as ledger transfers from the
university's funding account, in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from contracts.events.common import Actor, BudgetCategory
from contracts.events.settlement import GrantRegistered
from contracts.money import Money
from plumbing.aggregates import audit
from plumbing.aggregates.acting import Aggregate
from plumbing.aggregates.audit import Audited
from plumbing.org import store as org_store
from plumbing.org.tree import in_scope
from plumbing.web.auth import Principal
from services.settlement.context import Context
from services.settlement.grants.adapters import grants_repo
from services.settlement.grants.adapters.grants_repo import GrantKey
from services.settlement.grants.commands import organisation
from services.settlement.grants.domain.errors import GrantExists, GrantNotFound
from services.settlement.grants.domain.grant import Grant

GRANTS = Aggregate(
    store=grants_repo.STORE,
    view=Grant.view,
    subject=lambda g: f"grant:{g.grant_id}",
    tenant=lambda g: g.tenant_id,
    not_found=lambda key: GrantNotFound(f"no grant {key[1]!r} at this university"),
)

Scope = tuple[str | None, date]  # the caller's org unit (None: the whole university) and today


async def register(ctx: Context, grant: Grant, principal: Principal, org_unit_id: str | None = None) -> Grant:
    """Register the grant, with its budget; under `org_unit_id` (a scoped officer's grant goes
    under their own unit when none is named) from the registration month."""
    by = principal.actor
    unit_id = org_unit_id or principal.org_unit_id
    grant.version = 0
    grant.funded()
    grant.events.append(
        GrantRegistered(
            grant_id=grant.grant_id,
            code=grant.code,
            title=grant.title,
            pi_id=grant.pi_id,
            authorised_buyers=grant.authorised_buyers,
            budget_by_category=grant.budget,
            period_start=grant.period_start,
            period_end=grant.period_end,
            approval_threshold=Money.cny(grant.approval_threshold_minor),
            execution_targets=grant.targets,
            org_unit_id=unit_id,
        )
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        if unit_id is not None:
            tree = await organisation.locked_tree(conn, grant.tenant_id)
            grant.events.append(
                await organisation.place_grant(
                    conn, ctx, principal, tree, grant.grant_id, unit_id, ctx.today.replace(day=1), 2
                )
            )
        if not await grants_repo.add(conn, grant, ctx.outbox):
            raise GrantExists(
                f"grant {grant.grant_id!r} (or code {grant.code!r}) is already registered at this university"
            )
        await audit.record(
            conn,
            Audited("grant.registered", by.user_id, by.role),
            tenant_id=grant.tenant_id,
            subject=f"grant:{grant.grant_id}",
            before=None,
            after=grant.view(),
        )
    return grant


async def adjust_budget(
    ctx: Context,
    tenant_id: str,
    grant_id: str,
    category: BudgetCategory,
    budget_minor: int,
    reason: str,
    by: Actor,
    scope: Scope = (None, date.min),
) -> Grant:
    """Set a category's budget; never below what is already encumbered and spent."""
    return await _act(
        ctx,
        (tenant_id, grant_id),
        lambda g: g.adjust_budget(category, budget_minor, reason, by),
        scope,
        Audited("grant.budget_adjusted", by.user_id, by.role, reason),
    )


async def change_buyers(
    ctx: Context,
    tenant_id: str,
    grant_id: str,
    buyers: list[str],
    threshold_minor: int,
    by: Actor,
    scope: Scope = (None, date.min),
) -> Grant:
    return await _act(
        ctx,
        (tenant_id, grant_id),
        lambda g: g.change_buyers(buyers, threshold_minor, by),
        scope,
        Audited("grant.buyers_changed", by.user_id, by.role),
    )


async def close(
    ctx: Context, tenant_id: str, grant_id: str, reason: str, by: Actor, scope: Scope = (None, date.min)
) -> Grant:
    return await _act(
        ctx,
        (tenant_id, grant_id),
        lambda g: g.close(reason, by),
        scope,
        Audited("grant.closed", by.user_id, by.role, reason),
    )


async def _act(
    ctx: Context, key: GrantKey, action: Callable[[Grant], None], scope: Scope, audited: Audited
) -> Grant:
    """Act on the grant if it is within the caller's scope (`scope`: their org unit and today);
    one outside it is not found, as one that does not exist."""
    unit_id, today = scope
    visible = True
    if unit_id is not None:
        async with ctx.pool.acquire() as conn:
            visible = in_scope(await org_store.load(conn, key[0]), unit_id, key[1], today)
    return await GRANTS.act(ctx, key, action, lambda _: visible, audited)


def new_grant_id() -> str:
    return f"G-{uuid.uuid4().hex[:12]}"

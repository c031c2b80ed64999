"""University finance's commands on grants: register, adjust a budget, change buyers, close.
Budgets are ledger transfers from the university's funding account to the grant's accounts."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory
from contracts.events.settlement import GrantBudgetAdjusted, GrantBuyersChanged, GrantClosed, GrantRegistered
from contracts.money import Money
from plumbing.aggregates import audit
from plumbing.org import store as org_store
from plumbing.org.tree import in_scope
from plumbing.web.auth import Principal
from services.settlement.context import Context, emit
from services.settlement.grants.adapters import grants_repo
from services.settlement.grants.adapters.figures import write_figures
from services.settlement.grants.commands import organisation
from services.settlement.grants.domain.errors import (
    BudgetBelowCommitted,
    GrantClosedError,
    GrantExists,
    GrantNotFound,
)
from services.settlement.grants.domain.grant import Grant
from services.settlement.ledger.adapters.store import load_ledger, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.errors import LimitExceeded
from services.settlement.ledger.domain.ledger import Ledger, Transfer, TransferKind, transfer_id


async def register(ctx: Context, grant: Grant, principal: Principal, org_unit_id: str | None = None) -> Grant:
    """Register the grant, with its budget; under `org_unit_id` (a scoped officer's grant goes
    under their own unit when none is named) from the registration month."""
    by = principal.actor
    unit_id = org_unit_id or principal.org_unit_id
    async with ctx.pool.acquire() as conn, conn.transaction():
        grant.version = 1
        placed = None
        if unit_id is not None:
            tree = await organisation.locked_tree(conn, grant.tenant_id)
            grant.version = 2
            placed = await organisation.place_grant(
                conn, ctx, principal, tree, grant.grant_id, unit_id, ctx.today.replace(day=1), 2
            )
        if not await grants_repo.add(conn, grant):
            raise GrantExists(
                f"grant {grant.grant_id!r} (or code {grant.code!r}) is already registered at this university"
            )
        categories = sorted(grant.budget, key=lambda c: c.value)
        ledger = await _ledger(conn, grant, categories)
        budgets: Figures = {}
        for category in categories:
            _fund(
                ledger,
                budgets,
                grant,
                category,
                grant.budget[category],
                f"{_cause(grant)}:budget:{category.value}",
            )
        await write_ledger(conn, ledger)
        await write_figures(conn, budgets)
        await emit(
            conn,
            ctx,
            aggregate_id=grant.grant_id,
            first_version=1,
            tenant_id=grant.tenant_id,
            correlation_id=f"grant:{grant.grant_id}",
            events=[
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
                ),
                *([placed] if placed else []),
            ],
        )
        await _audit(conn, grant, by, "grant.registered", None)
    return grant


Figures = dict[tuple[str, str, str], list[int]]
Scope = tuple[str | None, date]  # the caller's org unit (None: the whole university) and today


async def _ledger(conn: asyncpg.Connection, grant: Grant, categories: list[BudgetCategory]) -> Ledger:
    """The university's funding account and the grant's accounts of these categories, locked."""
    return await load_ledger(
        conn,
        [
            accounts.opening_funding(grant.tenant_id),
            *(accounts.opening_grant(grant.tenant_id, grant.grant_id, c.value) for c in categories),
        ],
    )


def _fund(
    ledger: Ledger, figures: Figures, grant: Grant, category: BudgetCategory, delta: int, cause: str
) -> None:
    """Move budget between the university's funding account and the grant (delta may be negative);
    the category's figures row is there afterwards even for a budget of 0."""
    figures[(grant.tenant_id, grant.grant_id, category.value)] = [delta, 0, 0, 0]
    if not delta:
        return
    funding = accounts.funding(grant.tenant_id)
    account = accounts.grant(grant.tenant_id, grant.grant_id, category.value)
    debit, credit = (funding, account) if delta > 0 else (account, funding)
    ledger.apply(
        Transfer(transfer_id(cause), debit, credit, abs(delta), TransferKind.POSTED, TransferCode.BUDGET)
    )


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
    async with ctx.pool.acquire() as conn, conn.transaction():
        grant = await _load(conn, tenant_id, grant_id, scope)
        before = _state(grant)
        previous = grant.budget.get(category, 0)
        delta = budget_minor - previous
        if delta:
            ledger = await _ledger(conn, grant, [category])
            committed = (
                await conn.fetchval(
                    """select encumbered + expended from grant_figures
                       where tenant_id = $3 and grant_id = $1 and category = $2""",
                    grant_id,
                    category.value,
                    tenant_id,
                )
                or 0
            )
            if budget_minor < committed:
                raise BudgetBelowCommitted(
                    f"{category.value} has {committed} fen committed", details={"committed_minor": committed}
                )
            budgets: Figures = {}
            try:
                _fund(ledger, budgets, grant, category, delta, f"{_cause(grant)}:adjust:{grant.version + 1}")
            except LimitExceeded as exc:
                raise BudgetBelowCommitted(str(exc)) from exc
            await write_ledger(conn, ledger)
            await write_figures(conn, budgets)
        grant.budget[category] = budget_minor
        await _save_with(
            conn,
            ctx,
            grant,
            GrantBudgetAdjusted(
                grant_id=grant_id,
                category=category,
                previous_minor=previous,
                budget_minor=budget_minor,
                reason=reason,
                adjusted_by=by,
            ),
        )
        await _audit(conn, grant, by, "grant.budget_adjusted", before, reason)
    return grant


async def change_buyers(
    ctx: Context,
    tenant_id: str,
    grant_id: str,
    buyers: list[str],
    threshold_minor: int,
    by: Actor,
    scope: Scope = (None, date.min),
) -> Grant:
    async with ctx.pool.acquire() as conn, conn.transaction():
        grant = await _load(conn, tenant_id, grant_id, scope)
        before = _state(grant)
        grant.authorised_buyers, grant.approval_threshold_minor = sorted(set(buyers)), threshold_minor
        await _save_with(
            conn,
            ctx,
            grant,
            GrantBuyersChanged(
                grant_id=grant_id,
                authorised_buyers=grant.authorised_buyers,
                approval_threshold=Money.cny(threshold_minor),
                changed_by=by,
            ),
        )
        await _audit(conn, grant, by, "grant.buyers_changed", before)
    return grant


async def close(
    ctx: Context, tenant_id: str, grant_id: str, reason: str, by: Actor, scope: Scope = (None, date.min)
) -> Grant:
    async with ctx.pool.acquire() as conn, conn.transaction():
        grant = await _load(conn, tenant_id, grant_id, scope)
        if not grant.open:
            raise GrantClosedError(f"grant {grant.code} is already closed")
        before = _state(grant)
        grant.open = False
        await _save_with(conn, ctx, grant, GrantClosed(grant_id=grant_id, closed_by=by, reason=reason))
        await _audit(conn, grant, by, "grant.closed", before, reason)
    return grant


async def _save_with(conn: asyncpg.Connection, ctx: Context, grant: Grant, event: EventPayload) -> None:
    """A grant change is one more version of the grant: saved with its event, in one transaction."""
    grant.version += 1
    await grants_repo.save(conn, grant)
    await emit(
        conn,
        ctx,
        aggregate_id=grant.grant_id,
        first_version=grant.version,
        tenant_id=grant.tenant_id,
        correlation_id=f"grant:{grant.grant_id}",
        events=[event],
    )


def _state(grant: Grant) -> dict[str, Any]:
    return dataclasses.asdict(grant)


async def _audit(
    conn: asyncpg.Connection, grant: Grant, by: Actor, action: str, before: Any, reason: str | None = None
) -> None:
    await audit.record(
        conn,
        audit.Audited(action, by.user_id, by.role, reason),
        tenant_id=grant.tenant_id,
        subject=f"grant:{grant.grant_id}",
        before=before,
        after=_state(grant),
    )


async def _load(conn: asyncpg.Connection, tenant_id: str, grant_id: str, scope: Scope) -> Grant:
    """The grant, locked — if it is within the caller's scope (`scope`: their org unit and today)."""
    grant = await grants_repo.get(conn, tenant_id, grant_id, for_update=True)
    if grant is not None and scope[0] is not None:
        tree = await org_store.load(conn, tenant_id)
        if not in_scope(tree, scope[0], grant_id, scope[1]):
            grant = None
    if grant is None:
        raise GrantNotFound(f"no grant {grant_id!r} at this university")
    return grant


def _cause(grant: Grant) -> str:
    """What a grant's budget transfers are caused by (their ids derive from it): the university
    and the grant, as grant ids are each university's own."""
    return f"grant:{grant.tenant_id}:{grant.grant_id}"


def new_grant_id() -> str:
    return f"G-{uuid.uuid4().hex[:12]}"

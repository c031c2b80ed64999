"""Grants and their funding execution, for university finance (and a PI for their own grants)."""

from __future__ import annotations

from datetime import date

import asyncpg
from fastapi import APIRouter, Response, status

from plumbing.errors import RuleViolation
from plumbing.org import store as org_store
from plumbing.org.tree import OrgTree, in_scope
from plumbing.web.auth import Principal, Role
from plumbing.web.request_bodies import ReasonIn
from plumbing.web.responses import json_response
from services.settlement.deps import Ctx, Finance, GrantIdPath, GrantReader, TenantQuery
from services.settlement.grants.adapters import execution_queries as figures_q
from services.settlement.grants.adapters import grants_repo
from services.settlement.grants.api.schemas import (
    BudgetIn,
    BuyersIn,
    ExecutionOut,
    ExecutionsOut,
    FiguresOut,
    GrantIn,
    GrantOut,
    GrantUnitIn,
    GrantUnitOut,
    MonthOut,
    OutlookOut,
)
from services.settlement.grants.commands import grants as grant_commands
from services.settlement.grants.commands import organisation as org_commands
from services.settlement.grants.domain.errors import GrantNotFound
from services.settlement.grants.domain.execution import outlook
from services.settlement.grants.domain.grant import Grant

router = APIRouter(prefix="/v1/grants", tags=["grants"])


def grant_out(g: Grant, org_unit_id: str | None = None) -> GrantOut:
    return GrantOut(
        grant_id=g.grant_id,
        tenant_id=g.tenant_id,
        code=g.code,
        title=g.title,
        pi_id=g.pi_id,
        authorised_buyers=g.authorised_buyers,
        budget_by_category={k.value: v for k, v in g.budget.items()},
        period_start=g.period_start,
        period_end=g.period_end,
        approval_threshold_minor=g.approval_threshold_minor,
        execution_targets=g.targets,
        open=g.open,
        version=g.version,
        org_unit_id=org_unit_id,
    )


@router.post("", response_model=GrantOut, status_code=status.HTTP_201_CREATED)
async def register(body: GrantIn, ctx: Ctx, finance: Finance) -> GrantOut:
    """Register a grant of the caller's university with its budget by category."""
    grant = Grant(
        grant_id=body.grant_id or grant_commands.new_grant_id(),
        tenant_id=finance.tenant_id,
        code=body.code,
        title=body.title,
        pi_id=body.pi_id,
        authorised_buyers=sorted(set(body.authorised_buyers)),
        budget=dict(body.budget_by_category),
        period_start=body.period_start,
        period_end=body.period_end,
        approval_threshold_minor=body.approval_threshold_minor,
        targets=body.execution_targets,
    )
    registered = await grant_commands.register(ctx, grant, finance, body.org_unit_id)
    return grant_out(registered, body.org_unit_id or finance.org_unit_id)


@router.post("/{grant_id}/budget", response_model=GrantOut)
async def adjust_budget(grant_id: GrantIdPath, body: BudgetIn, ctx: Ctx, finance: Finance) -> GrantOut:
    """Set one category's budget, with a reason; never below what is already committed."""
    return grant_out(
        await grant_commands.adjust_budget(
            ctx,
            finance.tenant_id,
            grant_id,
            body.category,
            body.budget_minor,
            body.reason,
            finance.actor,
            _scope(ctx, finance),
        )
    )


@router.put("/{grant_id}/buyers", response_model=GrantOut)
async def change_buyers(grant_id: GrantIdPath, body: BuyersIn, ctx: Ctx, finance: Finance) -> GrantOut:
    return grant_out(
        await grant_commands.change_buyers(
            ctx,
            finance.tenant_id,
            grant_id,
            body.authorised_buyers,
            body.approval_threshold_minor,
            finance.actor,
            _scope(ctx, finance),
        )
    )


@router.post("/{grant_id}/close", response_model=GrantOut)
async def close(grant_id: GrantIdPath, body: ReasonIn, ctx: Ctx, finance: Finance) -> GrantOut:
    return grant_out(
        await grant_commands.close(
            ctx, finance.tenant_id, grant_id, body.reason, finance.actor, _scope(ctx, finance)
        )
    )


@router.put("/{grant_id}/org-unit", response_model=GrantUnitOut)
async def place(grant_id: GrantIdPath, body: GrantUnitIn, ctx: Ctx, finance: Finance) -> GrantUnitOut:
    """Put the grant under a unit from a month's first day (not in a month already past): the
    months before stay with the unit that held it."""
    await org_commands.move_grant(ctx, finance, grant_id, body.org_unit_id, body.effective_from)
    return GrantUnitOut(grant_id=grant_id, org_unit_id=body.org_unit_id, effective_from=body.effective_from)


def _scope(ctx: Ctx, principal: Principal) -> grant_commands.Scope:
    return principal.org_unit_id, ctx.today


def _university(principal: Principal, tenant_id: str | None, grant_id: str) -> str:
    """The university whose grant is read: the reader's own (platform operations name it)."""
    if principal.role is Role.PLATFORM_OPS:
        if tenant_id is None:
            raise RuleViolation("name the grant's university: ?tenant_id=", code="tenant_required")
        return tenant_id
    if tenant_id not in (None, principal.tenant_id):
        raise GrantNotFound(f"no grant {grant_id!r} you may read")
    return principal.tenant_id


def may_read(principal: Principal, grant: Grant, tree: OrgTree | None, today: date) -> bool:
    """Platform operations, university finance and unit approvers whose scope holds the grant
    (today; `tree` is needed for a scoped one), and the grant's PI may read a grant."""
    return (
        principal.role is Role.PLATFORM_OPS
        or (principal.role in OFFICERS and sees(principal, tree, grant.grant_id, today))
        or principal.subject == grant.pi_id
    )


def _visible(
    principal: Principal, grant_id: str, grant: Grant | None, tree: OrgTree | None, today: date
) -> Grant:
    if grant is None or not may_read(principal, grant, tree, today):
        raise GrantNotFound(f"no grant {grant_id!r} you may read")
    return grant


OFFICERS = (Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER)


def sees(principal: Principal, tree: OrgTree | None, grant_id: str, today: date) -> bool:
    """Whether the principal's org-unit scope (if any) holds the grant today."""
    if principal.org_unit_id is None:
        return True
    return tree is not None and in_scope(tree, principal.org_unit_id, grant_id, today)


async def scope_tree(conn: asyncpg.Connection, principal: Principal, university: str) -> OrgTree | None:
    """The university's tree when the principal's scope needs it (None for an unscoped one)."""
    return await org_store.load(conn, university) if principal.org_unit_id is not None else None


@router.get("", response_model=list[ExecutionOut])
async def list_grants(ctx: Ctx, reader: GrantReader, tenant_id: TenantQuery = None) -> Response:
    """The grants the caller may read, each with its execution: a PI's own, those within a
    finance officer's or unit approver's scope, a university's for platform operations."""
    university = _university(reader, tenant_id, "")
    async with ctx.pool.acquire() as conn:
        found = await figures_q.executions(conn, university)
        tree = await scope_tree(conn, reader, university)
    readable = [execution_of(f, ctx.today) for f in found if may_read(reader, f.grant, tree, ctx.today)]
    return json_response(ExecutionsOut(readable))


@router.get("/{grant_id}", response_model=GrantOut)
async def get_grant(
    grant_id: GrantIdPath, ctx: Ctx, reader: GrantReader, tenant_id: TenantQuery = None
) -> GrantOut:
    university = _university(reader, tenant_id, grant_id)
    async with ctx.pool.acquire() as conn:
        grant = await grants_repo.get(conn, university, grant_id)
        tree = await org_store.load(conn, university)
    return grant_out(_visible(reader, grant_id, grant, tree, ctx.today), tree.unit_of(grant_id, ctx.today))


def execution_of(figures: figures_q.GrantFigures, today: date) -> ExecutionOut:
    grant, categories = figures.grant, figures.by_category
    total = figures_q.total(categories)
    view = outlook(
        total,
        grant.period_start,
        grant.period_end,
        today,
        grant.target_rate_bp(today),
        grant.target_rate_bp(grant.period_end),
    )
    return ExecutionOut(
        grant_id=grant.grant_id,
        code=grant.code,
        title=grant.title,
        pi_id=grant.pi_id,
        open=grant.open,
        period_start=grant.period_start,
        period_end=grant.period_end,
        total=FiguresOut.of(total),
        by_category={c: FiguresOut.of(f) for c, f in categories.items()},
        by_month=[
            MonthOut(month=m.month, category=m.category, expended=m.expended, refunded=m.refunded)
            for m in figures.by_month
        ],
        outlook=OutlookOut.of(view),
    )


@router.get("/{grant_id}/execution", response_model=ExecutionOut)
async def execution(
    grant_id: GrantIdPath, ctx: Ctx, reader: GrantReader, tenant_id: TenantQuery = None
) -> Response:
    """Budget, encumbered (held in escrow), expended (posted, net of refunds), available and the
    execution rate, by category and month; burn rate and the projection against the target.
    One statement; the answer serialised once."""
    university = _university(reader, tenant_id, grant_id)
    async with ctx.pool.acquire() as conn:
        found = await figures_q.executions(conn, university, grant_id)
        tree = await scope_tree(conn, reader, university)
    _visible(reader, grant_id, found[0].grant if found else None, tree, ctx.today)
    return json_response(execution_of(found[0], ctx.today))

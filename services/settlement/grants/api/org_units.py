"""A university's organisation tree — schools, departments, labs — for its finance office: built
and changed by finance, read by finance and unit approvers within their scope, with each unit's
funding execution rolled up from its grants."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from plumbing.org import store as org_store
from plumbing.org.tree import OrgTree
from plumbing.web.auth import Principal
from plumbing.web.responses import json_response
from services.settlement.deps import Ctx, Finance, UnitReader
from services.settlement.grants.api import execution_report
from services.settlement.grants.api.org_schemas import (
    CloseIn,
    MoveIn,
    NodeOut,
    RenameIn,
    RulesIn,
    TreeOut,
    UnitExecutionOut,
    UnitIn,
    UnitOut,
    UnitRef,
)
from services.settlement.grants.api.schemas import FiguresOut
from services.settlement.grants.commands import organisation as commands
from services.settlement.grants.domain.errors import OrgUnitNotFound

router = APIRouter(prefix="/v1/org-units", tags=["organisation"])
UnitIdPath = Annotated[str, Path(min_length=1, max_length=200)]


def _out(tree: OrgTree, unit_id: str, today: date) -> UnitOut:
    return UnitOut.of(tree.units[unit_id], tree.parent(unit_id, today))


async def _answer(ctx: Ctx, principal: Principal, unit_id: str) -> UnitOut:
    async with ctx.pool.acquire() as conn:
        tree = await org_store.load(conn, principal.tenant_id)
    return _out(tree, unit_id, ctx.today)


def _readable(tree: OrgTree, principal: Principal, unit_id: str, on: date) -> str:
    """The unit, if it is within the reader's scope on `on`; else it does not exist for them."""
    if unit_id not in tree.units or (
        principal.org_unit_id is not None and principal.org_unit_id not in tree.path(unit_id, on)
    ):
        raise OrgUnitNotFound(f"no unit {unit_id!r} you may read")
    return unit_id


@router.post("", response_model=UnitOut, status_code=status.HTTP_201_CREATED)
async def create(body: UnitIn, ctx: Ctx, finance: Finance) -> UnitOut:
    """Add a school (no parent), a department or a lab, active from a month's first day."""
    unit = await commands.create(
        ctx,
        finance,
        unit_id=body.unit_id,
        code=body.code,
        name=body.name,
        kind=body.kind,
        parent_id=body.parent_id,
        active_from=body.active_from,
    )
    return await _answer(ctx, finance, unit.unit_id)


@router.get("", response_model=TreeOut)
async def tree(ctx: Ctx, reader: UnitReader, as_of: date | None = None) -> TreeOut:
    """The tree on a day (today when not given): the schools, or the reader's own unit, with
    everything below and the grants each holds."""
    on = as_of or ctx.today
    async with ctx.pool.acquire() as conn:
        org = await org_store.load(conn, reader.tenant_id)
    grants_in: dict[str | None, list[str]] = {}
    for grant_id in sorted(org.grants):
        grants_in.setdefault(org.unit_of(grant_id, on), []).append(grant_id)

    def node(unit_id: str) -> NodeOut:
        unit = org.units[unit_id]
        return NodeOut(
            unit_id=unit.unit_id,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            grants=grants_in.get(unit_id, []),
            units=[node(child.unit_id) for child in org.children(unit_id, on)],
        )

    if reader.org_unit_id is not None:
        top = [reader.org_unit_id] if org.units.get(reader.org_unit_id) else []
    else:
        top = [u.unit_id for u in org.children(None, on)]
    return TreeOut(tenant_id=reader.tenant_id, as_of=on, units=[node(u) for u in top])


@router.get("/{unit_id}", response_model=UnitOut)
async def get_unit(unit_id: UnitIdPath, ctx: Ctx, reader: UnitReader) -> UnitOut:
    async with ctx.pool.acquire() as conn:
        org = await org_store.load(conn, reader.tenant_id)
    return _out(org, _readable(org, reader, unit_id, ctx.today), ctx.today)


@router.post("/{unit_id}/rename", response_model=UnitOut)
async def rename(unit_id: UnitIdPath, body: RenameIn, ctx: Ctx, finance: Finance) -> UnitOut:
    await commands.rename(ctx, finance, unit_id, body.name)
    return await _answer(ctx, finance, unit_id)


@router.post("/{unit_id}/move", response_model=UnitOut)
async def move(unit_id: UnitIdPath, body: MoveIn, ctx: Ctx, finance: Finance) -> UnitOut:
    """Move the unit under another parent from a month's first day (not a month already past):
    the figures of the months before stay with the units that held it then."""
    await commands.move(ctx, finance, unit_id, body.parent_id, body.effective_from)
    return await _answer(ctx, finance, unit_id)


@router.post("/{unit_id}/close", response_model=UnitOut)
async def close(unit_id: UnitIdPath, body: CloseIn, ctx: Ctx, finance: Finance) -> UnitOut:
    """Close a unit from a month's first day; it must hold no units or grants from then on."""
    await commands.close(ctx, finance, unit_id, body.closed_from, body.reason)
    return await _answer(ctx, finance, unit_id)


@router.put("/{unit_id}/approval-rules", response_model=UnitOut)
async def set_rules(unit_id: UnitIdPath, body: RulesIn, ctx: Ctx, finance: Finance) -> UnitOut:
    """Replace the unit's approval rules (in order). They apply to orders on the grants below
    it, unless a unit nearer the grant has a rule of the same key."""
    await commands.set_rules(ctx, finance, unit_id, body.rules)
    return await _answer(ctx, finance, unit_id)


@router.get(
    "/{unit_id}/execution",
    response_model=UnitExecutionOut,
    responses={200: {"content": {"text/csv": {}}}},
)
async def execution(
    unit_id: UnitIdPath, ctx: Ctx, reader: UnitReader, format: str = Query("json", pattern="^(json|csv)$")
) -> Response:
    """The unit's funding execution: the sum of the grants under it today, by the units directly
    below; its months counted where each grant was on the month's first day; each grant's
    execution, behind-target first. `?format=csv` exports the grant rows."""
    async with ctx.pool.acquire() as conn:
        rolled, grants, org = await execution_report.report(conn, reader.tenant_id, unit_id, ctx.today)
    _readable(org, reader, unit_id, ctx.today)
    unit = org.units[unit_id]
    if format == "csv":
        return execution_report.csv_response(grants, unit.code)
    return json_response(
        UnitExecutionOut(
            tenant_id=reader.tenant_id,
            unit=UnitRef(unit_id=unit.unit_id, code=unit.code, name=unit.name, kind=unit.kind),
            total=FiguresOut.of(rolled.total),
            units=execution_report.parts(rolled),
            by_month=execution_report.months(rolled),
            grants=grants,
        )
    )

"""The university finance system's simulator, for demos and tests: its chart of accounts, its
closed periods, and the vouchers it holds. A deployment connected to a real finance system has
no use for these routes."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from plumbing.errors import Forbidden
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles, require_tenant
from plumbing.web.request_bodies import RequestBody
from services.settlement.books.adapters.finance_system import FinanceSystemSimulator
from services.settlement.books.commands.books import bounds
from services.settlement.deps import Ctx

router = APIRouter(prefix="/v1/finance-simulator/universities/{tenant_id}", tags=["finance system simulator"])
TenantPath = Annotated[str, Path(min_length=1, max_length=64)]
PeriodPath = Annotated[str, Path(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$")]
Keeper = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE, Role.PLATFORM_OPS))]


class ChartIn(RequestBody):
    accounts: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.\-]+$")]],
        Field(max_length=5_000),
    ]


def _simulator(ctx: Ctx, keeper: Principal, tenant_id: str) -> FinanceSystemSimulator:
    require_tenant(keeper, tenant_id)
    if keeper.org_unit_id is not None:
        raise Forbidden("the finance system is the whole university's", code="outside_scope")
    system = ctx.finance_system
    assert isinstance(system, FinanceSystemSimulator), "the finance system here is a real one"
    return system


@router.put("/chart")
async def chart(tenant_id: TenantPath, body: ChartIn, ctx: Ctx, keeper: Keeper) -> dict[str, int]:
    """The accounts the university's finance system knows (a voucher naming another is rejected)."""
    await _simulator(ctx, keeper, tenant_id).set_chart(tenant_id, body.accounts)
    return {"accounts": len(set(body.accounts))}


@router.post("/periods/{period}/close")
async def close(tenant_id: TenantPath, period: PeriodPath, ctx: Ctx, keeper: Keeper) -> dict[str, str]:
    """The finance system closes a month: vouchers dated in it are rejected."""
    bounds(period)
    await _simulator(ctx, keeper, tenant_id).close(tenant_id, period, closed=True)
    return {"period": period, "state": "closed"}


@router.post("/periods/{period}/reopen")
async def reopen(tenant_id: TenantPath, period: PeriodPath, ctx: Ctx, keeper: Keeper) -> dict[str, str]:
    await _simulator(ctx, keeper, tenant_id).close(tenant_id, period, closed=False)
    return {"period": period, "state": "open"}


@router.get("/vouchers")
async def vouchers(
    tenant_id: TenantPath,
    ctx: Ctx,
    keeper: Keeper,
    period: Annotated[str, Query(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$")],
) -> list[dict[str, Any]]:
    """What the finance system holds for the month: each voucher once."""
    rows = await _simulator(ctx, keeper, tenant_id).vouchers(tenant_id, period)
    return [
        {
            "voucher_id": r["voucher_id"],
            "date": r["day"].isoformat(),
            "summary": r["summary"],
            "lines": json.loads(r["lines"]),
        }
        for r in rows
    ]

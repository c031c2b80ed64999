"""The supplier profile (供应商画像): how a supplier ships, is confirmed, refunds, is disputed and
is paid, over the last 30, 90 and 365 days, with its score — computed by the profile stream."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from plumbing.errors import Forbidden
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import CurrentPrincipal, admits
from services.suppliers.adapters import repository as repo
from services.suppliers.api.deps import Ctx, SupplierIdPath, own
from services.suppliers.domain.errors import SupplierNotFound

router = APIRouter(prefix="/v1/suppliers", tags=["suppliers"])


@admits(Role.PLATFORM_OPS, Role.SUPPLIER, Role.UNIVERSITY_FINANCE)
async def _profile_reader(principal: CurrentPrincipal, supplier_id: SupplierIdPath) -> Principal:
    if principal.role is Role.SUPPLIER:
        return own(principal, supplier_id)
    if principal.role not in (Role.PLATFORM_OPS, Role.UNIVERSITY_FINANCE):
        raise Forbidden(
            f"role {principal.role.value!r} may not do this",
            details={"allowed_roles": ["platform_ops", "supplier", "university_finance"]},
        )
    return principal


ProfileReaderRole = Annotated[Principal, Depends(_profile_reader)]


@router.get("/{supplier_id}/profile")
async def profile(
    ctx: Ctx,
    supplier_id: SupplierIdPath,
    principal: ProfileReaderRole,
    university: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^[\w.-]+$", description="one university's trade only"),
    ] = None,
) -> dict[str, Any]:
    """The supplier's profile: its figures over 30/90/365 days and its score. The supplier itself
    and platform operations see all of its trade, or one university's; a university's finance
    office sees its own university's trade with the supplier only."""
    if principal.role is Role.UNIVERSITY_FINANCE:
        if university not in (None, principal.tenant_id):
            raise Forbidden(
                "a finance office sees its own university's trade only", code="not_your_university"
            )
        university = principal.tenant_id
    async with ctx.pool.acquire() as conn:
        if await repo.get(conn, supplier_id) is None:
            raise SupplierNotFound(f"no supplier {supplier_id}")
    return await ctx.profiles.profile(supplier_id, university)

"""Dependencies of the suppliers API: the command context and who may touch which supplier."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from plumbing.errors import Forbidden
from plumbing.service import context_dependency
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import CurrentPrincipal, admits, require_roles
from services.suppliers.context import Context
from services.suppliers.domain.errors import NotYourSupplier

Ctx = Annotated[Context, Depends(context_dependency(Context))]
SupplierIdPath = Annotated[str, Path(min_length=1, max_length=200)]


def own(principal: Principal, supplier_id: str) -> Principal:
    """The supplier itself, acting on its own record."""
    if principal.role is not Role.SUPPLIER:
        raise Forbidden(
            f"role {principal.role.value!r} may not do this", details={"allowed_roles": ["supplier"]}
        )
    if principal.supplier_id != supplier_id:
        raise NotYourSupplier("a supplier may act only on its own record")
    return principal


# Dependencies are coroutines: FastAPI runs a plain function in a worker thread, a hop per request.
@admits(Role.SUPPLIER)
async def _self_service(principal: CurrentPrincipal, supplier_id: SupplierIdPath) -> Principal:
    return own(principal, supplier_id)


@admits(Role.PLATFORM_OPS, Role.SUPPLIER)
async def _self_or_ops(principal: CurrentPrincipal, supplier_id: SupplierIdPath) -> Principal:
    if principal.role is Role.PLATFORM_OPS:
        return principal
    return own(principal, supplier_id)


@admits(Role.PLATFORM_OPS, Role.INTEGRATION, Role.SUPPLIER)
async def _reader(principal: CurrentPrincipal, supplier_id: SupplierIdPath) -> Principal:
    """The supplier itself, operations, or an integration (which sees ACTIVE suppliers only)."""
    if principal.role in (Role.PLATFORM_OPS, Role.INTEGRATION):
        return principal
    return own(principal, supplier_id)


SupplierSelf = Annotated[Principal, Depends(_self_service)]
SelfOrOps = Annotated[Principal, Depends(_self_or_ops)]
SupplierReader = Annotated[Principal, Depends(_reader)]
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
SupplierRole = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
ListReader = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS, Role.INTEGRATION, Role.SUPPLIER))]
CatalogReader = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS, Role.INTEGRATION))]

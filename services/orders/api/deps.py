"""Dependencies of the orders API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from plumbing.auth import Principal, Role
from plumbing.auth_deps import require_roles
from services.orders.handlers import Context


async def _context(request: Request) -> Context:
    ctx: Context = request.app.state.orders
    return ctx


Ctx = Annotated[Context, Depends(_context)]
OrderIdPath = Annotated[str, Path(min_length=1, max_length=200)]
# Every role reads orders; which orders each sees is `queries.may_see`.
Reader = Annotated[Principal, Depends(require_roles(*Role))]
BuyerRole = Annotated[Principal, Depends(require_roles(Role.RESEARCHER, Role.LAB_MEMBER))]
ApproverRole = Annotated[
    Principal, Depends(require_roles(Role.RESEARCHER, Role.SAFETY_OFFICER, Role.UNIVERSITY_FINANCE))
]
SupplierRole = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]

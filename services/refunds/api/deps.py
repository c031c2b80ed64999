"""Dependencies of the refunds API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from plumbing.auth import Principal, Role
from plumbing.auth_deps import require_roles
from services.refunds.handlers import Context


async def _context(request: Request) -> Context:
    ctx: Context = request.app.state.refunds
    return ctx


Ctx = Annotated[Context, Depends(_context)]
RefundIdPath = Annotated[str, Path(min_length=1, max_length=64)]
Buyer = Annotated[Principal, Depends(require_roles(Role.RESEARCHER, Role.LAB_MEMBER))]
Supplier = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.RESEARCHER, Role.LAB_MEMBER, Role.SUPPLIER, Role.PLATFORM_OPS, Role.UNIVERSITY_FINANCE
        )
    ),
]
SlaReader = Annotated[
    Principal, Depends(require_roles(Role.PLATFORM_OPS, Role.UNIVERSITY_FINANCE, Role.SUPPLIER))
]

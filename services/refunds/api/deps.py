"""Dependencies of the refunds API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from plumbing.service import context_dependency
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from services.refunds.context import Context

Ctx = Annotated[Context, Depends(context_dependency(Context))]
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

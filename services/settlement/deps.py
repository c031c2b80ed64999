"""Dependencies of the settlement API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from plumbing.service import context_dependency
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from services.settlement.context import Context

Ctx = Annotated[Context, Depends(context_dependency(Context))]
GrantIdPath = Annotated[str, Path(min_length=1, max_length=200)]
# Grant ids are each university's own: platform operations name the university of the grant.
TenantQuery = Annotated[str | None, Query(min_length=1, max_length=64, description="the grant's university")]
Finance = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE))]
GrantReader = Annotated[
    Principal,
    Depends(require_roles(Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER, Role.RESEARCHER, Role.PLATFORM_OPS)),
]
# Who reads a unit's tree and roll-up: finance and unit approvers (within their scope).
UnitReader = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER))]
EscrowReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER, Role.PLATFORM_OPS, Role.RESEARCHER, Role.SUPPLIER
        )
    ),
]

"""Dependencies of the orders API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from plumbing.service import context_dependency
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from services.orders.context import Context

Ctx = Annotated[Context, Depends(context_dependency(Context))]
OrderIdPath = Annotated[str, Path(min_length=1, max_length=200)]
# Every role reads orders; which orders each sees is `queries.may_see`.
Reader = Annotated[Principal, Depends(require_roles(*Role))]
BuyerRole = Annotated[Principal, Depends(require_roles(Role.RESEARCHER, Role.LAB_MEMBER))]
# Approvers, and whoever may stand in for one through a delegation (a lab member for a PI).
ApproverRole = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.RESEARCHER, Role.LAB_MEMBER, Role.SAFETY_OFFICER, Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER
        )
    ),
]
SupplierRole = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]

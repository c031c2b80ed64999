"""Dependencies of the invoices API: the command context and the roles of its routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from plumbing.errors import Forbidden
from plumbing.service import context_dependency
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles, require_tenant
from services.invoices.context import Context

Ctx = Annotated[Context, Depends(context_dependency(Context))]
SupplierIdPath = Annotated[str, Path(min_length=1, max_length=200)]
OrderIdPath = Annotated[str, Path(min_length=1, max_length=200)]
TenantIdPath = Annotated[str, Path(min_length=1, max_length=200)]
InvoiceIdPath = Annotated[str, Path(min_length=8, max_length=20, pattern=r"^\d+$")]

SupplierRole = Annotated[Principal, Depends(require_roles(Role.SUPPLIER, Role.PLATFORM_OPS))]
# Who submits invoices: the supplier itself, or a procurement platform (`integration`) passing on
# what its suppliers issued; the seller on the invoice must still be the supplier.
Submitter = Annotated[Principal, Depends(require_roles(Role.SUPPLIER, Role.INTEGRATION))]
FinanceRole = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE))]
FinanceOrOps = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE, Role.PLATFORM_OPS))]
Reader = Annotated[
    Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE, Role.PLATFORM_OPS, Role.SUPPLIER))
]
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
OrderReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.RESEARCHER, Role.LAB_MEMBER, Role.UNIVERSITY_FINANCE, Role.PLATFORM_OPS, Role.SUPPLIER
        )
    ),
]


def own_supplier(principal: Principal, supplier_id: str) -> None:
    if principal.role is Role.SUPPLIER and principal.supplier_id != supplier_id:
        raise Forbidden("a supplier acts only on its own invoices", code="not_your_supplier")


def whole_university(principal: Principal, tenant_id: str) -> None:
    """Finance of the whole university (invoices are not scoped to a school yet), or operations."""
    require_tenant(principal, tenant_id)
    if principal.role is Role.UNIVERSITY_FINANCE and principal.org_unit_id is not None:
        raise Forbidden("invoices are resolved by the university's finance office", code="outside_scope")

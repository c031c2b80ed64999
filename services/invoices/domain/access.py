"""Who sees an invoice: its supplier, finance of its university (the whole university: invoices
are not scoped to a school yet), and platform operations. Anyone else is answered "not found"."""

from __future__ import annotations

from plumbing.web.auth import Principal, Role


def may_see(principal: Principal, tenant_id: str, supplier_id: str) -> bool:
    if principal.role is Role.PLATFORM_OPS:
        return True
    if principal.role is Role.SUPPLIER:
        return principal.supplier_id == supplier_id
    if principal.role is Role.UNIVERSITY_FINANCE:
        return principal.tenant_id == tenant_id and principal.org_unit_id is None
    return False

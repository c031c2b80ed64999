"""`unisettle token`: a development bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from cli.common import fail
from plumbing.settings import StackSettings
from plumbing.web.auth import SCOPED_ROLES, Principal, Role


def token(
    role: Annotated[Role, typer.Option("--role", help="what the holder may do")],
    tenant: Annotated[str, typer.Option("--tenant", help="university id (platform for suppliers and ops)")],
    sub: Annotated[str, typer.Option("--sub", help="user id")],
    supplier_id: Annotated[str | None, typer.Option("--supplier-id", help="a supplier's own id")] = None,
    grant: Annotated[list[str] | None, typer.Option("--grant", help="grant id (repeatable)")] = None,
    org_unit: Annotated[
        str | None, typer.Option("--org-unit", help="unit id a finance officer or unit approver acts for")
    ] = None,
    ttl_minutes: Annotated[int, typer.Option("--ttl-minutes", min=1)] = 60,
) -> None:
    """Mint a development bearer token, signed with the stack's secret."""
    if role is Role.SUPPLIER and not supplier_id:
        raise fail("supplier_id_required", "a supplier token needs --supplier-id", 2)
    if role is Role.UNIT_APPROVER and not org_unit:
        raise fail("org_unit_required", "a unit approver's token needs --org-unit", 2)
    if org_unit and role not in SCOPED_ROLES:
        raise fail("org_unit_not_allowed", "only finance and unit approver tokens take --org-unit", 2)
    principal = Principal(
        subject=sub,
        role=role,
        tenant_id=tenant,
        supplier_id=supplier_id,
        grant_ids=tuple(grant or ()),
        org_unit_id=org_unit,
    )
    print(StackSettings().token_codec().issue(principal, ttl=timedelta(minutes=ttl_minutes)))

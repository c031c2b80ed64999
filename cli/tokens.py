"""`unisettle token`: a development bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from cli.common import fail
from plumbing.auth import Principal, Role
from plumbing.settings import StackSettings


def token(
    role: Annotated[Role, typer.Option("--role", help="what the holder may do")],
    tenant: Annotated[str, typer.Option("--tenant", help="university id (platform for suppliers and ops)")],
    sub: Annotated[str, typer.Option("--sub", help="user id")],
    supplier_id: Annotated[str | None, typer.Option("--supplier-id", help="a supplier's own id")] = None,
    grant: Annotated[list[str] | None, typer.Option("--grant", help="grant id (repeatable)")] = None,
    ttl_minutes: Annotated[int, typer.Option("--ttl-minutes", min=1)] = 60,
) -> None:
    """Mint a development bearer token, signed with the stack's secret."""
    if role is Role.SUPPLIER and not supplier_id:
        raise fail("supplier_id_required", "a supplier token needs --supplier-id", 2)
    principal = Principal(
        subject=sub, role=role, tenant_id=tenant, supplier_id=supplier_id, grant_ids=tuple(grant or ())
    )
    print(StackSettings().token_codec().issue(principal, ttl=timedelta(minutes=ttl_minutes)))

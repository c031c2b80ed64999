"""`unisettle audit`: a service's audit trail, the newest entries, oldest first."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import asyncpg
import typer

from cli.common import Dsn, ServiceOption, service_dsn
from plumbing.aggregates import audit as trail


def audit(
    service: ServiceOption,
    dsn: Dsn = None,
    subject: Annotated[str | None, typer.Option(help="e.g. order:O-1, grant:G-1, supplier:SUP-004")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. grant.budget_adjusted, payout.initiated")] = None,
    tenant: Annotated[str | None, typer.Option(help="one university (or platform)")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Who did what, when and why — and what it changed."""

    async def entries() -> list[Any]:
        conn = await asyncpg.connect(dsn or service_dsn(service))
        try:
            found: list[Any] = await trail.entries(
                conn, tenant_id=tenant, subject=subject, action=action, limit=limit, newest=True
            )
            return found
        finally:
            await conn.close()

    for e in asyncio.run(entries()):
        why = f"  ({e['reason']})" if e["reason"] else ""
        print(
            f"{e['id']:>6}  {e['occurred_at'].isoformat(timespec='seconds')}  "
            f"{e['actor_id']} ({e['actor_role']})  {e['tenant_id']}  {e['action']}  {e['subject']}{why}\n"
            f"        {trail.changes(e['before'], e['after'])}"
        )

"""Read side of the orders API: who may see which orders, lists with filters and cursors,
and the timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from plumbing.org import store as org_store
from plumbing.web.auth import Principal, Role
from services.orders.domain.order import Order


async def scope_grants(conn: asyncpg.Connection, principal: Principal, today: date) -> Scope:
    """The grants under the principal's org unit today (None: the principal has no such scope)."""
    if principal.org_unit_id is None:
        return None
    tree = await org_store.load(conn, principal.tenant_id)
    return frozenset(tree.grants_under(principal.org_unit_id, today))


Scope = frozenset[str] | None


def visibility(principal: Principal, first_param: int, scope: Scope = None) -> tuple[str, list[Any]]:
    """A SQL condition (and its parameters) for the orders `principal` may see (`scope`: the
    grants of a scoped principal's unit, from `scope_grants`)."""
    n = first_param
    if principal.role is Role.PLATFORM_OPS:
        return "true", []
    if principal.role is Role.SUPPLIER:
        return f"supplier_id = ${n}", [principal.supplier_id]
    if principal.org_unit_id is not None:  # a finance officer or unit approver of one unit
        return f"tenant_id = ${n} and grant_id = any(${n + 1}::text[])", [
            principal.tenant_id,
            sorted(scope or ()),
        ]
    if principal.role in (Role.UNIVERSITY_FINANCE, Role.INTEGRATION, Role.RECEIVER):
        return f"tenant_id = ${n}", [principal.tenant_id]
    if principal.role is Role.SAFETY_OFFICER:
        return f"tenant_id = ${n} and lines @> '[{{\"hazardous\": true}}]'", [principal.tenant_id]
    # researchers and lab members: what they bought, and what was bought on grants they lead
    return f"tenant_id = ${n} and (buyer->>'user_id' = ${n + 1} or pi_id = ${n + 1})", [
        principal.tenant_id,
        principal.subject,
    ]


def may_see(principal: Principal, order: Order, scope: Scope = None) -> bool:
    """The same rule as `visibility`, for one loaded order."""
    if principal.role is Role.PLATFORM_OPS:
        return True
    if principal.role is Role.SUPPLIER:
        return order.supplier_id == principal.supplier_id
    if order.tenant_id != principal.tenant_id:
        return False
    if principal.org_unit_id is not None:
        return scope is not None and order.grant_id in scope
    if principal.role in (Role.UNIVERSITY_FINANCE, Role.INTEGRATION, Role.RECEIVER):
        return True
    if principal.role is Role.SAFETY_OFFICER:
        return any(line.hazardous for line in order.lines)
    return principal.subject in (order.buyer.user_id, order.pi_id)


async def order_ids(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    grant_id: str | None,
    status: str | None,
    supplier_id: str | None,
    placed_from: datetime | None,
    placed_to: datetime | None,
    after: str,
    limit: int,
    scope: Scope = None,
) -> list[str]:
    condition, params = visibility(principal, 8, scope)
    rows = await conn.fetch(
        f"""select order_id from orders
            where order_id > $1 and ($2::text is null or grant_id = $2) and ($3::text is null or status = $3)
              and ($4::text is null or supplier_id = $4) and ($5::timestamptz is null or placed_at >= $5)
              and ($6::timestamptz is null or placed_at < $6) and {condition}
            order by order_id limit $7""",
        after,
        grant_id,
        status,
        supplier_id,
        placed_from,
        placed_to,
        limit,
        *params,
    )
    return [r["order_id"] for r in rows]


async def timeline(conn: asyncpg.Connection, order_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(  # type: ignore[no-any-return]
        """select seq, at, action, actor_id, actor_role, from_status, to_status, reason
           from order_timeline where order_id = $1 order by seq""",
        order_id,
    )

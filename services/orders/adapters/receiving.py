"""What a receipt reads besides the order: the university's receipt rules and who belongs to the
grant's lab (its PI and authorised buyers, from the grants projection)."""

from __future__ import annotations

import asyncpg

from services.orders.domain.receipt import ReceiptPolicy


async def policy(conn: asyncpg.Connection, tenant_id: str) -> ReceiptPolicy:
    row = await conn.fetchrow(
        "select receiver_must_differ, undo_window_seconds from receipt_policies where tenant_id = $1",
        tenant_id,
    )
    if row is None:
        return ReceiptPolicy()
    return ReceiptPolicy.of(row["receiver_must_differ"], row["undo_window_seconds"])


async def set_policy(conn: asyncpg.Connection, tenant_id: str, policy: ReceiptPolicy, set_by: str) -> None:
    await conn.execute(
        """insert into receipt_policies (tenant_id, receiver_must_differ, undo_window_seconds, set_by)
           values ($1, $2, $3, $4)
           on conflict (tenant_id) do update set receiver_must_differ = excluded.receiver_must_differ,
               undo_window_seconds = excluded.undo_window_seconds, set_by = excluded.set_by,
               set_at = now()""",
        tenant_id,
        policy.receiver_must_differ,
        policy.undo_window_seconds,
        set_by,
    )


async def lab(conn: asyncpg.Connection, order_id: str) -> frozenset[str]:
    """The PI and authorised buyers of the order's grant (none when the order or its grant is
    unknown here)."""
    row = await conn.fetchrow(
        """select g.pi_id, g.authorised_buyers from orders o
           join grants g on g.tenant_id = o.tenant_id and g.grant_id = o.grant_id
           where o.order_id = $1""",
        order_id,
    )
    if row is None:
        return frozenset()
    return frozenset([row["pi_id"], *row["authorised_buyers"]])

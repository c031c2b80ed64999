"""An order's escrow as the API shows it: its row and every transfer that moved its money."""

from __future__ import annotations

import asyncpg


async def escrow(conn: asyncpg.Connection, order_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("select * from escrows where order_id = $1", order_id)


async def transfers(conn: asyncpg.Connection, order_id: str) -> list[asyncpg.Record]:
    """The order's transfers in the order they were recorded."""
    return list(
        await conn.fetch(
            """select transfer_id, debit_account, credit_account, amount, kind, code, pending_id, created_at
               from transfers where order_id = $1 order by seq""",
            order_id,
        )
    )

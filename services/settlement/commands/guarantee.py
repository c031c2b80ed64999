"""The guarantee fund: capital the platform puts up so that every agreed refund is paid at once."""

from __future__ import annotations

import asyncpg

from services.settlement.adapters.book_reader import load_ledger
from services.settlement.adapters.effects import write_ledger
from services.settlement.domain import accounts
from services.settlement.domain.ledger import Transfer, TransferKind, transfer_id


async def ensure_fund(pool: asyncpg.Pool, capital_minor: int) -> None:
    """Open the platform's accounts and put in the configured capital (once per configured amount)."""
    async with pool.acquire() as conn, conn.transaction():
        ledger = await load_ledger(conn, list(accounts.PLATFORM.values()))
        injected = await conn.fetchval(
            "select coalesce(sum(amount), 0) from transfers where code = 'guarantee_capital'"
        )
        # Capital only ever grows here: a larger configured amount adds the difference.
        if capital_minor > injected:
            ledger.apply(
                Transfer(
                    transfer_id(f"guarantee:capital:{capital_minor}"),
                    accounts.CAPITAL,
                    accounts.GUARANTEE_FUND,
                    capital_minor - injected,
                    TransferKind.POSTED,
                    "guarantee_capital",
                )
            )
        await write_ledger(conn, ledger)

"""The guarantee fund: capital the platform puts up so that every agreed refund is paid at once."""

from __future__ import annotations

import asyncpg

from services.settlement import accounts
from services.settlement.adapters import ledger_store as ledger
from services.settlement.domain.ledger import Transfer, TransferKind


async def ensure_fund(pool: asyncpg.Pool, capital_minor: int) -> None:
    """Open the fund's accounts and put in the configured capital (once per configured amount)."""
    async with pool.acquire() as conn, conn.transaction():
        await ledger.open_account(conn, accounts.CAPITAL, "capital")
        await ledger.open_account(conn, accounts.GUARANTEE_FUND, "guarantee_fund", limited=True)
        await ledger.open_account(conn, accounts.GUARANTEE_ADVANCED, "guarantee_advanced")
        await ledger.open_account(conn, accounts.FEE_INCOME, "fee_income")
        injected = await conn.fetchval(
            "select coalesce(sum(amount), 0) from transfers where code = 'guarantee_capital'"
        )
        # Capital only ever grows here: a larger configured amount adds the difference.
        if capital_minor > injected:
            await ledger.apply(
                conn,
                Transfer(
                    ledger.transfer_id(f"guarantee:capital:{capital_minor}"),
                    accounts.CAPITAL,
                    accounts.GUARANTEE_FUND,
                    capital_minor - injected,
                    TransferKind.POSTED,
                    "guarantee_capital",
                ),
            )

"""The platform's funds' capital: the guarantee fund's, so that every agreed refund is paid at
once, and the financing fund's, for early payments."""

from __future__ import annotations

import asyncpg

from services.settlement.ledger.adapters.store import load_ledger, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind, transfer_id


async def ensure_fund(pool: asyncpg.Pool, capital_minor: int) -> None:
    """Open the platform's accounts and put in the guarantee fund's configured capital."""
    await ensure_capital(pool, accounts.GUARANTEE_FUND, TransferCode.GUARANTEE_CAPITAL, capital_minor)


async def ensure_capital(pool: asyncpg.Pool, fund: str, code: TransferCode, capital_minor: int) -> None:
    """Open the platform's accounts and put the configured capital into a fund (`code`: the
    guarantee's or the financing fund's capital), once per configured amount: capital only ever
    grows here, a larger configured amount adds the difference."""
    name = code.value.removesuffix("_capital")  # the transfer ids' cause, as before codes were enums
    async with pool.acquire() as conn, conn.transaction():
        ledger = await load_ledger(conn, list(accounts.PLATFORM.values()))
        injected = await conn.fetchval("select coalesce(sum(amount), 0) from transfers where code = $1", code)
        if capital_minor > injected:
            ledger.apply(
                Transfer(
                    transfer_id(f"{name}:capital:{capital_minor}"),
                    accounts.CAPITAL,
                    fund,
                    capital_minor - injected,
                    TransferKind.POSTED,
                    code,
                )
            )
        await write_ledger(conn, ledger)

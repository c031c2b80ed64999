"""`unisettle check`: the money invariants (docs/architecture.md), non-zero on a breach."""

from __future__ import annotations

import asyncio
from typing import Annotated

import asyncpg
import typer

from cli.common import done, service_dsn
from services.settlement.checks.invariants import main as check_main
from services.settlement.money_path.checks.orders_and_escrows import disagreements


def check(
    dsn: Annotated[
        str | None, typer.Option("--dsn", help="settlement database (default: its settings)")
    ] = None,
    orders_dsn: Annotated[
        str | None,
        typer.Option("--orders-dsn", help="orders database, for invariant 8 (default: its settings)"),
    ] = None,
) -> None:
    """Verify the money invariants over settlement's database, and that orders agree (8)."""
    settlement_dsn = dsn or service_dsn("settlement")
    status = asyncio.run(check_main(settlement_dsn))

    async def cross() -> list[str]:
        orders = await asyncpg.connect(orders_dsn or service_dsn("orders"))
        settlement = await asyncpg.connect(settlement_dsn)
        try:
            return await disagreements(orders, settlement)
        finally:
            await orders.close()
            await settlement.close()

    problems = asyncio.run(cross())
    detail = "ok" if not problems else "; ".join(problems)
    print(f"{'PASS' if not problems else 'FAIL'}  8. orders and escrows agree (system quiet): {detail}")
    done(status or (1 if problems else 0))

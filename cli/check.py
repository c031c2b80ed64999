"""`unisettle check`: the money invariants (docs/architecture.md), non-zero on a breach."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

import asyncpg
import typer

from cli.common import done, service_dsn
from services.settlement.checks.invariants import main as check_main
from services.settlement.invoice_cover.checks.agreement import disagreements as invoice_disagreements
from services.settlement.money_path.checks.orders_and_escrows import disagreements

Compare = Callable[[asyncpg.Connection, asyncpg.Connection], Awaitable[list[str]]]


def check(
    dsn: Annotated[
        str | None, typer.Option("--dsn", help="settlement database (default: its settings)")
    ] = None,
    orders_dsn: Annotated[
        str | None,
        typer.Option("--orders-dsn", help="orders database, for invariant 8 (default: its settings)"),
    ] = None,
    invoices_dsn: Annotated[
        str | None,
        typer.Option("--invoices-dsn", help="invoices database, for invariant 12 (default: its settings)"),
    ] = None,
) -> None:
    """Verify the money invariants over settlement's database, and that orders (8) and invoices
    (12) agree with it."""
    settlement_dsn = dsn or service_dsn("settlement")
    status = asyncio.run(check_main(settlement_dsn))

    async def cross(dsn: str, compare: Compare) -> list[str]:
        other = await asyncpg.connect(dsn)
        settlement = await asyncpg.connect(settlement_dsn)
        try:
            return await compare(other, settlement)
        finally:
            await other.close()
            await settlement.close()

    failed = False
    for name, dsn, compare in (
        ("8. orders and escrows agree", orders_dsn or service_dsn("orders"), disagreements),
        (
            "12. invoices and invoice cover agree",
            invoices_dsn or service_dsn("invoices"),
            invoice_disagreements,
        ),
    ):
        problems = asyncio.run(cross(dsn, compare))
        failed = failed or bool(problems)
        print(f"{'PASS' if not problems else 'FAIL'}  {name} (system quiet): {'; '.join(problems) or 'ok'}")
    done(status or (1 if failed else 0))

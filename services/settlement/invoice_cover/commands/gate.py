"""The gate a payout passes for a supplier: what of its balance invoices still hold, how a payout
is spread over the orders it pays, and whether an overdue red-letter invoice holds it whole."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.settlement.context import Context
from services.settlement.invoice_cover.adapters import facts
from services.settlement.invoice_cover.domain.cover import OrderMoney, allocate


@dataclass(frozen=True)
class Gate:
    orders: list[OrderMoney]
    held: int
    overdue: list[str]  # refunds whose red-letter invoice is overdue: nothing is paid
    fee_rate_bp: int

    def why_not(self) -> str | None:
        """Why a supplier with nothing to pay is skipped, when invoices are the reason."""
        if self.overdue:
            return "red_letter_overdue"
        return "held_for_invoices" if self.held else None

    async def record(self, conn: asyncpg.Connection, payout_id: str, amount: int) -> None:
        """What `amount` pays of each order (`payout_allocations`)."""
        await facts.allocated(conn, payout_id, allocate(amount, self.orders, self.fee_rate_bp))


async def gate(conn: asyncpg.Connection, ctx: Context, supplier_id: str) -> Gate:
    orders = await facts.orders_of(conn, supplier_id)
    overdue = await facts.red_letters_overdue(conn, supplier_id, ctx.clock.now())
    return Gate(orders, sum(o.held(ctx.fee_rate_bp) for o in orders), overdue, ctx.fee_rate_bp)

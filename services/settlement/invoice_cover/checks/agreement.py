"""Invariant 12: once the system is quiet, what settlement counts as covered by invoices is what
invoices says: each matched invoice's cover of each order, and each red-letter invoice's offset,
and nothing of an invoice held, rejected or voided. Reads both databases (an operator's check,
not a service's)."""

from __future__ import annotations

import json

import asyncpg


async def disagreements(
    invoices: asyncpg.Connection, settlement: asyncpg.Connection, limit: int = 20
) -> list[str]:
    said: dict[tuple[str, str], int] = {}
    for r in await invoices.fetch(
        "select invoice_id, covers from invoices where status in ('matched', 'red_letter')"
    ):
        for order_id, amount in json.loads(r["covers"]).items():
            if amount:
                said[(r["invoice_id"], order_id)] = amount
    counted = {
        (r["invoice_id"], r["order_id"]): r["amount"]
        for r in await settlement.fetch(
            "select invoice_id, order_id, amount from invoice_covers where not withdrawn"
        )
    }
    problems = [
        f"invoice {i} covers {o} by {a} in invoices, by {counted.get((i, o), 0)} in settlement"
        for (i, o), a in sorted(said.items())
        if counted.get((i, o)) != a
    ]
    problems += [
        f"settlement counts invoice {i} for {o} ({a}); invoices does not"
        for (i, o), a in sorted(counted.items())
        if (i, o) not in said
    ]
    return problems[:limit]

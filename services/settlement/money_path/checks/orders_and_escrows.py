"""Invariant 8: once the system is quiet, every order's state in orders agrees with its escrow's
state in settlement. Reads both databases (an operator's check, not a service's)."""

from __future__ import annotations

import asyncpg

# Order status → escrow statuses it may have once every event has been applied.
AGREES_WITH: dict[str, frozenset[str | None]] = {
    "AWAITING_FUNDS": frozenset(),  # settlement always answers; quiet means it has
    "PENDING_APPROVAL": frozenset({"held"}),
    "PAID": frozenset({"held"}),
    "SHIPPED": frozenset({"held"}),
    "RECEIVED": frozenset(),  # settlement releases on receipt; quiet means it has
    "COMPLETED": frozenset({"released"}),
    "REJECTED": frozenset({"rejected"}),
    "CANCELLED": frozenset({"voided", "rejected"}),
    "CLOSED": frozenset({"voided", "refunded", "rejected"}),
}
# What the order says of its money → the escrow statuses that say the same.
FUNDS_AGREE_WITH: dict[str, frozenset[str | None]] = {
    "pending": frozenset(),  # settlement always answers; quiet means it has
    "reserved": frozenset({"held"}),
    "rejected": frozenset({"rejected"}),
    "released": frozenset({"released"}),
    "voided": frozenset({"voided"}),
    "refunded": frozenset({"refunded"}),
}


async def disagreements(
    orders: asyncpg.Connection, settlement: asyncpg.Connection, limit: int = 20
) -> list[str]:
    order_rows = await orders.fetch("select order_id, status, funds from orders")
    escrow = {
        r["order_id"]: r["status"] for r in await settlement.fetch("select order_id, status from escrows")
    }
    problems = []
    for row in order_rows:
        held = escrow.get(row["order_id"])
        if held not in AGREES_WITH[row["status"]]:
            problems.append(f"{row['order_id']}: order {row['status']}, escrow {held or 'none'}")
        elif held not in FUNDS_AGREE_WITH[row["funds"]]:
            problems.append(f"{row['order_id']}: order says funds {row['funds']}, escrow {held or 'none'}")
    known = {r["order_id"] for r in order_rows}
    problems += [
        f"{order_id}: escrow {status} for an order orders does not know"
        for order_id, status in escrow.items()
        if order_id not in known
    ]
    return problems[:limit]

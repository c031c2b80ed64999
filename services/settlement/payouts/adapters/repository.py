"""Payout runs' rows: a run started once, the suppliers it pays, the payouts the bank has not
answered, and what a run did."""

from __future__ import annotations

import json

import asyncpg


async def start_run(conn: asyncpg.Connection, run_id: str, started_by: str) -> bool:
    """The run's row; False when a run of that id was started before."""
    inserted = await conn.fetchval(
        "insert into payout_runs (run_id, started_by) values ($1, $2) on conflict do nothing returning true",
        run_id,
        started_by,
    )
    return bool(inserted)


async def suppliers_owed(conn: asyncpg.Connection) -> list[str]:
    """Each supplier whose payable holds posted money not on its way out, in id order."""
    rows = await conn.fetch(
        """select a.owner_id from accounts a where a.kind = 'supplier_payable'
           and a.credits_posted - a.debits_posted - a.debits_pending > 0 order by a.owner_id"""
    )
    return [r["owner_id"] for r in rows]


async def run_done(
    conn: asyncpg.Connection, run_id: str, paid: int, total: int, skipped: dict[str, str]
) -> None:
    await conn.execute(
        "update payout_runs set payouts = $2, total = $3, skipped = $4::jsonb where run_id = $1",
        run_id,
        paid,
        total,
        json.dumps(skipped),
    )


async def payee(conn: asyncpg.Connection, supplier_id: str) -> asyncpg.Record | None:
    """Whether settlement may pay the supplier, and where (from suppliers.events)."""
    return await conn.fetchrow("select * from payees where supplier_id = $1", supplier_id)


async def pending(conn: asyncpg.Connection, payout_id: str) -> asyncpg.Record | None:
    """The payout, locked, if the bank has not answered it yet."""
    row = await conn.fetchrow("select * from payouts where payout_id = $1 for update", payout_id)
    return row if row is not None and row["status"] == "pending" else None


async def pending_of_runs(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "select payout_id, bank_account_id, amount from payouts where status = 'pending' and kind = 'run'"
        )
    )


async def run_outcome(conn: asyncpg.Connection, run_id: str) -> tuple[list[asyncpg.Record], dict[str, str]]:
    """Each payout of a run with its status, and the suppliers it skipped (and why)."""
    rows = await conn.fetch(
        "select supplier_id, amount, status, failure from payouts where run_id = $1", run_id
    )
    skipped = json.loads(await conn.fetchval("select skipped from payout_runs where run_id = $1", run_id))
    return list(rows), skipped

"""What the operations view reads and does besides the APIs — the same operations as
`unisettle status` and `unisettle dlq` on each service's database: outbox backlog, consumer lag,
dead letters replayed or discarded; and settlement's 长款 lines held in suspense."""

from __future__ import annotations

from typing import Any

import asyncpg

from plumbing import dead_letter_ops
from plumbing.dead_letter_ops import Letter
from plumbing.operations import LagReader, ServiceStatus, database_status
from plumbing.outbox import Outbox


async def status(service: str, db: asyncpg.Pool, lag: LagReader, topic_prefix: str) -> ServiceStatus:
    async with db.acquire() as conn:
        backlog, oldest, open_letters = await database_status(conn)
    return ServiceStatus(service, backlog, oldest, open_letters, await lag.lag(f"{topic_prefix}{service}"))


async def letters(db: asyncpg.Pool) -> list[Letter]:
    async with db.acquire() as conn:
        return await dead_letter_ops.list_letters(conn, limit=50)


async def resolve(
    db: asyncpg.Pool, topic_prefix: str, letter_id: int, action: str, by: str, reason: str
) -> None:
    """Replay or discard, as `unisettle dlq` does (and audited the same way)."""
    async with db.acquire() as conn:
        await dead_letter_ops.resolve(conn, Outbox(topic_prefix), letter_id, action, by, reason)


async def suspense_lines(settlement: asyncpg.Pool) -> list[dict[str, Any]]:
    """Statement lines no payout explains (长款), newest first."""
    async with settlement.acquire() as conn:
        rows = await conn.fetch(
            """select l.statement_id, l.line_no, l.on_date, l.amount, l.direction, l.reference, s.imported_at
               from bank_statement_lines l join bank_statements s using (statement_id)
               where l.matched = 'suspense' order by s.imported_at desc, l.line_no limit 100"""
        )
        return [dict(r) for r in rows]

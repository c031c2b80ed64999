"""What the operations view reads and does besides the APIs — the same operations as
`unisettle status` and `unisettle dlq` on each service's database: outbox backlog, consumer lag,
dead letters replayed or discarded."""

from __future__ import annotations

import asyncpg

from plumbing.messaging.outbox import Outbox
from plumbing.ops import dead_letters as dead_letter_ops
from plumbing.ops.dead_letters import Letter
from plumbing.ops.status import LagReader, ServiceStatus, status_of


async def status(service: str, db: asyncpg.Pool, lag: LagReader, topic_prefix: str) -> ServiceStatus:
    async with db.acquire() as conn:
        return await status_of(service, conn, lag, f"{topic_prefix}{service}")


async def letters(db: asyncpg.Pool) -> list[Letter]:
    async with db.acquire() as conn:
        return await dead_letter_ops.list_letters(conn, limit=50)


async def resolve(
    db: asyncpg.Pool, topic_prefix: str, letter_id: int, action: str, by: str, reason: str
) -> None:
    """Replay or discard, as `unisettle dlq` does (and audited the same way)."""
    async with db.acquire() as conn:
        await dead_letter_ops.resolve(conn, Outbox(topic_prefix), letter_id, action, by, reason)

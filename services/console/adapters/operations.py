"""What the operations view reads and does besides the APIs — the same operations as
`unisettle status` and `unisettle dlq` on each service's database: outbox backlog, consumer lag,
dead letters replayed or discarded; and settlement's 长款 lines held in suspense."""

from __future__ import annotations

from typing import Any

import asyncpg

from plumbing import dead_letter_ops
from plumbing.dead_letter_ops import Letter
from plumbing.kafka_access import KafkaAccess
from plumbing.operations import ServiceStatus, service_status
from plumbing.outbox import Outbox


async def status(service: str, dsn: str, kafka: KafkaAccess, topic_prefix: str) -> ServiceStatus:
    return await service_status(service, dsn, kafka, f"{topic_prefix}{service}")


async def letters(dsn: str) -> list[Letter]:
    conn = await asyncpg.connect(dsn)
    try:
        return await dead_letter_ops.list_letters(conn, limit=50)
    finally:
        await conn.close()


async def resolve(dsn: str, topic_prefix: str, letter_id: int, action: str, by: str, reason: str) -> None:
    """Replay or discard, as `unisettle dlq` does (and audited the same way)."""
    conn = await asyncpg.connect(dsn)
    try:
        await dead_letter_ops.resolve(conn, Outbox(topic_prefix), letter_id, action, by, reason)
    finally:
        await conn.close()


async def suspense_lines(settlement_dsn: str) -> list[dict[str, Any]]:
    """Statement lines no payout explains (长款), newest first."""
    conn = await asyncpg.connect(settlement_dsn)
    try:
        rows = await conn.fetch(
            """select l.statement_id, l.line_no, l.on_date, l.amount, l.direction, l.reference, s.imported_at
               from bank_statement_lines l join bank_statements s using (statement_id)
               where l.matched = 'suspense' order by s.imported_at desc, l.line_no limit 100"""
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()

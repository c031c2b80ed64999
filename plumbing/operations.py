"""What an operator asks of a running service: how far behind are its consumers, how much is
waiting in its outbox, how many dead letters are open."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from plumbing.kafka_access import KafkaAccess


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    outbox_backlog: int
    oldest_unsent_seconds: float | None
    open_dead_letters: int
    consumer_lag: dict[str, int]  # topic → messages not yet consumed


async def database_status(conn: asyncpg.Connection) -> tuple[int, float | None, int]:
    row = await conn.fetchrow(
        """select count(*) filter (where sent_at is null) backlog,
                  extract(epoch from now() - min(created_at) filter (where sent_at is null)) oldest
           from outbox"""
    )
    letters = await conn.fetchval("select count(*) from dead_letters where resolution is null")
    oldest = float(row["oldest"]) if row["oldest"] is not None else None
    return int(row["backlog"]), oldest, int(letters)


async def consumer_lag(kafka: KafkaAccess, group_id: str) -> dict[str, int]:
    """Per topic the group reads: messages after its committed offsets (all of a partition's
    messages where it has committed nothing yet)."""
    admin = AIOKafkaAdminClient(**kafka.aiokafka(), request_timeout_ms=10000)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group_id)
        topics = sorted({tp.topic for tp in committed})
        described = await admin.describe_topics(topics) if topics else []
    finally:
        await admin.close()
    partitions = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
    if not partitions:
        return {}
    probe = AIOKafkaConsumer(**kafka.aiokafka(), enable_auto_commit=False)
    await probe.start()
    try:
        ends = await probe.end_offsets(partitions)
        starts = await probe.beginning_offsets(partitions)
    finally:
        await probe.stop()
    lag: dict[str, int] = dict.fromkeys(topics, 0)
    for tp in partitions:
        done = committed[tp].offset if tp in committed else starts[tp]
        lag[tp.topic] += max(0, ends[tp] - done)
    return lag


async def service_status(service: str, dsn: str, kafka: KafkaAccess, group_id: str) -> ServiceStatus:
    conn = await asyncpg.connect(dsn)
    try:
        backlog, oldest, letters = await database_status(conn)
    finally:
        await conn.close()
    return ServiceStatus(service, backlog, oldest, letters, await consumer_lag(kafka, group_id))

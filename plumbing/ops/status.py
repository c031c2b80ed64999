"""What an operator asks of a running service: how far behind are its consumers, how much is
waiting in its outbox, how many dead letters are open."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from plumbing.messaging.kafka_access import KafkaAccess


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


class LagReader:
    """Consumer lag through one admin client and one probe consumer, kept open between reads
    (a console asks every few seconds; each client's SASL handshake costs more than the read).
    A read that fails closes them: the next one connects afresh."""

    def __init__(self, kafka: KafkaAccess) -> None:
        self.kafka = kafka
        self._admin: AIOKafkaAdminClient | None = None
        self._probe: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**self.kafka.aiokafka(), request_timeout_ms=10000)
            await admin.start()
            self._admin = admin
        if self._probe is None:
            probe = AIOKafkaConsumer(**self.kafka.aiokafka(), enable_auto_commit=False)
            await probe.start()
            self._probe = probe
        return self._admin, self._probe

    async def lag(self, group_id: str) -> dict[str, int]:
        """Per topic the group reads: messages after its committed offsets (all of a partition's
        messages where it has committed nothing yet)."""
        async with self._lock:
            try:
                admin, probe = await self._clients()
                committed = await admin.list_consumer_group_offsets(group_id)
                topics = sorted({tp.topic for tp in committed})
                described = await admin.describe_topics(topics) if topics else []
                partitions = [
                    TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]
                ]
                if not partitions:
                    return {}
                ends = await probe.end_offsets(partitions)
                starts = await probe.beginning_offsets(partitions)
            except Exception:
                await self._close()
                raise
        lag: dict[str, int] = dict.fromkeys(topics, 0)
        for tp in partitions:
            done = committed[tp].offset if tp in committed else starts[tp]
            lag[tp.topic] += max(0, ends[tp] - done)
        return lag

    async def _close(self) -> None:
        admin, probe, self._admin, self._probe = self._admin, self._probe, None, None
        with contextlib.suppress(Exception):
            if admin is not None:
                await admin.close()
        with contextlib.suppress(Exception):
            if probe is not None:
                await probe.stop()

    async def close(self) -> None:
        async with self._lock:
            await self._close()


async def consumer_lag(kafka: KafkaAccess, group_id: str) -> dict[str, int]:
    """The group's lag, read once."""
    reader = LagReader(kafka)
    try:
        return await reader.lag(group_id)
    finally:
        await reader.close()


async def status_of(service: str, conn: asyncpg.Connection, lag: LagReader, group_id: str) -> ServiceStatus:
    """The service's status from its database (`conn`) and its consumer group (`lag`)."""
    backlog, oldest, letters = await database_status(conn)
    return ServiceStatus(service, backlog, oldest, letters, await lag.lag(group_id))


async def service_status(service: str, dsn: str, kafka: KafkaAccess, group_id: str) -> ServiceStatus:
    """The same, read once: a connection and Kafka clients of its own."""
    conn = await asyncpg.connect(dsn)
    reader = LagReader(kafka)
    try:
        return await status_of(service, conn, reader, group_id)
    finally:
        await conn.close()
        await reader.close()

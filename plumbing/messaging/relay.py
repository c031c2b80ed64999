"""The outbox relay: publishes committed outbox rows to Kafka in id order, then marks them sent.

One relay per database publishes at a time (a session advisory lock); a second process waits
as a standby. A crash after publishing but before marking sent republishes those rows on
restart: delivery is at-least-once, and consumers deduplicate by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from plumbing.db.pool import _lock_key
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.outbox import headers_from_json
from plumbing.ops.failpoints import failpoint
from plumbing.ops.logs import get_logger
from plumbing.ops.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from plumbing.retry import Backoff

log = get_logger(__name__)


@dataclass(frozen=True)
class RelaySettings:
    batch_size: int = 1000
    # Rows written in this process wake the relay (`wake`); those of other processes are found
    # by polling.
    idle_poll_seconds: float = 0.2
    sent_retention: timedelta = timedelta(hours=24)
    dedup_retention: timedelta = timedelta(days=8)
    purge_every_seconds: float = 60.0


class OutboxRelay:
    def __init__(
        self,
        *,
        name: str,
        dsn: str,
        kafka: KafkaAccess,
        settings: RelaySettings | None = None,
    ) -> None:
        self.name = name
        self.dsn = dsn
        self.kafka = kafka
        self.settings = settings or RelaySettings()
        self.published = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Rows were committed to the outbox: publish them now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Publish until cancelled; reconnects with backoff after any failure."""
        backoff = Backoff()
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any failure
                delay = backoff.next_delay()
                log.warning("relay failed; retrying", relay=self.name, error=repr(exc), retry_in=delay)
                await asyncio.sleep(delay)

    async def _run_once(self) -> None:
        # What the relay commits (rows marked sent, old rows purged) may be lost in a crash of the
        # database without harm — those rows are published again, and consumers deduplicate — so
        # its commits do not wait for the WAL to reach the disk, and leave the disk to the commits
        # that must.
        conn: asyncpg.Connection = await asyncpg.connect(
            self.dsn, server_settings={"synchronous_commit": "off"}
        )
        producer = AIOKafkaProducer(
            **self.kafka.aiokafka(),
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            max_batch_size=256 * 1024,
            request_timeout_ms=15000,
        )
        try:
            await self._become_leader(conn)
            await producer.start()
            log.info("relay publishing", relay=self.name)
            loop = asyncio.get_running_loop()
            next_purge = loop.time()
            while True:
                self._wake.clear()  # before reading, so a commit during publishing wakes us again
                sent = await self._publish_batch(conn, producer)
                if loop.time() >= next_purge:
                    await self.purge(conn)
                    next_purge = loop.time() + self.settings.purge_every_seconds
                if sent < self.settings.batch_size:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                    # cancellation that lands as the wake-up fires, and the relay would outlive
                    # its service's shutdown.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.settings.idle_poll_seconds):
                            await self._wake.wait()
        finally:
            await producer.stop()
            await conn.close(timeout=5)

    async def _become_leader(self, conn: asyncpg.Connection) -> None:
        key = _lock_key(f"relay:{self.name}")
        while not await conn.fetchval("select pg_try_advisory_lock($1)", key):
            await asyncio.sleep(1.0)

    async def _publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        rows = await conn.fetch(
            "select id, topic, key, value, headers from outbox where sent_at is null order by id limit $1",
            self.settings.batch_size,
        )
        OUTBOX_BACKLOG.labels(self.name).set(len(rows))
        if not rows:
            return 0
        deliveries = await _send_batched(producer, rows)
        await asyncio.gather(*deliveries)
        failpoint("relay.after_publish")
        ids = [row["id"] for row in rows]
        await conn.execute("update outbox set sent_at = now() where id = any($1::bigint[])", ids)
        self.published += len(rows)
        OUTBOX_PUBLISHED.labels(self.name).inc(len(rows))
        return len(rows)

    async def purge(self, conn: asyncpg.Connection) -> tuple[int, int]:
        """Delete sent outbox rows and dedup records older than their retention, in chunks."""
        outbox = await _delete_in_chunks(
            conn,
            """delete from outbox where id in (select id from outbox
                   where created_at < now() - $1::interval and sent_at < now() - $1::interval
                   limit 10000)""",
            self.settings.sent_retention,
        )
        dedup = await _delete_in_chunks(
            conn,
            """delete from processed_events where ctid in (select ctid from processed_events
                   where processed_at < now() - $1::interval limit 10000)""",
            self.settings.dedup_retention,
        )
        if outbox or dedup:
            log.info("purged", relay=self.name, outbox_rows=outbox, dedup_rows=dedup)
        return outbox, dedup


async def _send_batched(
    producer: AIOKafkaProducer, rows: list[asyncpg.Record]
) -> list[asyncio.Future[object]]:
    """Send the rows in order as record batches, one per topic partition at a time (what `send`
    does one message at a time, at a fraction of its cost per message). A message goes to the
    partition Kafka's default partitioner picks for its key, as `send` would."""
    partitions: dict[str, list[int]] = {}
    open_batches: dict[tuple[str, int], Any] = {}
    sent: list[asyncio.Future[object]] = []
    for row in rows:
        topic, key, value = row["topic"], row["key"], row["value"]
        if topic not in partitions:
            partitions[topic] = sorted(await producer.partitions_for(topic))
        choices = partitions[topic]
        partition = choices[(murmur2(key) & 0x7FFFFFFF) % len(choices)] if key else random.choice(choices)
        headers = headers_from_json(row["headers"])
        batch = open_batches.get((topic, partition))
        if batch is None or batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
            if batch is not None:
                sent.append(await producer.send_batch(batch, topic, partition=partition))
            batch = open_batches[(topic, partition)] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                raise ValueError(f"outbox row {row['id']} is larger than a record batch")
    for (topic, partition), batch in open_batches.items():
        sent.append(await producer.send_batch(batch, topic, partition=partition))
    return sent


async def _delete_in_chunks(conn: asyncpg.Connection, sql: str, age: timedelta) -> int:
    total = 0
    while True:
        status = await conn.execute(sql, age)
        deleted = int(status.split()[-1])
        total += deleted
        if deleted < 10000:
            return total

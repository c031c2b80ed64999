"""The idempotent, batching Kafka consumer every service uses for its money-relevant streams.

Each poll's records are applied in ONE Postgres transaction together with their
`(consumer, event_id)` dedup rows; Kafka offsets are committed only after that transaction.
A crash anywhere replays from the last committed offset, and the dedup rows make the replay a
no-op. Poison events (unreadable, unknown, or breaking a rule) are kept in `dead_letters` and
published to `<topic>.dlq` through the outbox, in the same transaction; the next event goes on.

One module although over 300 lines: the poll loop, the isolation of a failing poll and the
offset commits share one state (the lane's assignment and its pending offsets) and one ordering
rule; cut apart, each piece would have to know the others' invariants.

Size: the batch consumer's poll, apply, commit and dead-lettering are one loop whose steps
depend on each other's state."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import CommitFailedError, IllegalStateError

from contracts.registry import REGISTRY, EventRegistry
from contracts.topics import OWNERS, replay_topic
from plumbing.messaging.appliers import Applier, HandlerTable
from plumbing.messaging.delivery import REPLAY_FOR, Delivery, Handler, PoisonEvent, header, source_topic
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.outbox import Outbox
from plumbing.messaging.poison import DeadLetter, decode, record_dead_letters
from plumbing.messaging.unparseable import tolerate_unparseable_records
from plumbing.ops.logs import get_logger
from plumbing.ops.metrics import (
    BATCH_SECONDS,
    CONSUMER_BATCHES,
    CONSUMER_ISOLATIONS,
    CONSUMER_RETRIES,
    EVENTS_APPLIED,
    EVENTS_DUPLICATE,
    EVENTS_IGNORED,
)
from plumbing.retry import Backoff, is_transient

log = get_logger(__name__)

__all__ = [
    "BatchConsumer",
    "ConsumerSettings",
    "ConsumerStats",
    "Delivery",
    "Handler",
    "PoisonEvent",
]


@dataclass
class ConsumerStats:
    transactions: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    retries: int = 0


@dataclass
class Polled:
    """One poll, decoded: what the applier gets, what is dead-lettered as it is, and the offsets
    to commit once both are in the database."""

    readable: list[Delivery] = field(default_factory=list)
    poison: list[DeadLetter] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    empty: bool = False


@dataclass
class ConsumerSettings:
    max_batch: int = 500
    poll_timeout_ms: int = 200
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1500
    auto_offset_reset: str = "earliest"
    extra: dict[str, object] = field(default_factory=dict)


class _AssignmentLog(ConsumerRebalanceListener):  # type: ignore[misc]
    """Says which partitions this member reads, after every rebalance."""

    def __init__(self, name: str, lane: int) -> None:
        self.name, self.lane = name, lane

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        mine = sorted(f"{tp.topic}/{tp.partition}" for tp in assigned)
        log.info("partitions assigned", consumer=self.name, lane=self.lane, partitions=mine)


class BatchConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler] | Applier,
        pool: asyncpg.Pool,
        kafka: KafkaAccess,
        outbox: Outbox,
        group_id: str | None = None,
        registry: EventRegistry = REGISTRY,
        settings: ConsumerSettings | None = None,
        lane: int = 0,
    ) -> None:
        self.name = name
        self.lane = lane  # which of a process's members of the group this is
        # Besides its topics it reads its own replay topic, where an operator's replays of its
        # dead letters come back (`contracts.topics.replay_topic`).
        self.replays = outbox.physical(replay_topic(name))
        self.topics = [*topics, self.replays]
        self.applier: Applier = handlers if isinstance(handlers, Applier) else HandlerTable(handlers)
        self.pool = pool
        self.kafka = kafka
        self.outbox = outbox
        self.group_id = group_id or name
        self.registry = registry
        # Who alone may write each topic (the broker's ACLs say the same): a record claiming
        # another producer is refused, whoever managed to write it.
        self.owners = {outbox.physical(topic.value): owner for topic, owner in OWNERS.items()}
        self.settings = settings or ConsumerSettings()
        self.stats = ConsumerStats()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """Consume until cancelled."""
        tolerate_unparseable_records()
        consumer = AIOKafkaConsumer(
            **self.kafka.aiokafka(),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset=self.settings.auto_offset_reset,
            session_timeout_ms=self.settings.session_timeout_ms,
            heartbeat_interval_ms=self.settings.heartbeat_interval_ms,
            max_poll_records=self.settings.max_batch,
            # Range assignment gives one member the same partitions of every topic it reads:
            # topics keyed alike (orders.events and refunds.events, by grant) are co-partitioned,
            # so one process sees all of a grant's money events, in order (as Kafka Streams does).
            partition_assignment_strategy=(RangePartitionAssignor,),
            **self.settings.extra,
        )
        if self.topics:
            consumer.subscribe(self.topics, listener=_AssignmentLog(self.name, self.lane))
        committing: asyncio.Task[None] | None = None
        upcoming: asyncio.Task[Polled] | None = None
        try:
            await self._start(consumer)
            self.ready.set()
            # The next poll is fetched and decoded while this one's transaction waits on the
            # database; offsets are committed in order, each once its transaction has committed.
            upcoming = asyncio.create_task(self._poll(consumer))
            while True:
                polled = await upcoming
                upcoming = asyncio.create_task(self._poll(consumer))
                if polled.empty:
                    continue
                await self._apply_with_retry(polled)
                if committing is not None:
                    await committing
                committing = asyncio.create_task(self._commit(consumer, polled.offsets))
        finally:
            for task in (upcoming, committing):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
            await consumer.stop()

    async def _poll(self, consumer: AIOKafkaConsumer) -> Polled:
        batches = await consumer.getmany(
            timeout_ms=self.settings.poll_timeout_ms, max_records=self.settings.max_batch
        )
        records = [r for tp_records in batches.values() for r in tp_records]
        polled = self.decode(records)
        polled.offsets = {tp: tp_records[-1].offset + 1 for tp, tp_records in batches.items() if tp_records}
        return polled

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partitions after our transaction committed: their new owner
            # re-reads these records, and our dedup rows make them no-ops.
            log.warning("offset commit lost to a rebalance", consumer=self.name, error=repr(exc))

    async def _start(self, consumer: AIOKafkaConsumer) -> None:
        backoff = Backoff()
        while True:
            try:
                await consumer.start()
                return
            except Exception as exc:  # noqa: BLE001 - broker not reachable yet
                log.warning("consumer cannot reach Kafka", consumer=self.name, error=repr(exc))
                await backoff.wait()

    async def _apply_with_retry(self, polled: Polled) -> None:
        backoff = Backoff()
        while True:
            try:
                await self.apply_decoded(polled)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self.stats.retries += 1
                CONSUMER_RETRIES.labels(self.name).inc()
                delay = backoff.next_delay()
                log.warning(
                    "batch failed transiently; retrying",
                    consumer=self.name,
                    error=repr(exc),
                    retry_in=round(delay, 3),
                )
                await asyncio.sleep(delay)

    def decode(self, records: Sequence[ConsumerRecord]) -> Polled:
        """Read a poll's records into deliveries for the applier, or dead letters; records for
        other consumers or of event types this one does not handle are left out."""
        polled = Polled(empty=not records)
        for record in records:
            if not self._is_for_me(record):
                continue  # an operator's replay for another consumer group
            decoded = decode(record, self.registry)
            if isinstance(decoded, Delivery):
                decoded = self._unexpected(decoded) or decoded
            if isinstance(decoded, DeadLetter):
                polled.poison.append(decoded)
            elif not self.applier.handles(decoded.envelope.event_type):
                self.stats.ignored += 1
                EVENTS_IGNORED.labels(self.name).inc()
            else:
                polled.readable.append(decoded)
        return polled

    async def apply(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply one poll's records in one transaction (retrying per event only when one fails)."""
        await self.apply_decoded(self.decode(records))

    async def apply_decoded(self, polled: Polled) -> None:
        started = time.perf_counter()
        readable, poison = polled.readable, polled.poison
        try:
            await self._transaction(readable, poison, isolate=False)
        except Exception as exc:
            if is_transient(exc):
                raise
            # An event was refused by raising, or a database constraint fired: redo the poll one
            # event at a time, each in a savepoint, so that only the offending events are dead-lettered.
            log.info("batch had a failing event; isolating", consumer=self.name, error=repr(exc))
            CONSUMER_ISOLATIONS.labels(self.name).inc()
            await self._transaction(readable, poison, isolate=True)
        BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)

    def _unexpected(self, delivery: Delivery) -> DeadLetter | None:
        """The refusal of an event that claims a producer other than its topic's owner (for a
        replay, the owner of the topic it first came on); None if it claims the owner."""
        e, owner = delivery.envelope, self.owners.get(source_topic(delivery.record))
        if owner is None or e.producer == owner:
            return None
        reason = f"{e.event_type} claims producer {e.producer!r}; this topic is written by {owner!r}"
        return DeadLetter(delivery.record, "unexpected_producer", reason, e.event_id, e.event_type)

    def _is_for_me(self, record: ConsumerRecord) -> bool:
        replay_for = header(record, REPLAY_FOR)
        return replay_for is None or replay_for.decode(errors="replace") == self.name

    async def _transaction(
        self, deliveries: list[Delivery], poison: list[DeadLetter], *, isolate: bool
    ) -> None:
        poison = list(poison)
        applied = 0
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await self._claim(conn, deliveries)
            claimed = len(fresh)
            todo = []
            for delivery in deliveries:
                if delivery.envelope.event_id in fresh:
                    fresh.discard(delivery.envelope.event_id)  # the same event twice in one poll
                    todo.append(delivery)
            if not isolate:
                refused = await self.applier(conn, todo)
            else:
                refused = []
                for delivery in todo:
                    try:
                        async with conn.transaction():
                            refused += await self.applier(conn, [delivery])
                    except Exception as exc:
                        if is_transient(exc):
                            raise
                        refused.append(DeadLetter.from_failure(delivery.record, delivery, exc))
            applied = len(todo) - len(refused)
            dead = await record_dead_letters(conn, self.name, self.outbox, poison + refused)
        duplicates = len(deliveries) - claimed
        self.stats.transactions += 1
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.dead_lettered += dead
        CONSUMER_BATCHES.labels(self.name).inc()
        EVENTS_APPLIED.labels(self.name).inc(applied)
        EVENTS_DUPLICATE.labels(self.name).inc(duplicates)

    async def _claim(self, conn: asyncpg.Connection, deliveries: list[Delivery]) -> set[uuid.UUID]:
        """Record the batch's event ids; returns those not seen before (one round trip)."""
        if not deliveries:
            return set()
        ids = [d.envelope.event_id for d in deliveries]
        status = await conn.execute(
            """insert into processed_events (consumer, event_id)
               select $1, unnest($2::uuid[]) on conflict do nothing""",
            self.name,
            ids,
        )
        if int(status.rsplit(" ", 1)[1]) == len(set(ids)):
            return set(ids)  # all new (the usual case): no need to read back which
        # Some were seen before: the ones this transaction recorded are those it can see as its own.
        rows = await conn.fetch(
            """select event_id from processed_events
               where consumer = $1 and event_id = any($2::uuid[]) and xmin = pg_current_xact_id()::xid""",
            self.name,
            ids,
        )
        return {r["event_id"] for r in rows}

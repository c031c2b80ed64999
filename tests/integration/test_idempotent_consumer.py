"""The batching idempotent consumer and its dead letters, on the real broker and database."""

from __future__ import annotations

import asyncpg
import pytest

from contracts.envelope import Envelope
from contracts.topics import Topic, with_prefix
from plumbing.messaging.appliers import HandlerTable
from plumbing.messaging.consumer import BatchConsumer, ConsumerSettings
from plumbing.messaging.delivery import Delivery
from plumbing.messaging.outbox import Outbox
from plumbing.messaging.relay import OutboxRelay
from plumbing.ops.tracing import TraceContext
from tests.factories import reservation
from tests.integration.conftest import running
from tests.integration.effects import HANDLERS, effect_count, effects_topics
from tests.integration.kafka_io import produce, read_topic
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration


def make_consumer(stack: Stack, pool: asyncpg.Pool, prefix: str, max_batch: int = 500) -> BatchConsumer:
    return BatchConsumer(
        name="effects",
        topics=[with_prefix(prefix, Topic.SETTLEMENT_EVENTS.value)],
        handlers=HANDLERS,
        pool=pool,
        kafka=stack.kafka,
        outbox=Outbox(prefix),
        group_id=f"{prefix}effects",
        settings=ConsumerSettings(max_batch=max_batch),
    )


async def count_is(dsn: str, n: int) -> bool:
    return await effect_count(dsn) == n


async def test_the_same_event_delivered_twice_is_applied_once(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    first, second = reservation(1, 500), reservation(2, 700)
    consumer = make_consumer(stack, pool, topic_prefix)
    async with running(consumer.run):
        await produce(stack.kafka, topic, [first, first])  # two deliveries in one poll
        await eventually(lambda: count_is(messaging_db, 1), what="the first effect")
        await produce(stack.kafka, topic, [first, second])  # and a redelivery in a later poll
        await eventually(lambda: count_is(messaging_db, 2), what="the second effect")

    rows = await pool.fetch("select order_id, amount from effects order by order_id")
    assert [(r["order_id"], r["amount"]) for r in rows] == [("O-000001", 500), ("O-000002", 700)]
    assert consumer.stats.duplicates == 2


async def test_a_poison_event_lands_in_the_dlq_with_its_reason_and_the_next_is_processed(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    unknown = reservation(3).model_copy(update={"event_type": "settlement.NoSuchThing"})
    future_version = reservation(4).model_copy(update={"schema_version": 99})
    key = b"O-000001"  # same key, same partition: the good event after the poison must still apply
    messages: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]] | Envelope] = [
        (key, b"{not json", []),
        (key, unknown.to_bytes(), []),
        (key, future_version.to_bytes(), []),
        reservation(1, amount_minor=0),  # breaks a handler rule
        reservation(1, amount_minor=900),
    ]
    consumer = make_consumer(stack, pool, topic_prefix)
    relay = OutboxRelay(name="effects", dsn=messaging_db, kafka=stack.kafka)
    async with running(consumer.run), running(relay.run):
        await produce(stack.kafka, topic, messages)
        await eventually(lambda: count_is(messaging_db, 1), what="the good event after the poison")
        dlq = await read_topic(stack.kafka, f"{topic}.dlq", at_least=4)

    letters = await pool.fetch(
        "select reason_code, reason, kafka_offset from dead_letters order by kafka_offset"
    )
    assert [r["reason_code"] for r in letters] == [
        "malformed_json",
        "unknown_event_type",
        "unknown_schema_version",
        "zero_amount",
    ]
    assert "escrow reservation must move money" in letters[3]["reason"]
    assert await pool.fetchval("select amount from effects") == 900
    headers = [dict(r.headers) for r in dlq]
    assert [h["dlq.reason_code"] for h in headers] == [
        b"malformed_json",
        b"unknown_event_type",
        b"unknown_schema_version",
        b"zero_amount",
    ]
    assert dlq[0].value == b"{not json"  # the original bytes, untouched
    assert consumer.stats.dead_lettered == 4


async def test_ten_thousand_events_are_applied_in_batches(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    await produce(stack.kafka, topic, [reservation(n, 100 + n) for n in range(10_000)])
    consumer = make_consumer(stack, pool, topic_prefix, max_batch=500)
    async with running(consumer.run):
        await eventually(lambda: count_is(messaging_db, 10_000), timeout=120, what="10,000 effects")

    assert await pool.fetchval("select sum(amount) from effects") == sum(100 + n for n in range(10_000))
    assert consumer.stats.applied == 10_000
    # One transaction per poll, not per event.
    assert consumer.stats.transactions <= 10_000 // 20, consumer.stats


async def test_the_consumer_continues_the_producers_trace(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    trace = TraceContext.new()
    await produce(
        stack.kafka,
        topic,
        [(b"O-000001", reservation(1).to_bytes(), [("traceparent", trace.traceparent.encode())])],
    )
    consumer = make_consumer(stack, pool, topic_prefix)
    async with running(consumer.run):
        await eventually(lambda: count_is(messaging_db, 1), what="the effect")
    assert await pool.fetchval("select trace_id from effects") == trace.trace_id


async def test_a_transient_failure_is_retried_and_the_event_applied_once(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    failures = [ConnectionResetError("database went away")]

    async def flaky(conn: asyncpg.Connection, delivery: Delivery) -> None:
        if failures:
            raise failures.pop()
        await HANDLERS[delivery.envelope.event_type](conn, delivery)

    consumer = make_consumer(stack, pool, topic_prefix)
    consumer.applier = HandlerTable({event_type: flaky for event_type in HANDLERS})
    async with running(consumer.run):
        await produce(stack.kafka, topic, [reservation(1, 650)])
        await eventually(lambda: count_is(messaging_db, 1), what="the retried effect")

    assert consumer.stats.retries == 1
    assert consumer.stats.dead_lettered == 0
    assert await pool.fetchval("select count(*) from dead_letters") == 0

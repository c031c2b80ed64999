"""What `unisettle status` reports: outbox backlog, open dead letters and consumer lag."""

from __future__ import annotations

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from plumbing.messaging.outbox import Outbox
from plumbing.ops.status import consumer_lag, service_status
from tests.factories import reservation
from tests.integration.conftest import running
from tests.integration.effects import effect_count, effects_topics
from tests.integration.kafka_io import produce
from tests.integration.test_idempotent_consumer import make_consumer
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration


async def test_backlog_dead_letters_and_lag(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    async with pool.acquire() as conn, conn.transaction():
        await Outbox(topic_prefix).append(conn, [reservation(1), reservation(2)])
    consumer = make_consumer(stack, pool, topic_prefix)
    async with running(consumer.run):
        await produce(stack.kafka, topic, [reservation(n, 100) for n in range(3)] + [reservation(9, 0)])

        async def consumed() -> bool:
            return await effect_count(messaging_db) == 3 and consumer.stats.dead_lettered == 1

        await eventually(consumed, what="the consumer to apply and dead-letter")

        async def caught_up() -> bool:
            return await consumer_lag(stack.kafka, consumer.group_id) == {topic: 0}

        await eventually(caught_up, what="the committed offsets to reach the end")

    await produce(stack.kafka, topic, [reservation(n, 100) for n in range(10, 15)])  # nobody reads these
    status = await service_status("effects", messaging_db, stack.kafka, consumer.group_id)
    assert status.outbox_backlog == 2 + 1  # two events and the dead letter's copy for the DLQ topic
    assert status.oldest_unsent_seconds is not None and status.open_dead_letters == 1
    assert status.consumer_lag == {topic: 5}

"""A committed event is applied exactly once even when the relay is SIGKILLed after publishing
and before marking the rows sent: the restarted relay republishes, the consumer deduplicates."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from plumbing.messaging.consumer import BatchConsumer
from plumbing.messaging.outbox import Outbox
from tests.factories import reservation
from tests.integration.conftest import running
from tests.integration.effects import effect_count, effects_topics
from tests.integration.kafka_io import read_topic
from tests.integration.test_idempotent_consumer import make_consumer
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration

EVENTS = 50


async def start_relay(stack: Stack, dsn: str, *, failpoints: str = "") -> asyncio.subprocess.Process:
    env = {**os.environ, **stack.env(), "UNISETTLE_FAILPOINTS": failpoints}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "relay",
        "--dsn",
        dsn,
        "--name",
        "settlement",  # it publishes settlement.events, as settlement
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_relay_killed_between_publish_and_mark_sent_still_applies_each_event_once(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    async with pool.acquire() as conn, conn.transaction():
        await Outbox(topic_prefix).append(conn, [reservation(n, 1000 + n) for n in range(EVENTS)])

    doomed = await start_relay(stack, messaging_db, failpoints="relay.after_publish")
    assert await asyncio.wait_for(doomed.wait(), 60) == -signal.SIGKILL
    assert await pool.fetchval("select count(*) from outbox where sent_at is null") == EVENTS
    assert len(await read_topic(stack.kafka, topic, at_least=EVENTS)) == EVENTS  # published, not marked

    survivor = await start_relay(stack, messaging_db)
    try:
        await eventually(
            lambda: _all_sent(pool), timeout=60, what="the restarted relay to mark every row sent"
        )
    finally:
        survivor.terminate()
        await survivor.wait()
    assert len(await read_topic(stack.kafka, topic, at_least=2 * EVENTS)) == 2 * EVENTS

    consumer = make_consumer(stack, pool, topic_prefix)
    async with running(consumer.run):
        await eventually(lambda: _consumed(consumer, 2 * EVENTS), what="both copies to be consumed")

    assert await effect_count(messaging_db) == EVENTS
    assert await pool.fetchval("select sum(amount) from effects") == sum(1000 + n for n in range(EVENTS))
    assert consumer.stats.duplicates == EVENTS


async def _all_sent(pool: asyncpg.Pool) -> bool:
    return await pool.fetchval("select count(*) = 0 from outbox where sent_at is null")  # type: ignore[no-any-return]


async def _consumed(consumer: BatchConsumer, n: int) -> bool:
    return consumer.stats.applied + consumer.stats.duplicates >= n

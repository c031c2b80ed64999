"""A faust agent built with plumbing.messaging.streams: exceptions are caught inside the agent, the event
goes to the DLQ with its reason, the next event is processed, and redeliveries apply once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from tests.factories import reservation
from tests.integration.effects import effect_count, effects_topics
from tests.integration.kafka_io import produce, read_topic
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration


async def test_a_failing_faust_agent_dead_letters_the_event_and_carries_on(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str, tmp_path: Path
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    good = reservation(1, 4_200)
    await produce(
        stack.kafka,
        topic,
        [reservation(1, amount_minor=0), (b"O-000001", b"]]", []), good, good, reservation(2, 800)],
    )
    env = {**os.environ, **stack.env()}
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.faust_effects_worker",
        messaging_db,
        topic_prefix,
        str(tmp_path / "faust"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await eventually(lambda: _count_is(messaging_db, 2), timeout=90, what="the faust agent's effects")
        dlq = await read_topic(stack.kafka, f"{topic}.dlq", at_least=2, timeout=30)
    finally:
        worker.terminate()
        await worker.wait()

    assert sorted(await pool.fetch("select order_id, amount from effects order by order_id")) == [
        ("O-000001", 4_200),
        ("O-000002", 800),
    ]
    reasons = [dict(r.headers)["dlq.reason_code"] for r in dlq]
    assert reasons == [b"zero_amount", b"malformed_json"]
    assert {dict(r.headers)["dlq.consumer"] for r in dlq} == {b"effects"}


async def _count_is(dsn: str, n: int) -> bool:
    return await effect_count(dsn) == n

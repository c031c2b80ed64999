"""A SIGKILLed consumer's partitions move to the surviving one within seconds, and no event is
lost or applied twice across the handover."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from functools import partial

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from tests.factories import reservation
from tests.integration.effects import effect_count, effects_topics
from tests.integration.kafka_io import produce
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration


async def start_worker(stack: Stack, dsn: str, prefix: str) -> asyncio.subprocess.Process:
    env = {**os.environ, **stack.env(), "UNISETTLE_PG_ADMIN_DSN": stack.pg_admin_dsn}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.effects_worker", dsn, prefix, env=env
    )


async def test_a_killed_consumers_partitions_move_within_seconds(
    stack: Stack, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    first = await start_worker(stack, messaging_db, topic_prefix)
    second = await start_worker(stack, messaging_db, topic_prefix)
    try:
        # Keep events coming until both workers have applied some: each then owns partitions.
        sent = 0
        while len(await _appliers(messaging_db)) < 2:
            await produce(stack.kafka, topic, [reservation(n) for n in range(sent, sent + 60)])
            sent += 60
            await eventually(partial(_count_is, messaging_db, sent), timeout=60, what="events to apply")
            assert sent < 60_000, "the second worker never received partitions"

        first.send_signal(signal.SIGKILL)
        await first.wait()
        killed_at = time.monotonic()
        # 600 keys cover all 6 partitions, so every one of the killed worker's partitions must move.
        await produce(stack.kafka, topic, [reservation(n) for n in range(sent, sent + 600)])
        await eventually(lambda: _count_is(messaging_db, sent + 600), timeout=60, what="the survivor")
        handover = time.monotonic() - killed_at
    finally:
        for worker in (first, second):
            if worker.returncode is None:
                worker.terminate()
                await worker.wait()

    print(f"\nall partitions served again {handover:.1f}s after SIGKILL")
    assert handover < 20  # session timeout 6 s + a rebalance
    assert await _distinct_orders(messaging_db) == sent + 600
    late = await _appliers(messaging_db, after=sent)
    assert late == {f"worker-{second.pid}"}


async def _count_is(dsn: str, n: int) -> bool:
    return await effect_count(dsn) == n


async def _appliers(dsn: str, after: int = -1) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "select distinct applied_by from effects where substr(order_id, 3)::int >= $1", after
        )
        return {r["applied_by"] for r in rows}
    finally:
        await conn.close()


async def _distinct_orders(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("select count(distinct order_id) from effects"))
    finally:
        await conn.close()

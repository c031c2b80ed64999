"""Two settlement processes draining a topic together end in the same state as one alone: the same
balances, escrows, figures, transfers and events, and nothing dead-lettered (money events are
keyed by grant, so each process owns whole grants)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.topics import Topic, with_prefix
from plumbing.messaging.provisioning import provision
from services.settlement.checks.invariants import run_checks
from tests.bench.settlement_rate import drained, envelopes, publish, register_grants, start_group, state
from tests.e2e.processes import ServiceProcess, free_port
from tests.stack import Stack, create_database, delete_topics, drop_database

pytestmark = pytest.mark.e2e
ORDERS, GRANTS = 1_500, 12


async def settled(
    stack: Stack, processes: int, workdir: Path, events: list[Envelope]
) -> tuple[list[tuple[object, ...]], list[str]]:
    """Settlement's state after `processes` processes drained a topic pre-filled with `events`."""
    prefix = f"t{int(time.time() * 1000) % 10**9}p{processes}."
    topic = with_prefix(prefix, Topic.ORDERS_EVENTS.value)
    dsn = await create_database(stack, f"scaling{processes}")
    services = [
        ServiceProcess("settlement", free_port(), dsn, workdir / f"settlement-{processes}-{n}.log")
        for n in range(processes)
    ]
    try:
        await register_grants(stack, prefix, services[0], GRANTS)
        await provision(stack.kafka, prefix)  # its topics and ACLs, as a deployment's
        # every process in the group with its own share of the partitions before the events come
        await start_group(stack, prefix, services, topic)
        producer = AIOKafkaProducer(**stack.kafka.aiokafka(), enable_idempotence=True)
        await producer.start()
        try:
            await publish(producer, topic, events)
        finally:
            await producer.stop()
        conn = await asyncpg.connect(dsn)
        try:
            await drained(conn, stack, prefix, topic)
            assert [r.name for r in await run_checks(conn) if not r.ok] == []
            assert await conn.fetchval("select count(*) from dead_letters") == 0
            emitted = sorted(
                json.dumps(
                    {k: v for k, v in json.loads(r["value"]).items() if k not in ("event_id", "occurred_at")}
                )
                for r in await conn.fetch("select value from outbox where topic like '%settlement.events'")
            )
            return await state(conn), emitted
        finally:
            await conn.close()
    finally:
        for service in services:
            await service.stop()
        await drop_database(stack, dsn)
        await delete_topics(stack, prefix)


async def test_two_processes_end_where_one_does(stack: Stack, tmp_path: Path) -> None:
    events = envelopes(ORDERS, GRANTS)  # the very same events (their ids included) for both
    alone, alone_events = await settled(stack, 1, tmp_path, events)
    together, together_events = await settled(stack, 2, tmp_path, events)
    assert together == alone
    assert together_events == alone_events
    for log in (p.read_text() for p in tmp_path.glob("settlement-2-*.log")):
        assert "deadlock" not in log

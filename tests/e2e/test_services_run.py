"""The four services run as separate processes: ready, observable, and consuming for real."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from contracts.topics import Topic, with_prefix
from tests.e2e.processes import ServiceProcess
from tests.integration.kafka_io import produce, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.e2e


async def test_every_service_is_healthy_ready_and_exposes_metrics(
    services: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for name, service in services.items():
            health = await client.get(f"{service.url}/health")
            assert health.json() == {"status": "ok", "service": name}
            ready = await client.get(f"{service.url}/ready")
            assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
            metrics = await client.get(f"{service.url}/metrics")
            assert "unisettle_outbox_published_total" in metrics.text
            missing = await client.get(f"{service.url}/no-such-route")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
            assert "traceparent" in missing.headers


async def test_each_service_database_is_migrated(services: dict[str, ServiceProcess]) -> None:
    for service in services.values():
        conn = await asyncpg.connect(service.dsn)
        try:
            tables = {
                r["tablename"]
                for r in await conn.fetch("select tablename from pg_tables where schemaname = 'public'")
            }
        finally:
            await conn.close()
        assert {"outbox", "processed_events", "dead_letters", "schema_migrations"} <= tables


async def test_a_poison_event_sent_to_a_running_service_reaches_its_dlq(
    stack: Stack, services: dict[str, ServiceProcess], topic_prefix: str
) -> None:
    # settlement, refunds and invoices consume orders.events: each keeps and re-publishes its letter.
    topic = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    await produce(stack.kafka, topic, [(b"O-1", b"\x00garbage", [])])
    dlq = await read_topic(stack.kafka, f"{topic}.dlq", at_least=3, timeout=60)
    assert sorted(dict(r.headers)["dlq.consumer"] for r in dlq) == [b"invoices", b"refunds", b"settlement"]
    assert {dict(r.headers)["dlq.reason_code"] for r in dlq} == {b"malformed_json"}
    assert {r.value for r in dlq} == {b"\x00garbage"}

    for name in ("settlement", "refunds", "invoices"):
        conn = await asyncpg.connect(services[name].dsn)
        try:
            assert await conn.fetchval("select reason_code from dead_letters") == "malformed_json"
        finally:
            await conn.close()

"""Parts 2 and 6: escrow events (reserve on OrderPlaced, release on OrderReceived) applied per second
by settlement's consumers from a pre-filled topic, with one or two service processes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import OrderPlaced, OrderReceived
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from plumbing.topic_admin import ensure_topics
from tests.e2e.processes import ServiceProcess, free_port
from tests.e2e.test_money_flow import FINANCE
from tests.integration.settlement.conftest import line
from tests.stack import Stack, create_database, delete_topics, drop_database

GRANTS = 50
ALICE = Actor(user_id="alice", role="researcher")


def grant_body(grant_id: str, budget: int) -> dict[str, object]:
    """A grant alice may spend `budget` fen of consumables on, with no approval threshold in reach."""
    return {
        "grant_id": grant_id,
        "code": grant_id.removeprefix("G-"),
        "title": "Benchmark load",
        "pi_id": "prof-wang",
        "authorised_buyers": ["alice"],
        "budget_by_category": {"consumables": budget},
        "period_start": "2026-01-01",
        "period_end": "2028-12-31",
        "approval_threshold_minor": budget,
    }


def envelopes(orders: int) -> list[Envelope]:
    out = []
    tips = line("CS-0002", "consumables", 1, 2800)  # every order buys the same box
    for n in range(orders):
        order_id, grant_id = f"B-{n:07d}", f"G-BENCH-{n % GRANTS:03d}"
        common = {
            "producer": "orders",
            "aggregate_id": order_id,
            "tenant_id": "tsinghua",
            "correlation_id": order_id,
        }
        placed = OrderPlaced(
            order_id=order_id,
            checkout_id=order_id,
            grant_id=grant_id,
            buyer=ALICE,
            supplier_id="SUP-002",
            lines=[tips],
            total=Money.cny(2800),
        )
        received = OrderReceived(
            order_id=order_id,
            supplier_id="SUP-002",
            grant_id=grant_id,
            confirmed_by=ALICE,
            auto_confirmed=False,
            amount=Money.cny(2800),
        )
        out.append(Envelope.of(placed, aggregate_version=1, **common))  # type: ignore[arg-type]
        out.append(Envelope.of(received, aggregate_version=2, **common))  # type: ignore[arg-type]
    return out


async def run(stack: Stack, orders: int, processes: int, workdir: Path) -> tuple[float, float]:
    """Returns (escrow events per second, seconds) from the first escrow written to the last released."""
    prefix = f"bench{int(time.time() * 1000) % 10**9}."
    topic = with_prefix(prefix, Topic.ORDERS_EVENTS.value)
    dsn = await create_database(stack, "benchsettle")
    services = [
        ServiceProcess("settlement", free_port(), dsn, workdir / f"settlement-{n}.log")
        for n in range(processes)
    ]
    try:
        first = services[0]
        await first.start(stack, prefix)
        await first.wait_ready()
        async with httpx.AsyncClient(timeout=30) as http:
            for g in range(GRANTS):
                response = await http.post(
                    f"{first.url}/v1/grants", headers=FINANCE, json=grant_body(f"G-BENCH-{g:03d}", 10**12)
                )
                response.raise_for_status()
        await first.stop()  # the topic fills while no consumer runs
        await ensure_topics(stack.kafka, [topic])
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, enable_idempotence=True, linger_ms=10)
        await producer.start()
        try:
            futures = [
                await producer.send(topic, e.to_bytes(), key=e.aggregate_id.encode())
                for e in envelopes(orders)
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()
        for service in services:
            await service.start(stack, prefix)
        conn = await asyncpg.connect(dsn)
        try:
            # Every escrow event writes one event to the outbox, whose ids only grow: watching its
            # highest id is an index probe, where counting escrows would scan them under load.
            first = await conn.fetchval("select coalesce(max(id), 0) from outbox")
            while await conn.fetchval("select coalesce(max(id), 0) from outbox") == first:
                await asyncio.sleep(0.005)
            started = time.perf_counter()
            deadline = started + 600
            while await conn.fetchval("select coalesce(max(id), 0) from outbox") < first + 2 * orders:
                if time.perf_counter() > deadline:
                    raise RuntimeError("settlement did not apply the pre-filled topic within 10 minutes")
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            released = await conn.fetchval("select count(*) from escrows where status = 'released'")
            if released != orders:
                raise RuntimeError(f"{released} of {orders} escrows released")
        finally:
            await conn.close()
        return 2 * orders / elapsed, elapsed
    finally:
        for service in services:
            await service.stop()
        await drop_database(stack, dsn)
        await delete_topics(stack, prefix)

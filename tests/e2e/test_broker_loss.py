"""Broker loss on a three-node KRaft cluster (replication factor 3, min.insync.replicas 2): while
orders flow through their whole lives, the broker leading most of the money partitions is killed
with SIGKILL and later restarted; then a second broker is stopped cleanly and restarted. Every
event acknowledged to a producer is consumed exactly once in effect (sent vs applied per topic and
consumer, as the chaos test counts), `unisettle check` passes and nothing is dead-lettered.

The cluster is the test's own (`deploy/stack.sh kafka-up` with UNISETTLE_KAFKA_NODES=3 on free
ports, in the test's directory), beside the single-node stack the suite uses; it is stopped
whatever happens, a failed start included."""

from __future__ import annotations

import asyncio
import collections
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import Topic, with_prefix
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.ops.status import service_status
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess, free_ports, quiet, running_services
from tests.e2e.test_chaos import CHAOS_GRANT, FINAL, SERVER_ERRORS, call, order_life, unapplied
from tests.e2e.test_money_flow import ALICE, FINANCE
from tests.kcat import kcat
from tests.stack import ROOT, Stack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]
ORDERS = int(os.environ.get("UNISETTLE_BROKER_LOSS_ORDERS", "36"))
IN_FLIGHT = 12
# deploy/stack.sh: node n (0-based) listens on PORT + 10n (clients), + 2 (brokers), and on
# CONTROLLER_PORT + 10n, here PORT + 1
NODE_PORTS = [10 * n + k for n in range(3) for k in (0, 1, 2)]
Shell = Callable[..., Awaitable[None]]


@asynccontextmanager
async def cluster(base: Stack, home: Path) -> AsyncIterator[tuple[Stack, Shell]]:
    """A three-node cluster of the test's own; `sh(...)` runs deploy/stack.sh on it."""
    port = free_ports(NODE_PORTS)
    env = {
        **os.environ,
        "UNISETTLE_STACK_DIR": str(home),
        "UNISETTLE_KAFKA_NODES": "3",
        "UNISETTLE_KAFKA_PORT": str(port),
        "UNISETTLE_KAFKA_CONTROLLER_PORT": str(port + 1),
        "UNISETTLE_KAFKA_LIBS": str(ROOT / ".stack" / "kafka" / "libs"),
    }

    async def sh(*args: str, check: bool = True) -> None:
        process = await asyncio.create_subprocess_exec(
            str(ROOT / "deploy" / "stack.sh"),
            *args,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        assert process.returncode == 0 or not check, f"stack.sh {' '.join(args)}: {err.decode()[-2000:]}"

    servers = ",".join(f"127.0.0.1:{port + 10 * n}" for n in range(3))
    try:
        await sh("kafka-up")  # inside: the nodes a failed start left running are stopped too
        yield Stack(servers, base.pg_admin_dsn, home / "kafka" / "credentials"), sh
    finally:
        await sh("kafka-down", check=False)  # after a failed start, its error is the one to see


async def partitions(stack: Stack, topic: str) -> list[tuple[int, list[int]]]:
    """(leader, in-sync replicas) of each partition of `topic`."""
    admin = AIOKafkaAdminClient(**stack.kafka.aiokafka(), request_timeout_ms=10_000)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [(p["leader"], sorted(p["isr"])) for p in described["partitions"]]


async def fully_replicated(stack: Stack, topics: list[str]) -> bool:
    try:
        described = [await partitions(stack, t) for t in topics]
    except Exception:  # noqa: BLE001 - a broker coming back may not answer yet
        return False
    return all(len(isr) == 3 for partitions_ in described for _, isr in partitions_)


async def progress(http: httpx.AsyncClient, flow: Flow, at_least: int) -> None:
    """Wait until settlement has reserved funds for at least `at_least` orders."""

    async def enough() -> bool:
        answer = await call(
            http, "GET", f"{flow.settlement}/v1/grants/{CHAOS_GRANT}/execution", headers=FINANCE
        )
        total = answer.json()["total"]
        return bool(total["encumbered"] + total["expended"] >= at_least * 2800)

    await eventually(enough, timeout=180, what=f"{at_least} orders' funds reserved")


async def test_losing_brokers_loses_no_acknowledged_event(stack: Stack, tmp_path: Path) -> None:
    prefix = f"t{int(time.time() * 1000) % 10**9}loss."
    async with (
        cluster(stack, tmp_path / "cluster") as (kafka, sh),
        running_services(kafka, prefix, tmp_path) as services,
        httpx.AsyncClient(timeout=30) as http,
    ):
        anonymous = await kcat(KafkaAccess(kafka.bootstrap_servers), "-L")  # the cluster lets nobody in
        assert anonymous[0] != 0, anonymous[1]
        flow = Flow(http, services)
        await flow.setup()
        await flow.register_grant(CHAOS_GRANT, FINANCE, buyers=["alice"], budget=10_000_000, code="LOSS-1")
        money = [with_prefix(prefix, t.value) for t in (Topic.ORDERS_EVENTS, Topic.REFUNDS_EVENTS)]
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def life(n: int) -> str:
            async with gate:
                return await order_life(http, flow, n)

        started = time.monotonic()
        lives = asyncio.gather(*(life(n) for n in range(ORDERS)))
        kills: list[str] = []
        recovered: list[float] = []
        try:
            await progress(http, flow, ORDERS // 6)
            leaders = collections.Counter(leader for leader, _ in await partitions(kafka, money[0]))
            leader = leaders.most_common(1)[0][0]
            await sh("kill", "kafka", str(leader))
            kills.append(f"SIGKILL node {leader}")
            await progress(http, flow, ORDERS // 3)  # trade goes on with two brokers
            back = time.monotonic()
            await sh("kafka-up")
            await eventually(lambda: fully_replicated(kafka, money), timeout=120, what="the ISRs to refill")
            recovered.append(time.monotonic() - back)
            other = next(n for n in (1, 2, 3) if n != leader)
            await sh("stop", "kafka", str(other))
            kills.append(f"stop node {other}")
            await progress(http, flow, ORDERS // 2)
            back = time.monotonic()
            await sh("kafka-up")
            await eventually(lambda: fully_replicated(kafka, money), timeout=120, what="the ISRs to refill")
            recovered.append(time.monotonic() - back)
            order_ids = await lives
        finally:
            if not lives.done():
                lives.cancel()
        elapsed = time.monotonic() - started

        async def all_final() -> bool:
            for order_id in order_ids:
                answer = await call(http, "GET", f"{flow.orders}/v1/orders/{order_id}", headers=ALICE)
                if answer.json()["status"] not in FINAL:
                    return False
            return True

        await eventually(all_final, timeout=180, what="every order to reach a final state")
        await eventually(lambda: quiet(services, kafka, prefix), timeout=180, what="the system to be quiet")
        delivery = await unapplied(services, prefix)
        letters = {n: await dead_letter_count(s, kafka, prefix) for n, s in services.items()}
        print(
            f"\nbroker loss: {ORDERS} orders in {elapsed:.1f}s; {', '.join(kills)}; "
            f"replicas in sync again {', '.join(f'{r:.1f}s' for r in recovered)} after each restart"
        )
        for route, (sent, missing) in delivery.items():
            print(f"broker loss:   {route:<32} sent {sent:>5}  applied {sent - missing:>5}")
        assert all(missing == 0 for _, missing in delivery.values()), delivery
        assert delivery["orders.events → settlement"][0] >= ORDERS
        assert sum(letters.values()) == 0, letters
        assert SERVER_ERRORS == []
        await checks_pass(services)


async def dead_letter_count(service: ServiceProcess, kafka: Stack, prefix: str) -> int:
    status = await service_status(service.name, service.dsn, kafka.kafka, f"{prefix}{service.name}")
    return status.open_dead_letters

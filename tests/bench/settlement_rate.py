"""Parts 2 and 6: escrow events (reserve on OrderPlaced, release on OrderReceived) applied per second
by settlement's consumers from a pre-filled topic, with one or two service processes; and the
same topic applied again with the dedup memory wiped, which must change nothing.

The orders are spread over many grants (two universities) and many suppliers, as real trade is,
and the topic is keyed by grant as orders publishes it.

Over 300 lines: filling the topic, running one or two processes and measuring their CPU share are
one set-up, which parts 2 and 6 both use."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import OrderLine, OrderPlaced, OrderReceived
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from plumbing.messaging.provisioning import provision
from plumbing.web.auth import Role
from services.settlement.checks.invariants import run_checks
from tests.e2e.processes import ServiceProcess, free_port
from tests.e2e.test_money_flow import auth
from tests.factories import line
from tests.stack import Stack, create_database, delete_topics, drop_database

GRANTS = 200  # per university (the default)
UNIVERSITIES = ("tsinghua", "fudan")
SUPPLIERS = 60
ALICE = Actor(user_id="alice", role="researcher")
# one finance office registers hundreds of grants at once: lift the per-client allowance of changes
UNLIMITED = {"UNISETTLE_WRITE_RATE_PER_SECOND": "1000000", "UNISETTLE_WRITE_BURST": "1000000"}
LINES = [
    line("CS-0002", "consumables", 1, 2800),
    line("RG-0002", "reagents", 2, 1350),
    line("CS-0011", "consumables", 3, 990),
]


def grant_body(grant_id: str, budget: int) -> dict[str, object]:
    """A grant alice may spend `budget` fen of consumables and reagents on, no approval in reach."""
    return {
        "grant_id": grant_id,
        "code": grant_id.removeprefix("G-"),
        "title": "Benchmark load",
        "pi_id": "prof-wang",
        "authorised_buyers": ["alice"],
        "budget_by_category": {"consumables": budget, "reagents": budget},
        "period_start": "2026-01-01",
        "period_end": "2028-12-31",
        "approval_threshold_minor": budget,
    }


def envelopes(orders: int, grants: int = GRANTS) -> list[Envelope]:
    """Each order placed then received, on a grant of one of two universities, from one of many
    suppliers, with one to three lines."""
    out = []
    for n in range(orders):
        order_id = f"B-{n:07d}"
        tenant, grant_id = UNIVERSITIES[n % 2], f"G-BENCH-{(n // 2) % grants:03d}"
        supplier = f"SUP-{n % SUPPLIERS:03d}"
        lines: list[OrderLine] = LINES[: 1 + n % 3]
        total = sum(x.line_total_minor for x in lines)
        common = {
            "producer": "orders",
            "aggregate_id": order_id,
            "tenant_id": tenant,
            "correlation_id": order_id,
        }
        placed = OrderPlaced(
            order_id=order_id,
            checkout_id=order_id,
            grant_id=grant_id,
            buyer=ALICE,
            supplier_id=supplier,
            lines=lines,
            total=Money.cny(total),
        )
        received = OrderReceived(
            order_id=order_id,
            supplier_id=supplier,
            grant_id=grant_id,
            confirmed_by=ALICE,
            auto_confirmed=False,
            amount=Money.cny(total),
        )
        out.append(Envelope.of(placed, aggregate_version=1, **common))  # type: ignore[arg-type]
        out.append(Envelope.of(received, aggregate_version=2, **common))  # type: ignore[arg-type]
    return out


@dataclass
class Measured:
    events_per_second: float
    seconds: float
    cpu_us_per_event: float = 0.0  # CPU time of the settlement processes, per event applied
    machine_busy: float = 0.0  # the share of all cores busy (anything) while they applied it
    replay_per_second: float | None = None  # the same topic again, dedup memory wiped
    replay_changed_nothing: bool | None = None
    invariants_failed: list[str] | None = None  # `unisettle check` on the database afterwards


async def run(
    stack: Stack,
    orders: int,
    processes: int,
    workdir: Path,
    *,
    replay: bool = False,
    lanes: int | None = None,
) -> Measured:
    """Events per second from the first escrow event written to the last one; optionally the
    replay of the whole topic with the dedup memory wiped. `lanes`: the consumer lanes of each
    process (the service's default when None)."""
    prefix = f"bench{int(time.time() * 1000) % 10**9}."
    topic = with_prefix(prefix, Topic.ORDERS_EVENTS.value)
    dsn = await create_database(stack, "benchsettle")
    services = [
        ServiceProcess("settlement", free_port(), dsn, workdir / f"settlement-{processes}-{lanes}-{n}.log")
        for n in range(processes)
    ]
    try:
        await register_grants(stack, prefix, services[0])
        await provision(stack.kafka, prefix)  # its topics and ACLs, as a deployment's
        producer = AIOKafkaProducer(**stack.kafka.aiokafka(), enable_idempotence=True, linger_ms=10)
        await producer.start()
        try:
            await publish(producer, topic, envelopes(orders))  # the topic fills while no consumer runs
        finally:
            await producer.stop()
        conn = await asyncpg.connect(dsn)
        try:
            # Counted from the moment every process reads its share of the partitions: what a
            # process that joined first applied alone before the group settled is left out.
            await start_group(stack, prefix, services, topic, lanes)
            cpu, machine = _cpu_seconds(services), _machine_ticks()
            measured = Measured(*await drained(conn, stack, prefix, topic, since_settled=True))
            applied = measured.events_per_second * measured.seconds
            measured.cpu_us_per_event = (_cpu_seconds(services) - cpu) / applied * 1e6
            measured.machine_busy = _busy_share(machine, _machine_ticks())
            for service in services:
                await service.stop()
            released = await conn.fetchval("select count(*) from escrows where status = 'released'")
            if released != orders:
                raise RuntimeError(f"{released} of {orders} escrows released")
            if replay:
                before = await state(conn)
                await conn.execute("delete from processed_events")
                await _rewind(stack, prefix, topic)
                await start_group(stack, prefix, services[:1], topic, lanes)
                measured.replay_per_second, _ = await drained(conn, stack, prefix, topic, since_settled=True)
                await services[0].stop()
                measured.replay_changed_nothing = await state(conn) == before
            measured.invariants_failed = [f"{r.name}: {r.detail}" for r in await run_checks(conn) if not r.ok]
        finally:
            await conn.close()
        return measured
    finally:
        for service in services:
            await service.stop()
        await drop_database(stack, dsn)
        await delete_topics(stack, prefix)


def _cpu_seconds(services: list[ServiceProcess]) -> float:
    """User and system CPU time the services' processes have used so far."""
    total = 0
    for service in services:
        assert service.process is not None
        fields = Path(f"/proc/{service.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


async def publish(producer: AIOKafkaProducer, topic: str, events: list[Envelope]) -> None:
    """As orders publishes them: keyed by grant."""
    futures = [await producer.send(topic, e.to_bytes(), key=e.payload["grant_id"].encode()) for e in events]
    await asyncio.gather(*futures)


async def register_grants(stack: Stack, prefix: str, first: ServiceProcess, grants: int = GRANTS) -> None:
    """Each university's grants, through the API of a settlement process stopped afterwards."""
    await first.start(stack, prefix, UNLIMITED)
    await first.wait_ready()
    async with httpx.AsyncClient(timeout=30) as http:
        for tenant in UNIVERSITIES:
            finance = auth(Role.UNIVERSITY_FINANCE, "fo-bench", tenant)
            for g in range(grants):
                response = await http.post(
                    f"{first.url}/v1/grants", headers=finance, json=grant_body(f"G-BENCH-{g:03d}", 10**12)
                )
                response.raise_for_status()
    await first.stop()


async def start_group(
    stack: Stack, prefix: str, services: list[ServiceProcess], topic: str, lanes: int | None = None
) -> None:
    """Start the services and wait until their consumer group has settled: each member (a
    process's lane) reads its own share of the topic's partitions, and together all of them."""
    seen = [len(_assignments(service.log_path)) for service in services]  # before this start
    lanes_env = {} if lanes is None else {"SETTLEMENT_CONSUMER_LANES": str(lanes)}
    for service in services:
        await service.start(stack, prefix, lanes_env)
    partitions = len(await _end_offsets(stack, topic))
    deadline = time.perf_counter() + 120
    while True:
        shares: list[set[str]] = []
        for service, before in zip(services, seen, strict=True):
            latest: dict[int, list[str]] = {}  # by lane
            for lane, assigned in _assignments(service.log_path)[before:]:
                latest[lane] = assigned
            shares += [{p for p in a if p.startswith(f"{topic}/")} for a in latest.values()] or [set()]
        if all(shares) and sum(len(s) for s in shares) == partitions == len(set().union(*shares)):
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"settlement's consumer group did not settle: {shares}")
        await asyncio.sleep(0.05)


def _assignments(log_path: Path) -> list[tuple[int, list[str]]]:
    """(lane, partitions) each time a service's member said what it reads, oldest first."""
    if not log_path.exists():
        return []
    lines = log_path.read_text(errors="replace").splitlines()
    found = [json.loads(e) for e in lines if '"partitions assigned"' in e]
    return [(f.get("lane", 0), f["partitions"]) for f in found]


async def drained(
    conn: asyncpg.Connection, stack: Stack, prefix: str, topic: str, *, since_settled: bool = False
) -> tuple[float, float]:
    """Wait until settlement's consumer group has committed the whole topic: (events per second,
    seconds), from the first event applied — or, `since_settled`, from now (the group has just
    settled), over the events not applied yet."""
    ends = await _end_offsets(stack, topic)
    events = sum(ends.values())
    admin = AIOKafkaAdminClient(**stack.kafka.aiokafka())
    await admin.start()
    try:
        if since_settled:
            started = time.perf_counter()
            events -= await conn.fetchval("select count(*) from processed_events")
        else:
            while not await conn.fetchval("select exists (select 1 from processed_events)"):
                await asyncio.sleep(0.005)
            started = time.perf_counter()
        deadline = started + 600
        while True:
            committed = await admin.list_consumer_group_offsets(f"{prefix}settlement")
            done = (end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items())
            if all(done):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError("settlement did not apply the topic within 10 minutes")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        await admin.close()
    return events / elapsed, elapsed


async def _end_offsets(stack: Stack, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**stack.kafka.aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def state(conn: asyncpg.Connection) -> list[tuple[object, ...]]:
    """What a replay must not change: every balance, escrow, figure and the event count."""
    rows = []
    for query in (
        "select account_id, debits_pending, debits_posted, credits_pending, credits_posted from accounts",
        "select order_id, status, held::text, refunded, fee, version from escrows",
        "select tenant_id, grant_id, category, budget, encumbered, expended, refunded from grant_figures",
        "select count(*) from transfers union all select count(*) from outbox",
    ):
        rows += sorted(tuple(r) for r in await conn.fetch(query))
    return rows


async def _rewind(stack: Stack, prefix: str, topic: str) -> None:
    """Settlement's consumer group back to the beginning of the topic (while no member runs)."""
    ends = await _end_offsets(stack, topic)
    consumer = AIOKafkaConsumer(
        **stack.kafka.aiokafka(), group_id=f"{prefix}settlement", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.commit({tp: 0 for tp in ends})
    finally:
        await consumer.stop()

"""Chaos: while a load driver takes orders through their whole lives, a random service process (or
a relay running on its own) is killed with SIGKILL every few seconds and restarted; once the Kafka
broker is killed and restarted, once PostgreSQL is stopped immediately and restarted. When the
system is quiet every order agrees with its escrow, the money invariants hold, nothing was applied
twice, and every event sent was applied (or dead-lettered) by every consumer that handles it.

`pytest -m chaos` runs it; CI runs this short form with the rest of the suite
(`UNISETTLE_CHAOS_ORDERS=400 pytest -m chaos` for a longer one).

Over 300 lines: the load driver, the killer and the after-the-storm audit are one test's parts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from plumbing.messaging.appliers import Events
from plumbing.ops.status import service_status
from services.settlement.checks.invariants import run_checks
from services.settlement.money_path.checks.orders_and_escrows import disagreements
from tests.e2e.flow import Flow
from tests.e2e.processes import SERVICES, RelayProcess, ServiceProcess, quiet
from tests.e2e.test_money_flow import ALICE, FINANCE, SUPPLIER
from tests.stack import Stack, eventually, stack_sh

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]
ORDERS = int(os.environ.get("UNISETTLE_CHAOS_ORDERS", "180"))
CHAOS_GRANT = "G-CHAOS-2026-001"
IN_FLIGHT = 20  # order lives at a time
REFUND = 800  # fen, on every sixth completed order
FINAL = {"COMPLETED", "CANCELLED", "CLOSED", "REJECTED"}


# Every answer that was a server error other than 503 `unavailable` (e.g. a 500 while Postgres
# restarts): there must be none.
SERVER_ERRORS: list[str] = []


async def call(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Retry while the service is down or restarting, or asks to wait (429, 503 with Retry-After);
    give up after 60 s. Any other server error is recorded, then retried."""
    deadline = time.monotonic() + 60
    while True:
        try:
            response = await http.request(method, url, **kwargs)
            if response.status_code in (429, 503) and "Retry-After" in response.headers:
                await asyncio.sleep(min(float(response.headers["Retry-After"]), 1.0))
                continue
            if response.status_code < 500:
                return response
            SERVER_ERRORS.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url} kept failing")
        await asyncio.sleep(0.2)


async def reach(http: httpx.AsyncClient, flow: Flow, order_id: str, wanted: str) -> str:
    """Long-poll the order until it reaches `wanted` or another final state; restarts included,
    settlement answers within seconds, so give up after about five minutes."""
    status = ""
    for _ in range(60):
        status = (
            await call(
                http,
                "GET",
                f"{flow.orders}/v1/orders/{order_id}",
                headers=ALICE,
                params={"wait_for": wanted, "timeout": 5},
            )
        ).json()["status"]
        if status == wanted or status in FINAL:
            break
    return status


async def order_life(http: httpx.AsyncClient, flow: Flow, n: int) -> str:
    body = {
        "grant_id": CHAOS_GRANT,
        "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
    }
    key = f"chaos-{n:03d}"
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, f"checkout {key} was never accepted"
        placed = await call(
            http, "POST", f"{flow.orders}/v1/checkouts", json=body, headers={**ALICE, "Idempotency-Key": key}
        )
        if placed.status_code in (200, 201):
            break
        await asyncio.sleep(0.2)  # the catalog may not have reached orders yet
    order_id: str = placed.json()["orders"][0]["order_id"]
    status = await reach(http, flow, order_id, "PAID")
    assert status == "PAID", f"order {order_id} is {status}"
    if n % 6 == 0:
        await call(
            http,
            "POST",
            f"{flow.orders}/v1/orders/{order_id}/cancel",
            headers=ALICE,
            json={"reason": "changed plans"},
        )
        return order_id
    await call(
        http,
        "POST",
        f"{flow.orders}/v1/orders/{order_id}/ship",
        headers=SUPPLIER,
        json={"carrier": "SF Express", "tracking_number": f"SF{n}"},
    )
    await call(http, "POST", f"{flow.orders}/v1/orders/{order_id}/confirm-receipt", headers=ALICE)
    if n % 6 == 3:
        await refund_after_receipt(http, flow, order_id)
    return order_id


async def refund_after_receipt(http: httpx.AsyncClient, flow: Flow, order_id: str) -> None:
    """A partial refund once the order is complete: paid from the supplier's balance."""
    await reach(http, flow, order_id, "COMPLETED")
    body = {"order_id": order_id, "amount_minor": REFUND, "reason_code": "damaged", "reason": "box crushed"}
    deadline = time.monotonic() + 120
    while True:  # refunds learns that the order completed from orders.events
        assert time.monotonic() < deadline, f"no refund could be asked for on {order_id}"
        asked = await call(http, "POST", f"{flow.refunds}/v1/refunds", headers=ALICE, json=body)
        if asked.status_code == 201:
            refund_id = asked.json()["refund_id"]
            break
        error = asked.json()["error"]
        if error["code"] == "case_already_open":  # our own earlier request, its answer lost in a kill
            refund_id = error["details"]["refund_id"]
            break
        await asyncio.sleep(0.2)
    await call(http, "POST", f"{flow.refunds}/v1/refunds/{refund_id}/agree", headers=SUPPLIER)
    deadline = time.monotonic() + 120
    while (await call(http, "GET", f"{flow.refunds}/v1/refunds/{refund_id}", headers=ALICE)).json()[
        "status"
    ] != "COMPLETED":
        assert time.monotonic() < deadline, f"refund {refund_id} was not paid"
        await asyncio.sleep(0.1)


async def crash_stack(component: str) -> None:
    """Kill Kafka or PostgreSQL the hard way and bring it back (`deploy/stack.sh crash`)."""
    await stack_sh("crash", component)


async def chaos(
    services: dict[str, ServiceProcess],
    relay: RelayProcess,
    stack: Stack,
    prefix: str,
    stop: asyncio.Event,
    kills: list[str],
) -> None:
    """Every 2 to 4 s kill something; the second round takes the broker down, the fourth Postgres."""
    rng = random.Random(7)
    stack_crashes = {2: "kafka", 4: "postgres"}
    rounds = 0
    while not stop.is_set() or stack_crashes:
        with contextlib.suppress(TimeoutError):  # a few seconds, or at once when the load is done
            await asyncio.wait_for(stop.wait(), rng.uniform(2.0, 4.0))
        rounds += 1
        if stack_crashes and (rounds in stack_crashes or stop.is_set()):
            component = stack_crashes.pop(min(stack_crashes))
            await crash_stack(component)
            kills.append(component)
            continue
        if stop.is_set():
            return
        victim_name = rng.choice([*SERVICES, "relay"])
        if victim_name == "relay":
            await relay.stop()
            kills.append("settlement-relay")
            await relay.start(stack)
            continue
        victim = services[victim_name]
        assert victim.process is not None
        victim.process.send_signal(signal.SIGKILL)
        await victim.process.wait()
        kills.append(victim.name)
        await victim.start(stack, prefix)
        await victim.wait_ready(timeout=90)


async def event_ids(dsn: str, query: str, *args: object) -> set[uuid.UUID]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["event_id"] for r in await conn.fetch(query, *args)}
    finally:
        await conn.close()


async def unapplied(services: dict[str, ServiceProcess], prefix: str) -> dict[str, tuple[int, int]]:
    """Per (topic → consumer): events sent that the consumer handles, and how many of them it did
    not apply (nor dead-letter)."""
    from services.orders.events import EVENTS as ORDERS
    from services.refunds.events import EVENTS as REFUNDS
    from services.settlement.events import EVENTS as SETTLEMENT

    consumers: dict[str, Events[Any]] = {"orders": ORDERS, "settlement": SETTLEMENT, "refunds": REFUNDS}
    figures: dict[str, tuple[int, int]] = {}
    for consumer, events in consumers.items():
        types, topics = {e.event_type for e in events.handled}, events.topics
        seen = await event_ids(
            services[consumer].dsn,
            "select event_id from processed_events where consumer = $1"
            " union select event_id from dead_letters where consumer = $1 and event_id is not null",
            consumer,
        )
        for topic in topics:
            producer = topic.value.split(".")[0]
            if producer not in services or not topic.value.endswith(".events"):
                continue  # commands come from procurement platforms, not from a service
            sent = await event_ids(
                services[producer].dsn,
                "select event_id from outbox where topic = $1"
                " and convert_from(value, 'UTF8')::jsonb ->> 'event_type' = any($2::text[])",
                f"{prefix}{topic.value}",
                sorted(types),
            )
            figures[f"{topic.value} → {consumer}"] = (len(sent), len(sent - seen))
    return figures


async def audit_counts(orders: asyncpg.Connection, refunds_dsn: str) -> dict[str, int]:
    counts = dict(await orders.fetch("select action, count(*) from audit_log group by action"))
    refunds = await asyncpg.connect(refunds_dsn)
    try:
        counts |= dict(await refunds.fetch("select action, count(*) from audit_log group by action"))
    finally:
        await refunds.close()
    return counts


async def test_kill_9_under_load_keeps_every_invariant(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str, tmp_path: Path
) -> None:
    http = flow.http
    relay = RelayProcess("settlement", services["settlement"].dsn, tmp_path / "settlement-relay.log")
    await relay.start(stack)
    grant = await call(
        http,
        "POST",
        f"{flow.settlement}/v1/grants",
        headers=FINANCE,
        json={
            "grant_id": CHAOS_GRANT,
            "code": "CHAOS-1",
            "title": "Load under failure",
            "pi_id": "prof-wang",
            "authorised_buyers": ["alice"],
            "budget_by_category": {"consumables": 10_000_000},
            "period_start": "2026-01-01",
            "period_end": "2028-12-31",
            "approval_threshold_minor": 5_000_000,
        },
    )
    assert grant.status_code == 201, grant.text
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def life(n: int) -> str:
        async with gate:
            return await order_life(http, flow, n)

    stop, kills = asyncio.Event(), list[str]()
    chaos_task = asyncio.create_task(chaos(services, relay, stack, topic_prefix, stop, kills))
    started = time.monotonic()
    try:
        order_ids = await asyncio.gather(*(life(n) for n in range(ORDERS)))
    finally:
        stop.set()
        await chaos_task
        await relay.stop()
    elapsed = time.monotonic() - started

    async def all_final() -> bool:
        states = [
            (await call(http, "GET", f"{flow.orders}/v1/orders/{o}", headers=ALICE)).json()["status"]
            for o in order_ids
        ]
        return set(states) <= FINAL

    await eventually(all_final, timeout=120, what="every order to reach a final state")
    await eventually(lambda: quiet(services, stack, topic_prefix), timeout=120, what="the system to be quiet")

    states = [
        (await call(http, "GET", f"{flow.orders}/v1/orders/{o}", headers=ALICE)).json()["status"]
        for o in order_ids
    ]
    execution = (
        await call(http, "GET", f"{flow.settlement}/v1/grants/{CHAOS_GRANT}/execution", headers=FINANCE)
    ).json()["total"]
    settlement = await asyncpg.connect(services["settlement"].dsn)
    orders = await asyncpg.connect(services["orders"].dsn)
    try:
        failed = [f"{r.name}: {r.detail}" for r in await run_checks(settlement) if not r.ok]
        failed += await disagreements(orders, settlement)
        released = await settlement.fetchval(
            "select coalesce(sum(amount), 0) from escrows where status = 'released'"
        )
        escrows = await settlement.fetchval("select count(*) from escrows")
        double = await settlement.fetchval(
            "select count(*) from (select order_id from transfers where code = 'escrow_release'"
            " group by order_id having count(*) > 1) d"
        )
        audited = await audit_counts(orders, services["refunds"].dsn)
    finally:
        await settlement.close()
        await orders.close()

    delivery = await unapplied(services, topic_prefix)
    dead_letters = {}
    for name, service in services.items():
        status = await service_status(name, service.dsn, stack.kafka, f"{topic_prefix}{name}")
        dead_letters[name] = status.open_dead_letters
    completed = sum(1 for s in states if s == "COMPLETED")
    expected = 2800 * (ORDERS - len(range(0, ORDERS, 6)))
    print(
        f"\nchaos: {ORDERS} orders in {elapsed:.1f}s, {len(kills)} kills ({', '.join(kills)}); "
        f"{completed} completed, released {int(released)} fen"
    )
    print(f"chaos:   dead letters {dead_letters}")
    for route, (sent, missing) in delivery.items():
        print(f"chaos:   {route:<32} sent {sent:>5}  applied or dead-lettered {sent - missing:>5}")
    assert failed == []
    assert SERVER_ERRORS == []  # Postgres, Kafka and services restarting: 503 or no answer, never 500
    assert {"kafka", "postgres"} <= set(kills) and set(kills) & set(SERVICES), kills
    assert all(missing == 0 for _, missing in delivery.values()), delivery
    assert sum(dead_letters.values()) == 0, dead_letters  # nothing in this load may be refused
    assert delivery["orders.events → settlement"][0] >= ORDERS  # at least one OrderPlaced each
    assert escrows == ORDERS  # no order lost between orders and settlement
    refunded = REFUND * len([n for n in range(ORDERS) if n % 6 == 3])
    assert completed == ORDERS - len(range(0, ORDERS, 6)) and released == expected
    assert execution["refunded"] == refunded and execution["expended"] == expected - refunded
    # each action on the audit trail exactly once, kills and retried requests notwithstanding
    assert audited == {
        "order.receipt_confirmed": completed,
        "order.cancelled": len(range(0, ORDERS, 6)),
        "refund.agreed": len([n for n in range(ORDERS) if n % 6 == 3]),
    }, audited
    assert double == 0

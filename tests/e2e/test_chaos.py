"""Chaos: while a load driver takes orders through their whole lives, a random service process is
killed with SIGKILL every few seconds and restarted. When the system is quiet every order agrees
with its escrow, the money invariants hold, nothing was applied twice and nothing was lost.

`pytest -m chaos` runs it; CI runs this short form with the rest of the suite."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from typing import Any

import asyncpg
import httpx
import pytest

from plumbing.operations import service_status
from services.settlement.agreement import disagreements
from services.settlement.check import run_checks
from tests.e2e.flow import Flow
from tests.e2e.processes import SERVICES, ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, SUPPLIER
from tests.stack import Stack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]
ORDERS = 120
CHAOS_GRANT = "G-CHAOS-2026-001"
IN_FLIGHT = 20  # order lives at a time
FINAL = {"COMPLETED", "CANCELLED", "CLOSED", "REJECTED"}


async def call(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Retry while the service is down or restarting; give up after 60 s."""
    deadline = time.monotonic() + 60
    while True:
        try:
            response = await http.request(method, url, **kwargs)
            if response.status_code < 500:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url} kept failing")
        await asyncio.sleep(0.2)


async def order_life(http: httpx.AsyncClient, flow: Flow, n: int) -> str:
    body = {
        "grant_id": CHAOS_GRANT,
        "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
    }
    key = f"chaos-{n:03d}"
    while True:
        placed = await call(
            http, "POST", f"{flow.orders}/v1/checkouts", json=body, headers={**ALICE, "Idempotency-Key": key}
        )
        if placed.status_code in (200, 201):
            break
        await asyncio.sleep(0.2)  # the catalog may not have reached orders yet
    order_id: str = placed.json()["orders"][0]["order_id"]
    for _ in range(60):  # settlement answers within seconds, restarts included
        status = (
            await call(
                http,
                "GET",
                f"{flow.orders}/v1/orders/{order_id}",
                headers=ALICE,
                params={"wait_for": "PAID", "timeout": 5},
            )
        ).json()["status"]
        if status != "AWAITING_FUNDS":
            break
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
    return order_id


async def chaos(
    services: dict[str, ServiceProcess], stack: Stack, prefix: str, stop: asyncio.Event, kills: list[str]
) -> None:
    rng = random.Random(7)
    while not stop.is_set():
        try:  # wait a few seconds, or stop at once when the load is done
            await asyncio.wait_for(stop.wait(), rng.uniform(2.0, 4.0))
            return
        except TimeoutError:
            pass
        victim = services[rng.choice(SERVICES)]
        assert victim.process is not None
        victim.process.send_signal(signal.SIGKILL)
        await victim.process.wait()
        kills.append(victim.name)
        await victim.start(stack, prefix)
        await victim.wait_ready(timeout=60)


async def quiet(services: dict[str, ServiceProcess], stack: Stack, prefix: str) -> bool:
    for name, service in services.items():
        status = await service_status(name, service.dsn, stack.kafka, f"{prefix}{name}")
        if status.outbox_backlog or any(status.consumer_lag.values()):
            return False
    return True


async def test_kill_9_under_load_keeps_every_invariant(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    http = flow.http
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
    chaos_task = asyncio.create_task(chaos(services, stack, topic_prefix, stop, kills))
    started = time.monotonic()
    try:
        order_ids = await asyncio.gather(*(life(n) for n in range(ORDERS)))
    finally:
        stop.set()
        await chaos_task
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
    finally:
        await settlement.close()
        await orders.close()

    completed = sum(1 for s in states if s == "COMPLETED")
    expected = 2800 * (ORDERS - ORDERS // 6)
    print(
        f"\nchaos: {ORDERS} orders in {elapsed:.1f}s, {len(kills)} kill -9 ({', '.join(kills)}); "
        f"{completed} completed, released {int(released)} fen"
    )
    assert failed == []
    assert kills, "the chaos loop never killed anything"
    assert escrows == ORDERS  # no order lost between orders and settlement
    assert completed == ORDERS - ORDERS // 6 and released == expected == execution["expended"]
    assert double == 0

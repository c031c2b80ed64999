"""Checkout at interactive speed: one read and one write whatever the number of suppliers, the
first answer's bytes kept for its key, and `wait_for` answered when the status changes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from contracts.events.common import Actor
from services.orders.api.checkouts import render
from services.orders.commands import checkout as commands
from services.orders.context import Context
from services.orders.domain.checkout import CartLine
from tests.integration.orders.conftest import BUYER, UNI, OrdersApi, cart, checkout
from tests.stack import eventually

WARM_UP = cart(("SUP-004", "CS-0001", 1, 4500))
TWO_SUPPLIERS = cart(("SUP-002", "RG-0020", 2, 6800), ("SUP-004", "CS-0002", 5, 2800))


class OneConnection:
    """A pool of one connection, whose statements are counted."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn


async def test_a_checkout_is_one_read_and_one_write_whatever_its_suppliers(api: OrdersApi) -> None:
    ctx: Context = api.app.state.context
    statements: list[str] = []
    async with api.app.state.pool.acquire() as conn:
        conn.add_query_logger(lambda q: statements.append(q.query))
        counted = dataclasses.replace(ctx, pool=OneConnection(conn))
        buyer = commands.Buyer(UNI, Actor(user_id=BUYER, role="researcher"))
        # The first use of a connection also prepares its statements (asyncpg caches them per
        # connection): counted from the second checkout on.
        for body in (WARM_UP, cart(("SUP-004", "CS-0002", 1, 2800)), TWO_SUPPLIERS):
            lines = [
                CartLine(x["supplier_id"], x["sku"], x["quantity"], x["unit_price_minor"])
                for x in body["lines"]
            ]
            statements.clear()
            _, created = await commands.checkout(
                counted, buyer, body["grant_id"], lines, f"key-{uuid.uuid4()}", render
            )
            assert created
            if body is not WARM_UP:
                assert len(statements) == 2, statements
    async with api.app.state.pool.acquire() as conn:
        placed = await conn.fetchval("select count(*) from orders")
        timelines = await conn.fetchval("select count(*) from order_timeline")
        deadlines = await conn.fetchval("select count(*) from order_timers")
        outbox = await conn.fetch("select topic from outbox")
    assert (placed, timelines, deadlines) == (4, 4, 4)  # 1 + 1 + 2 orders, each placed with payment due
    assert len(outbox) == 4 and all(r["topic"].endswith("orders.events") for r in outbox)


async def test_the_same_key_answers_with_the_first_answers_bytes_even_when_sent_at_once(
    api: OrdersApi,
) -> None:
    key = f"key-{uuid.uuid4()}"

    async def send() -> Any:
        return await api.http.post(
            "/v1/checkouts", json=TWO_SUPPLIERS, headers={**api.buyer(), "Idempotency-Key": key}
        )

    answers = await asyncio.gather(*(send() for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.content for a in answers}) == 1  # the very same bytes
    again = await send()
    assert (again.status_code, again.content) == (200, answers[0].content)
    async with api.app.state.pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from orders") == 2
        assert await conn.fetchval("select count(*) from outbox") == 2


async def test_wait_for_answers_when_the_status_changes(api: OrdersApi) -> None:
    order = (await checkout(api, cart(("SUP-004", "CS-0002", 1, 2800))))["orders"][0]
    oid = order["order_id"]
    waiting = asyncio.create_task(
        api.http.get(f"/v1/orders/{oid}", params={"wait_for": "PAID", "timeout": 30}, headers=api.buyer())
    )
    started = time.monotonic()
    await api.settle(order, "reserved")
    answer = await asyncio.wait_for(waiting, 30)
    assert answer.status_code == 200 and answer.json()["status"] == "PAID"
    assert time.monotonic() - started < 10  # woken by the change, long before its 30 s

    # Nothing changes: the answer comes at the timeout, with the status as it is.
    started = time.monotonic()
    unchanged = await api.http.get(
        f"/v1/orders/{oid}", params={"wait_for": "SHIPPED", "timeout": 1}, headers=api.buyer()
    )
    assert unchanged.json()["status"] == "PAID" and time.monotonic() - started >= 1


async def test_a_status_change_committed_anywhere_wakes_whoever_watches_that_order(api: OrdersApi) -> None:
    first = (await checkout(api, cart(("SUP-004", "CS-0002", 1, 2800))))["orders"][0]["order_id"]
    other = (await checkout(api, cart(("SUP-004", "CS-0002", 2, 2800))))["orders"][0]["order_id"]
    changes = api.app.state.context.status_changes
    await eventually(lambda: _true(changes.listening), what="the orders service to listen for changes")
    async with changes.watch(first) as watched, changes.watch(other) as untouched:
        conn = await asyncpg.connect(api.dsn)  # another session, as another process would
        try:
            await conn.execute("update orders set status = 'CANCELLED' where order_id = $1", first)
            await conn.execute("update orders set tracking_number = 'SF1' where order_id = $1", other)
        finally:
            await conn.close()
        assert await watched.changed(10)
        assert not await untouched.changed(0.5)  # no status of its own changed


async def _true(value: bool) -> bool:
    return value

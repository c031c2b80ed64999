"""Procurement platforms place and cancel orders through `orders.commands`, keyed by their own
reference: idempotent, answered by events, and invalid commands dead-lettered with their reason."""

from __future__ import annotations

import asyncpg
import pytest

from contracts.events.commands import CancelOrder, CommandLine, PlaceOrder
from contracts.events.common import Actor
from contracts.topics import Topic
from tests.integration.kafka_io import read_topic
from tests.integration.orders.conftest import BUYER, GRANT, OrdersApi
from tests.stack import eventually

pytestmark = pytest.mark.integration
PLATFORM = "labmall"
ALICE = Actor(user_id=BUYER, role="researcher")


def place(ref: str, price: int = 2800) -> PlaceOrder:
    return PlaceOrder(
        external_ref=ref,
        platform_id=PLATFORM,
        grant_id=GRANT,
        buyer=ALICE,
        lines=[
            CommandLine(supplier_id="SUP-004", sku="CS-0002", quantity=4, unit_price_minor=price),
            CommandLine(supplier_id="SUP-002", sku="RG-0020", quantity=1, unit_price_minor=6800),
        ],
    )


async def orders_of(api: OrdersApi, ref: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(api.dsn)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "select order_id, status, supplier_id from orders where external_ref = $1 order by supplier_id",
            ref,
        )
    finally:
        await conn.close()
    return rows


async def test_place_twice_makes_the_orders_once_and_cancel_cancels_them(api: OrdersApi) -> None:
    await api.publish(Topic.ORDERS_COMMANDS, "PO-2026-0001", place("PO-2026-0001"), place("PO-2026-0001"))

    async def placed() -> bool:
        return len(await orders_of(api, "PO-2026-0001")) == 2

    await eventually(placed, what="the platform's orders")
    events = await api.events_on_orders_topic(at_least=2)
    assert {e["payload"]["external_ref"] for e in events} == {"PO-2026-0001"}
    assert len([e for e in events if e["event_type"] == "orders.OrderPlaced"]) == 2

    await api.publish(
        Topic.ORDERS_COMMANDS,
        "PO-2026-0001",
        CancelOrder(
            external_ref="PO-2026-0001", platform_id=PLATFORM, requested_by=ALICE, reason="budget moved"
        ),
    )

    async def cancelled() -> bool:
        return {r["status"] for r in await orders_of(api, "PO-2026-0001")} == {"CANCELLED"}

    await eventually(cancelled, what="the platform's cancellation")
    assert len(await orders_of(api, "PO-2026-0001")) == 2


async def test_invalid_commands_go_to_the_dlq_with_their_reason(api: OrdersApi) -> None:
    await api.publish(Topic.ORDERS_COMMANDS, "PO-2", place("PO-2", price=2500))  # stale price
    await api.publish(Topic.ORDERS_COMMANDS, "PO-3", place("PO-3"), place("PO-3", price=2500))  # reused ref
    await api.publish(
        Topic.ORDERS_COMMANDS,
        "PO-4",
        CancelOrder(external_ref="PO-4", platform_id=PLATFORM, requested_by=ALICE, reason="never placed"),
    )
    dlq = await read_topic(api.stack.kafka, api.topic(Topic.ORDERS_COMMANDS) + ".dlq", at_least=3)
    reasons = sorted(dict(r.headers)["dlq.reason_code"].decode() for r in dlq)
    assert reasons == ["duplicate_external_ref", "order_not_found", "stale_price"]
    assert await orders_of(api, "PO-2") == []
    assert len(await orders_of(api, "PO-3")) == 2  # the first PO-3 stands

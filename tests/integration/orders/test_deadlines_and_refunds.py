"""Deadlines fired by the scheduler with an injected clock, and refunds pausing the receipt timer,
all against the real database and broker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events.common import Actor
from contracts.events.refunds import RefundClosed, RefundRequested
from contracts.money import Money
from contracts.topics import Topic
from plumbing.web.auth import Role
from tests.integration.orders.conftest import GRANT, OrdersApi, cart, checkout
from tests.stack import eventually

pytestmark = pytest.mark.integration
DAY = timedelta(days=1)


async def paid_order(api: OrdersApi) -> dict:  # type: ignore[type-arg]
    order = (await checkout(api, cart(("SUP-004", "CS-0002", 3, 2800))))["orders"][0]
    await api.settle(order, "reserved")
    return await api.order(order["order_id"], wait_for="PAID")  # type: ignore[no-any-return]


async def ship(api: OrdersApi, order_id: str) -> None:
    response = await api.http.post(
        f"/v1/orders/{order_id}/ship",
        json={"carrier": "SF", "tracking_number": "SF1"},
        headers=api.supplier("SUP-004"),
    )
    assert response.status_code == 200, response.text


async def test_receipt_confirms_itself_ten_days_after_shipping(api: OrdersApi) -> None:
    oid = (await paid_order(api))["order_id"]
    await ship(api, oid)
    api.clock.advance(10 * DAY - timedelta(seconds=1))
    assert await api.fire_deadlines() == 0
    api.clock.advance(timedelta(seconds=1))
    assert await api.fire_deadlines() == 1
    order = await api.order(oid)
    assert order["status"] == "RECEIVED"
    events = await api.events_on_orders_topic(at_least=4)
    received = [e for e in events if e["event_type"] == "orders.OrderReceived"]
    assert received[0]["payload"]["auto_confirmed"] is True
    assert received[0]["payload"]["confirmed_by"] == {"user_id": "system", "role": "system"}
    trail = await api.http.get(
        "/v1/audit",
        params={"subject": f"order:{oid}"},
        headers=api.auth(Role.PLATFORM_OPS, "ops-1", "platform"),
    )
    (entry,) = trail.json()["entries"]  # the escrow's release was decided by the deadline: on the trail
    assert (entry["action"], entry["actor_id"]) == ("order.auto_confirm_deadline", "system")
    assert (entry["before"]["status"], entry["after"]["status"]) == ("SHIPPED", "RECEIVED")


async def test_an_order_not_shipped_in_seven_days_cancels_itself(api: OrdersApi) -> None:
    oid = (await paid_order(api))["order_id"]
    api.clock.advance(7 * DAY)
    assert await api.fire_deadlines() == 1
    order = await api.order(oid)
    assert order["status"] == "CANCELLED"
    timeline = (await api.http.get(f"/v1/orders/{oid}/timeline", headers=api.buyer())).json()
    assert timeline[-1]["reason"] == "not_shipped_in_time: the supplier did not ship in time"


async def test_an_open_refund_pauses_auto_confirm_until_the_case_closes(api: OrdersApi) -> None:
    order = await paid_order(api)
    oid = order["order_id"]
    await ship(api, oid)
    api.clock.advance(4 * DAY)
    buyer = Actor(user_id="alice", role="researcher")
    await api.publish(
        Topic.REFUNDS_EVENTS,
        "R-1",
        RefundRequested(
            refund_id="R-1",
            order_id=oid,
            supplier_id="SUP-004",
            grant_id=GRANT,
            requested_by=buyer,
            amount=Money.cny(2800),
            reason_code="damaged",
            reason="one box arrived crushed",
            goods_return_required=False,
            seller_deadline=api.clock.now() + 5 * DAY,
        ),
    )

    async def paused() -> bool:
        return bool((await api.order(oid))["deadlines"][0]["paused"])

    await eventually(paused, what="the refund to pause the receipt timer")
    assert (await api.order(oid))["refund_state"] == "in_progress"
    api.clock.advance(30 * DAY)
    assert await api.fire_deadlines() == 0

    await api.publish(
        Topic.REFUNDS_EVENTS, "R-1", RefundClosed(refund_id="R-1", order_id=oid, reason_code="buyer_withdrew")
    )

    async def resumed() -> bool:
        return not (await api.order(oid))["deadlines"][0]["paused"]

    await eventually(resumed, what="the receipt timer to resume")
    api.clock.advance(6 * DAY - timedelta(seconds=1))  # 6 days were left when it paused
    assert await api.fire_deadlines() == 0
    api.clock.advance(timedelta(seconds=1))
    assert await api.fire_deadlines() == 1
    assert (await api.order(oid))["status"] == "RECEIVED"


async def test_unapproved_orders_close_after_five_days(api: OrdersApi) -> None:
    order = (await checkout(api, cart(("SUP-002", "RG-0002", 1, 2800))))["orders"][0]
    assert order["status"] == "PENDING_APPROVAL"
    api.clock.advance(5 * DAY)
    assert await api.fire_deadlines() == 1
    assert (await api.order(order["order_id"]))["status"] == "CLOSED"
    events = await api.events_on_orders_topic(at_least=3)
    closed = [e["payload"] for e in events if e["event_type"] == "orders.OrderClosed"]
    assert closed == [{"order_id": order["order_id"], "grant_id": GRANT, "reason_code": "approval_timeout"}]

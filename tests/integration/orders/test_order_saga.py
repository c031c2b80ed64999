"""A researcher checks out a multi-supplier cart through the API and follows each order to
COMPLETED on real events; rejection, approvals and the timeline along the way."""

from __future__ import annotations

import pytest

from plumbing.web.auth import Role
from tests.integration.orders.conftest import BUYER, MEMBER, OFFICER, PI, OrdersApi, cart, checkout

pytestmark = pytest.mark.integration


async def test_multi_supplier_checkout_to_completed(api: OrdersApi) -> None:
    result = await checkout(api, cart(("SUP-002", "RG-0020", 2, 6800), ("SUP-004", "CS-0002", 5, 2800)))
    by_supplier = {o["supplier_id"]: o for o in result["orders"]}
    assert set(by_supplier) == {"SUP-002", "SUP-004"}
    assert result["total_minor"] == 2 * 6800 + 5 * 2800
    assert all(o["status"] == "AWAITING_FUNDS" for o in result["orders"])

    for order in result["orders"]:
        await api.settle(order, "reserved")
    for order in result["orders"]:
        assert (await api.order(order["order_id"], wait_for="PAID"))["status"] == "PAID"

    tips = by_supplier["SUP-004"]["order_id"]
    shipped = await api.http.post(
        f"/v1/orders/{tips}/ship",
        json={"carrier": "SF Express", "tracking_number": "SF1402345678"},
        headers=api.supplier("SUP-004"),
    )
    assert shipped.json()["status"] == "SHIPPED"
    received = await api.http.post(f"/v1/orders/{tips}/confirm-receipt", headers=api.buyer())
    assert received.json()["status"] == "RECEIVED"
    await api.settle(by_supplier["SUP-004"], "released")
    assert (await api.order(tips, wait_for="COMPLETED"))["status"] == "COMPLETED"

    events = await api.events_on_orders_topic(at_least=7)  # 2 for one order, 5 for the other
    mine = [
        (e["event_type"].split(".")[1], e["aggregate_version"]) for e in events if e["aggregate_id"] == tips
    ]
    assert mine == [
        ("OrderPlaced", 1),
        ("OrderPaid", 2),
        ("OrderShipped", 3),
        ("OrderReceived", 4),
        ("OrderCompleted", 5),
    ]
    placed = next(e for e in events if e["aggregate_id"] == tips)
    assert placed["correlation_id"] == result["checkout_id"] and placed["tenant_id"] == "tsinghua"
    assert placed["payload"]["lines"][0]["unit_price_minor"] == 2800

    timeline = (await api.http.get(f"/v1/orders/{tips}/timeline", headers=api.buyer())).json()
    assert [(t["action"], t["actor_role"], t["to_status"]) for t in timeline] == [
        ("placed", "researcher", "AWAITING_FUNDS"),
        ("funds reserved", "system", "PAID"),
        ("shipped", "supplier", "SHIPPED"),
        ("receipt confirmed", "researcher", "RECEIVED"),
        ("escrow released", "system", "COMPLETED"),
    ]
    assert timeline[2]["reason"] == "SF Express SF1402345678"


async def test_funds_rejected_makes_the_order_rejected_with_settlements_reason(api: OrdersApi) -> None:
    order = (await checkout(api, cart(("SUP-004", "CS-0001", 1, 4500))))["orders"][0]
    await api.settle(order, "rejected", detail="reagents budget has 1,200 fen left")
    rejected = await api.order(order["order_id"], wait_for="REJECTED")
    assert rejected["status"] == "REJECTED"
    timeline = (await api.http.get(f"/v1/orders/{order['order_id']}/timeline", headers=api.buyer())).json()
    assert timeline[-1]["reason"] == "insufficient_budget: reagents budget has 1,200 fen left"


async def test_hazardous_and_over_threshold_orders_wait_for_pi_and_safety_officer(api: OrdersApi) -> None:
    order = (await checkout(api, cart(("SUP-002", "RG-0002", 200, 2800))))["orders"][
        0
    ]  # 560,000 fen, flammable
    assert order["status"] == "PENDING_APPROVAL"
    assert order["approvals_pending"] == ["over_threshold", "hazardous_item"]  # given in this order
    oid = order["order_id"]
    await api.settle(order, "reserved")  # escrow is held while approvers decide

    own = await api.http.post(f"/v1/orders/{oid}/approve", headers=api.buyer(BUYER))
    assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"  # the requester
    other_uni = await api.http.post(
        f"/v1/orders/{oid}/approve", headers=api.auth(Role.SAFETY_OFFICER, "x", "pku")
    )
    assert other_uni.status_code == 404
    after_pi = await api.http.post(f"/v1/orders/{oid}/approve", headers=api.auth(Role.RESEARCHER, PI))
    assert after_pi.json()["approvals_pending"] == ["hazardous_item"]
    final = await api.http.post(f"/v1/orders/{oid}/approve", headers=api.auth(Role.SAFETY_OFFICER, OFFICER))
    assert final.json()["status"] == "PAID"
    safety_view = await api.order(oid, who=api.auth(Role.SAFETY_OFFICER, OFFICER))
    assert safety_view["funds"] == "reserved"


async def test_lab_member_purchases_wait_for_the_pi(api: OrdersApi) -> None:
    member = api.auth(Role.LAB_MEMBER, MEMBER)
    order = (await checkout(api, cart(("SUP-004", "CS-0002", 1, 2800)), who=member))["orders"][0]
    assert order["approvals_pending"] == ["lab_member_purchase"]
    denied = await api.http.post(
        f"/v1/orders/{order['order_id']}/deny",
        json={"reason": "use the shared stock"},
        headers=api.auth(Role.RESEARCHER, PI),
    )
    assert denied.json()["status"] == "CLOSED"

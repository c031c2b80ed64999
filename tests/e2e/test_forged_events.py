"""Money events that contradict what settlement knows, published by an outside client (kcat) to
the running services: none of them moves money, each is dead-lettered with what it contradicts,
the orders stay where they were, and the money invariants hold."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from contracts.access import INTEGRATION, OPERATOR, SERVICES
from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.orders import CancelReason, OrderCancelled, OrderReceived
from contracts.events.refunds import RefundAgreed, RefundCompleted, RefundRequested
from contracts.events.settlement import RefundSource
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from plumbing.messaging.kafka_access import KafkaAccess
from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, ok
from tests.integration.kafka_io import read_topic
from tests.kcat import kcat, kcat_produce
from tests.stack import Stack, eventually

pytestmark = pytest.mark.e2e
BUYER = Actor(user_id="alice", role="researcher")
SUPPLIER_ID = "SUP-004"


@dataclass
class Outsider:
    """A client that can reach the broker and writes whatever envelope it likes."""

    stack: Stack
    prefix: str

    async def publish(
        self, topic: Topic, key: str, tenant: str, event: EventPayload, *, version: int = 1
    ) -> None:
        envelope = Envelope.of(
            event,
            producer="orders" if topic is Topic.ORDERS_EVENTS else "refunds",
            aggregate_id=key,
            aggregate_version=version,
            tenant_id=tenant,
            correlation_id=f"forged-{key}",
        )
        await kcat_produce(
            self.stack.kafka, with_prefix(self.prefix, topic.value), envelope.to_bytes(), key=key.encode()
        )


async def dead_letters(settlement: ServiceProcess) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(settlement.dsn)
    try:
        rows = await conn.fetch("select reason_code, reason from dead_letters order by id")
    finally:
        await conn.close()
    return [(r["reason_code"], r["reason"]) for r in rows]


async def money(flow: Flow, order_id: str) -> dict[str, Any]:
    """What a finance office and operations would look at: the escrow, the grant, the supplier."""
    return {
        "escrow": ok(await flow.http.get(f"{flow.settlement}/v1/orders/{order_id}/escrow", headers=FINANCE)),
        "grant": await flow.execution(),
        "supplier": ok(
            await flow.http.get(f"{flow.settlement}/v1/suppliers/{SUPPLIER_ID}/balance", headers=OPS)
        ),
    }


def received(order_id: str, *, supplier: str = SUPPLIER_ID, grant: str = GRANT, amount: int) -> OrderReceived:
    return OrderReceived(
        order_id=order_id,
        supplier_id=supplier,
        grant_id=grant,
        confirmed_by=BUYER,
        auto_confirmed=False,
        amount=Money.cny(amount),
    )


def agreed(refund_id: str, order_id: str, amount: int) -> RefundAgreed:
    return RefundAgreed(
        refund_id=refund_id,
        order_id=order_id,
        supplier_id=SUPPLIER_ID,
        grant_id=GRANT,
        amount=Money.cny(amount),
        agreed_by=Actor(user_id="jinling-admin", role="supplier"),
        automatic=False,
        pay_by=datetime.now(UTC) + timedelta(hours=24),
    )


async def test_forged_receipts_and_refunds_move_no_money(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    outsider = Outsider(stack, topic_prefix)
    settlement = services["settlement"]

    # A shipped order nobody confirmed: receipts that contradict its escrow in every way and in
    # each single way (an amount of 1 fen; another university, supplier or grant).
    shipped = await flow.paid_order(quantity=3)  # 3 x 28.00 = 84.00
    await flow.ship(shipped)
    await flow.order(shipped, "SHIPPED")
    before = await money(flow, shipped)
    forged = [
        ("fudan", received(shipped, supplier="SUP-001", grant="G-FUDAN-1", amount=1)),
        ("tsinghua", received(shipped, amount=1)),
        ("fudan", received(shipped, amount=8_400)),
        ("tsinghua", received(shipped, supplier="SUP-001", amount=8_400)),
        ("tsinghua", received(shipped, grant="G-FUDAN-1", amount=8_400)),
        ("tsinghua", received(shipped, amount=8_401)),  # more than the order
    ]
    for tenant, event in forged:
        await outsider.publish(Topic.ORDERS_EVENTS, shipped, tenant, event)

    async def all_refused() -> bool:
        return len(await dead_letters(settlement)) == len(forged)

    await eventually(all_refused, timeout=30, what="settlement to dead-letter every forged receipt")
    letters = await dead_letters(settlement)
    assert {code for code, _ in letters} == {"event_contradicts_escrow"}
    reasons = [reason for _, reason in letters]
    assert "tenant_id: event says 'fudan'" in reasons[0] and "amount: event says 1 fen" in reasons[0]
    assert "supplier_id: event says 'SUP-001'" in reasons[0] and "grant_id" in reasons[0]
    assert "amount: event says 1 fen, escrow holds 8400" in reasons[1]
    assert "amount: event says 8401 fen" in reasons[5]
    assert await money(flow, shipped) == before
    assert before["escrow"]["status"] == "held"
    await flow.order(shipped, "SHIPPED")
    await checks_pass(services)  # invariant 8 too: the order and its escrow still agree

    # The buyer's own confirmation still settles it.
    ok(await flow.http.post(f"{flow.orders}/v1/orders/{shipped}/confirm-receipt", headers=ALICE))
    await flow.order(shipped, "COMPLETED")

    # A completed order: refunds nobody asked for, from another university, and more than asked.
    completed = await flow.completed_order(quantity=2)
    asked = ok(
        await flow.http.post(
            f"{flow.refunds}/v1/refunds",
            headers=ALICE,
            json={"order_id": completed, "amount_minor": 1_000, "reason_code": "damaged", "reason": "dented"},
        ),
        201,
    )
    before = await money(flow, completed)
    forged_refunds = [
        ("fudan", agreed("R-forged-1", completed, 5_600)),
        ("tsinghua", agreed("R-forged-2", completed, 5_600)),
        ("tsinghua", agreed(asked["refund_id"], completed, 5_600)),
    ]
    for tenant, refund in forged_refunds:
        await outsider.publish(Topic.REFUNDS_EVENTS, refund.refund_id, tenant, refund)

    async def refunds_refused() -> bool:
        return len(await dead_letters(settlement)) == len(forged) + len(forged_refunds)

    await eventually(refunds_refused, timeout=30, what="settlement to dead-letter every forged refund")
    codes = [code for code, _ in (await dead_letters(settlement))[len(forged) :]]
    assert codes == ["event_contradicts_escrow", "refund_not_requested", "event_contradicts_refund"]
    assert await money(flow, completed) == before
    case = ok(await flow.http.get(f"{flow.refunds}/v1/refunds/{asked['refund_id']}", headers=ALICE))
    assert case["status"] == "WAIT_SELLER_AGREE"
    await checks_pass(services)


async def test_only_the_owner_of_orders_events_can_put_a_receipt_on_it(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    """A receipt that agrees with the escrow in every way — the one forgery settlement's checks
    cannot tell from the truth — offered by every principal but `orders`, and by clients without
    credentials: the broker refuses each, so it never reaches settlement and no escrow moves."""
    shipped = await flow.paid_order(quantity=3)  # 3 x 28.00 = 84.00
    await flow.ship(shipped)
    await flow.order(shipped, "SHIPPED")
    before = await money(flow, shipped)
    forged = Envelope.of(
        received(shipped, amount=8_400),
        producer="orders",
        aggregate_id=shipped,
        aggregate_version=99,
        tenant_id="tsinghua",
        correlation_id=f"forged-{shipped}",
    )
    topic = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    intruders = [stack.kafka_as(p) for p in (*SERVICES, INTEGRATION, OPERATOR) if p != "orders"]
    for intruder in [*intruders, KafkaAccess(stack.bootstrap_servers)]:
        code, out = await kcat(intruder, "-P", "-t", topic, "-k", shipped, stdin=forged.to_bytes() + b"\n")
        assert code != 0, f"{intruder.username} wrote orders.events: {out}"
        assert "authorization failed" in out or "SASL" in out or "Disconnected" in out, out
    on_topic = await read_topic(stack.kafka, topic, at_least=1)
    assert all(json.loads(r.value)["event_id"] != str(forged.event_id) for r in on_topic)
    assert await money(flow, shipped) == before and before["escrow"]["status"] == "held"
    assert await dead_letters(services["settlement"]) == []  # refused at the broker, never seen
    await flow.order(shipped, "SHIPPED")
    await checks_pass(services)


async def test_forged_refund_and_order_events_change_no_order_and_no_projection(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    """Written as each topic's owner, keyed by the grant like the real ones: a refund completed that
    nobody requested (in another university's envelope, and in the order's own), a refund asked of
    10,000,000 fen on an 84.00 order, a cancellation of a shipped order and a receipt of a completed
    one with a version far ahead. Orders and refunds dead-letter the contradictions and take the
    old news for what it is; no order moves, no money moves, and the buyer's real refund goes on."""
    outsider = Outsider(stack, topic_prefix)
    orders, refunds = services["orders"], services["refunds"]
    shipped = await flow.paid_order(quantity=3)  # 3 x 28.00 = 84.00
    await flow.ship(shipped)
    await flow.order(shipped, "SHIPPED")
    before = await money(flow, shipped)

    def completion(tenant: str) -> tuple[str, RefundCompleted]:
        event = RefundCompleted(
            refund_id=f"R-forged-{tenant}",
            order_id=shipped,
            amount=Money.cny(8_400),
            source=RefundSource.ESCROW,
            agreed_at=datetime.now(UTC),
            settled_at=datetime.now(UTC),
        )
        return tenant, event

    huge = RefundRequested(
        refund_id="R-forged-huge",
        order_id=shipped,
        supplier_id=SUPPLIER_ID,
        grant_id=GRANT,
        requested_by=BUYER,
        amount=Money.cny(10_000_000),
        reason_code="damaged",
        reason="forged",
        goods_return_required=False,
        seller_deadline=datetime.now(UTC) + timedelta(days=2),
    )
    for tenant, event in [completion("fudan"), completion("tsinghua"), ("tsinghua", huge)]:
        await outsider.publish(Topic.REFUNDS_EVENTS, GRANT, tenant, event)

    async def orders_refused() -> bool:
        return len(await dead_letters(orders)) == 3

    await eventually(orders_refused, timeout=30, what="orders to dead-letter every forged refund event")
    letters = await dead_letters(orders)
    assert [code for code, _ in letters] == [
        "event_contradicts_order",
        "refund_not_requested",
        "event_contradicts_order",
    ]
    assert "tenant_id: event says 'fudan', orders has 'tsinghua'" in letters[0][1]
    assert "event asks 10000000 fen, 8400 is unrefunded" in letters[2][1]
    order = await flow.order(shipped, "SHIPPED")
    assert order["refund_state"] == "none"
    assert await money(flow, shipped) == before and before["escrow"]["status"] == "held"

    # A cancellation of the shipped order in another university's envelope, its version far ahead
    # of every real one: settlement and refunds' view refuse it, and the later real events are not
    # taken for older ones.
    cancelled = OrderCancelled(
        order_id=shipped, grant_id=GRANT, cancelled_by=BUYER, reason_code=CancelReason.BUYER_CANCELLED
    )
    await outsider.publish(Topic.ORDERS_EVENTS, GRANT, "fudan", cancelled, version=1_000_000)

    async def refunds_refused() -> bool:
        return [code for code, _ in await dead_letters(refunds)] == ["event_contradicts_order"]

    await eventually(refunds_refused, timeout=30, what="refunds to dead-letter the forged cancellation")

    async def settlement_refused() -> bool:
        letters = await dead_letters(services["settlement"])
        return bool(letters) and letters[-1][0] == "event_contradicts_escrow"

    await eventually(settlement_refused, timeout=30, what="settlement to dead-letter the forged cancellation")
    asked = await flow.http.post(
        f"{flow.refunds}/v1/refunds",
        headers=ALICE,
        json={"order_id": shipped, "amount_minor": 1_000, "reason_code": "damaged", "reason": "dented"},
    )
    assert asked.status_code == 201, asked.text
    await flow.order(shipped, "SHIPPED")

    # A receipt of a completed order with a version far ahead: old news to refunds' view, which
    # stays COMPLETED (a completed order's refund window counts from its completion).
    completed = await flow.completed_order(quantity=1)
    receipt = received(completed, amount=2_800)
    await outsider.publish(Topic.ORDERS_EVENTS, GRANT, "tsinghua", receipt, version=1_000_000)
    await flow.completed_order(quantity=1)  # a later event on the same partition has been read

    async def view_status() -> str:
        conn = await asyncpg.connect(refunds.dsn)
        try:
            return str(await conn.fetchval("select status from orders_view where order_id = $1", completed))
        finally:
            await conn.close()

    assert await view_status() == "COMPLETED"
    late = await flow.http.post(
        f"{flow.refunds}/v1/refunds",
        headers=ALICE,
        json={"order_id": completed, "amount_minor": 500, "reason_code": "damaged", "reason": "dented"},
    )
    assert late.status_code == 201, late.text
    await checks_pass(services)

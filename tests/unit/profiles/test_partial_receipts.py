"""The supplier profile measures delivery to the receipt that completes an order: a receipt of
part of it is not yet the order received."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import OrderReceived, ReceivedLine
from contracts.money import Money
from plumbing.messaging.delivery import Delivery
from services.profiles.facts import OrderFact, fact_of


def received(complete: bool) -> Delivery:
    event = OrderReceived(
        order_id="O-1",
        supplier_id="SUP-004",
        grant_id="G-1",
        confirmed_by=Actor(user_id="bob", role="lab_member"),
        auto_confirmed=False,
        amount=Money.cny(8_400),
        receipt_no=1,
        lines=[ReceivedLine(line_no=1, quantity=3, amount_minor=8_400, category="consumables")],
        complete=complete,
    )
    envelope = Envelope.of(
        event,
        producer="orders",
        aggregate_id="O-1",
        aggregate_version=5,
        tenant_id="tsinghua",
        correlation_id="c",
    )
    record: Any = SimpleNamespace(topic="orders.events", partition=0, offset=7, headers=[])
    return Delivery(record, envelope, event)


def test_only_the_receipt_that_completes_the_order_is_a_received_fact() -> None:
    assert fact_of(received(complete=False)) is None
    whole = fact_of(received(complete=True))
    assert isinstance(whole, OrderFact) and whole.fact["kind"] == "received"

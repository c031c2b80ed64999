"""Which money events settlement refuses as contradicting what it knows."""

from __future__ import annotations

from services.settlement.money_path.domain.consistency import (
    Known,
    differences,
    received_amount_differences,
    refund_amount_differences,
)

ESCROW = Known(tenant_id="tsinghua", order_id="O-1", grant_id="G-1", supplier_id="SUP-004")


def test_an_event_naming_the_escrow_as_it_is_agrees() -> None:
    assert (
        differences(ESCROW, tenant_id="tsinghua", order_id="O-1", grant_id="G-1", supplier_id="SUP-004") == []
    )
    assert (
        differences(ESCROW, tenant_id="tsinghua", order_id="O-1", grant_id="G-1") == []
    )  # names no supplier


def test_every_field_that_differs_is_named() -> None:
    wrong = differences(ESCROW, tenant_id="fudan", order_id="O-1", grant_id="G-9", supplier_id="SUP-001")
    assert wrong == [
        "tenant_id: event says 'fudan', settlement has 'tsinghua'",
        "grant_id: event says 'G-9', settlement has 'G-1'",
        "supplier_id: event says 'SUP-001', settlement has 'SUP-004'",
    ]


def test_a_receipt_names_between_what_is_held_and_the_order() -> None:
    # 10,000 ordered, 2,000 refunded from escrow: orders may not have heard of that refund yet.
    assert received_amount_differences(8_000, held=8_000, order_amount=10_000) == []
    assert received_amount_differences(10_000, held=8_000, order_amount=10_000) == []
    assert received_amount_differences(1, held=8_000, order_amount=10_000) != []
    assert received_amount_differences(10_001, held=8_000, order_amount=10_000) != []


def test_an_agreed_refund_is_at_most_what_was_asked() -> None:
    assert refund_amount_differences(1_000, requested=1_000) == []
    assert refund_amount_differences(600, requested=1_000) == []  # a partial award
    assert refund_amount_differences(1_001, requested=1_000) == ["amount: 1001 fen agreed, 1000 asked for"]

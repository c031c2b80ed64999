"""Received-not-invoiced (暂估) by supplier and grant, by hand: received less refunds after
release less what matched invoices cover, never below zero per order."""

from __future__ import annotations

from services.settlement.books.domain.accruals import OrderReceipt, accruals


def receipt(
    order: str, received: int, refunded: int = 0, invoiced: int = 0, supplier: str = "SUP-004"
) -> OrderReceipt:
    return OrderReceipt(order, supplier, "G-1", "NSFC-22375001", received, refunded, invoiced)


def test_what_is_received_and_not_invoiced_is_accrued_by_supplier_and_grant() -> None:
    found = accruals(
        [
            receipt("O-1", 14_233, refunded=1_250, invoiced=14_233 - 1_250),  # invoiced in full: nothing
            receipt("O-2", 5_600),  # its invoice voided: all of it
            receipt("O-3", 9_650, invoiced=9_650 + 200),  # invoiced above what it kept: not below zero
            receipt("O-4", 1_000, invoiced=400, supplier="SUP-001"),
        ]
    )
    assert [(a.supplier_id, a.accrued, a.orders) for a in found] == [
        ("SUP-001", 600, ("O-4",)),
        ("SUP-004", 5_600, ("O-2",)),
    ]
    assert (found[1].received, found[1].refunded, found[1].invoiced) == (
        29_483,
        1_250,
        14_233 - 1_250 + 9_850,
    )


def test_a_group_with_nothing_accrued_is_left_out() -> None:
    assert accruals([receipt("O-1", 100, invoiced=100)]) == []

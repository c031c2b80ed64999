"""Realistic events for tests."""

from __future__ import annotations

import uuid

from contracts.envelope import Envelope
from contracts.events.common import BudgetCategory
from contracts.events.orders import OrderLine
from contracts.events.settlement import FundsReserved
from contracts.money import Money


def reservation(order_no: int, amount_minor: int = 12_345, *, tenant: str = "tsinghua") -> Envelope:
    order_id = f"O-{order_no:06d}"
    return Envelope.of(
        FundsReserved(
            order_id=order_id,
            grant_id="G-2026-001",
            supplier_id="S-1",
            amount=Money.cny(amount_minor),
            by_category={"reagents": amount_minor},
            transfer_ids=[uuid.uuid5(uuid.NAMESPACE_URL, f"{order_id}:escrow")],
        ),
        producer="settlement",
        aggregate_id=order_id,
        aggregate_version=1,
        tenant_id=tenant,
        correlation_id=f"C-{order_no}",
    )


def line(sku: str, category: str, qty: int, price: int) -> OrderLine:
    """An order line of SUP-002's, for settlement's tests at every tier."""
    return OrderLine(
        listing_id=f"SUP-002:{sku}",
        sku=sku,
        listing_version=1,
        name=sku,
        category=BudgetCategory(category),
        unit="unit",
        quantity=qty,
        unit_price_minor=price,
        line_total_minor=qty * price,
    )

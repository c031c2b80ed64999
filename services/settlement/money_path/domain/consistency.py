"""Whether a money-moving event agrees with what settlement already knows.

Settlement trusts no event blindly: an event about an escrow must name the escrow's university,
grant and supplier, and an amount the escrow can hold; an agreed refund must be one a buyer asked
for, on that order, for no more than was asked. An event that contradicts it moves no money and is
dead-lettered with the contradiction spelt out.
"""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.messaging.consistency import REFUND_NOT_REQUESTED
from plumbing.messaging.consistency import differences as plumbing_differences

CONTRADICTS_ESCROW = "event_contradicts_escrow"
CONTRADICTS_REFUND = "event_contradicts_refund"
UNKNOWN_REFUND = REFUND_NOT_REQUESTED


@dataclass(frozen=True)
class Known:
    """Who an order's escrow (or a refund request) belongs to."""

    tenant_id: str
    order_id: str
    grant_id: str
    supplier_id: str


def differences(
    known: Known, *, tenant_id: str, order_id: str, grant_id: str, supplier_id: str | None = None
) -> list[str]:
    """Each field on which an event disagrees with what is known, as `field: event says X,
    settlement has Y`; `supplier_id` is None for an event that does not name one."""
    if (
        tenant_id == known.tenant_id
        and order_id == known.order_id
        and grant_id == known.grant_id
        and supplier_id in (None, known.supplier_id)
    ):
        return []
    claimed = {"tenant_id": tenant_id, "order_id": order_id, "grant_id": grant_id, "supplier_id": supplier_id}
    return plumbing_differences("settlement", vars(known), claimed)


def received_amount_differences(amount: int, held: int, order_amount: int) -> list[str]:
    """A receipt names what orders believes is still to settle: the order less the refunds orders
    has heard of. Orders hears of a refund only after settlement paid it, so the amount is never
    below what escrow still holds, and never above the order."""
    if held <= amount <= order_amount:
        return []
    return [f"amount: event says {amount} fen, escrow holds {held} of an order of {order_amount}"]


def refund_amount_differences(amount: int, requested: int) -> list[str]:
    """An agreed refund is at most what the buyer asked for (a dispute may award less)."""
    if amount <= requested:
        return []
    return [f"amount: {amount} fen agreed, {requested} asked for"]

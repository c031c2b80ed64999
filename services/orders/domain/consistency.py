"""Whether settlement's or refunds' event about an order agrees with the order.

Orders trusts no event blindly, even one written by its topic's owner: an event about an order
must name the order's university, grant and supplier; an amount must be one the order can hold
(funds reserved for exactly its total, a release or void of at most it, a refund of at most what
is still unrefunded); a refund that closes or completes must be one the order heard requested; a
refund can be requested only on an order whose funds were reserved. An event that contradicts the
order changes nothing and is dead-lettered with the contradiction spelt out.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events.base import EventPayload
from contracts.events.refunds import RefundClosed, RefundCompleted, RefundRequested
from contracts.events.settlement import EscrowReleased, EscrowVoided, FundsReserved
from plumbing.messaging.consistency import CONTRADICTS_ORDER, REFUND_NOT_REQUESTED, differences
from services.orders.domain.order import Funds, Order

# Funds that were once reserved: a buyer could have asked for a refund of them.
PAID_FOR = frozenset({Funds.RESERVED, Funds.RELEASED, Funds.VOIDED, Funds.REFUNDED})


@dataclass(frozen=True)
class Contradiction:
    code: str
    detail: str


def contradiction(order: Order, tenant_id: str, event: EventPayload) -> Contradiction | None:
    """What in `event` (in an envelope of `tenant_id`) contradicts `order`, or None."""
    known = {"tenant_id": order.tenant_id, "grant_id": order.grant_id, "supplier_id": order.supplier_id}
    claimed = {
        "tenant_id": tenant_id,
        "grant_id": getattr(event, "grant_id", None),
        "supplier_id": getattr(event, "supplier_id", None),
    }
    found = differences("orders", known, claimed) + _amount_differences(order, event)
    if found:
        return Contradiction(CONTRADICTS_ORDER, f"order {order.order_id}: " + "; ".join(found))
    if isinstance(event, RefundClosed | RefundCompleted) and event.refund_id not in order.refunds:
        return Contradiction(
            REFUND_NOT_REQUESTED, f"order {order.order_id} has no refund {event.refund_id!r} requested"
        )
    return None


def _amount_differences(order: Order, event: EventPayload) -> list[str]:
    total, unrefunded = order.total_minor, order.total_minor - order.refunded_minor
    match event:
        case FundsReserved() if event.amount.amount_minor != total:
            return [f"amount: event says {event.amount.amount_minor} fen reserved, the order is {total}"]
        case EscrowReleased() if event.gross.amount_minor > total:
            return [f"gross: event says {event.gross.amount_minor} fen released, the order is {total}"]
        case EscrowVoided() if event.amount.amount_minor > total:
            return [f"amount: event says {event.amount.amount_minor} fen voided, the order is {total}"]
        case RefundRequested() if event.refund_id not in order.refunds:
            if order.funds not in PAID_FOR:
                return [f"funds: a refund asked of an order whose funds are {order.funds.value}"]
            if event.amount.amount_minor > unrefunded:
                return [f"amount: event asks {event.amount.amount_minor} fen, {unrefunded} is unrefunded"]
        case RefundCompleted() if order.refunds.get(event.refund_id) != "paid":
            if event.amount.amount_minor > unrefunded:
                return [
                    f"amount: event says {event.amount.amount_minor} fen paid, {unrefunded} is unrefunded"
                ]
    return []

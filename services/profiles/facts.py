"""What each event says about a supplier's trade, as a fact about one order or one payout.

Facts carry everything their figures need (the moment, amounts in fen, the university from the
envelope's tenant), so the worker never looks anything up from another service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.events import orders, refunds, settlement
from plumbing.delivery import Delivery


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    supplier_id: str | None  # when the event names it (an order's placement always does)
    fact: dict[str, Any]


@dataclass(frozen=True)
class PayoutFact:
    supplier_id: str
    fact: dict[str, Any]


def fact_of(delivery: Delivery) -> OrderFact | PayoutFact | None:
    """The event's fact, or None when it says nothing the profile measures."""
    p, at = delivery.payload, delivery.envelope.occurred_at.isoformat()
    match p:
        case orders.OrderPlaced():
            fact = {
                "kind": "placed",
                "order_id": p.order_id,
                "university": delivery.envelope.tenant_id,
                "at": at,
                "value_minor": p.total.amount_minor,
            }
            return OrderFact(p.order_id, p.supplier_id, fact)
        case orders.OrderPaid():
            return OrderFact(
                p.order_id, p.supplier_id, {"kind": "paid", "at": at, "ship_by": p.ship_by.isoformat()}
            )
        case orders.OrderShipped():
            return OrderFact(p.order_id, p.supplier_id, {"kind": "shipped", "at": at})
        case orders.OrderReceived():
            fact = {"kind": "received", "at": at, "auto_confirmed": p.auto_confirmed}
            return OrderFact(p.order_id, p.supplier_id, fact)
        case orders.OrderCancelled():
            return OrderFact(p.order_id, None, {"kind": "cancelled", "at": at, "reason": p.reason_code.value})
        case refunds.RefundRequested():
            fact = {
                "kind": "refund_requested",
                "refund_id": p.refund_id,
                "amount_minor": p.amount.amount_minor,
            }
            return OrderFact(p.order_id, p.supplier_id, fact)
        case refunds.RefundEscalated():
            return OrderFact(p.order_id, None, {"kind": "refund_escalated", "refund_id": p.refund_id})
        case refunds.DisputeResolved():
            fact = {"kind": "refund_decided", "refund_id": p.refund_id, "decision": p.decision.value}
            return OrderFact(p.order_id, None, fact)
        case refunds.RefundCompleted():
            fact = {
                "kind": "refund_completed",
                "refund_id": p.refund_id,
                "amount_minor": p.amount.amount_minor,
            }
            return OrderFact(p.order_id, None, fact)
        case settlement.PayoutSettled() | settlement.PayoutFailed():
            fact = {
                "kind": "payout_settled" if isinstance(p, settlement.PayoutSettled) else "payout_failed",
                "payout_id": p.payout_id,
                "at": at,
                "amount_minor": p.amount.amount_minor,
            }
            return PayoutFact(p.supplier_id, fact)
    return None

"""What each event says about a supplier's trade, as a fact about one order or one payout.

Facts carry everything their figures need (the moment, amounts in fen, the university from the
envelope's tenant), so the worker never looks anything up from another service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.events import orders, refunds, settlement
from plumbing.messaging.consistency import CONTRADICTS_ORDER, REFUND_NOT_REQUESTED, differences
from plumbing.messaging.delivery import Delivery


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    supplier_id: str | None  # when the event names it (an order's placement always does)
    fact: dict[str, Any]
    university: str | None = None  # the envelope's tenant


def known_order(placed: OrderFact) -> dict[str, Any]:
    """What the worker keeps of an order from its placement, to check the order's later facts."""
    return {
        "supplier": placed.supplier_id,
        "day": placed.fact["at"][:10],
        "university": placed.university,
        "value_minor": placed.fact["value_minor"],
        "refunds": {},
    }


def contradiction(known: dict[str, Any], found: OrderFact) -> tuple[str, str] | None:
    """Whether a fact contradicts what the order's placement and earlier facts said (its
    university, supplier, value, and the refunds asked for): a code and the detail, or None. An
    order kept before these were (no `university`) is not checked."""
    if "university" not in known:
        return None
    known_here = {"tenant_id": known["university"], "supplier_id": known["supplier"]}
    wrong = differences(
        "the profile", known_here, {"tenant_id": found.university, "supplier_id": found.supplier_id}
    )
    fact, refunds = found.fact, known.get("refunds", {})
    if fact["kind"] == "refund_requested" and fact["amount_minor"] > known["value_minor"]:
        wrong.append(f"amount: event asks {fact['amount_minor']} fen of an order of {known['value_minor']}")
    if fact["kind"] == "placed" and fact["value_minor"] != known["value_minor"]:
        wrong.append(f"value: event says {fact['value_minor']} fen, the profile has {known['value_minor']}")
    if wrong:
        return CONTRADICTS_ORDER, f"order {found.order_id}: " + "; ".join(wrong)
    if fact["kind"] in ("refund_completed", "refund_escalated", "refund_decided"):
        asked = refunds.get(fact["refund_id"])
        if asked is None:
            return (
                REFUND_NOT_REQUESTED,
                f"order {found.order_id} has no refund {fact['refund_id']!r} requested",
            )
        if fact["kind"] == "refund_completed" and fact["amount_minor"] > asked:
            return (
                CONTRADICTS_ORDER,
                f"refund {fact['refund_id']}: {fact['amount_minor']} fen paid, {asked} asked",
            )
    return None


@dataclass(frozen=True)
class PayoutFact:
    supplier_id: str
    fact: dict[str, Any]


def fact_of(delivery: Delivery) -> OrderFact | PayoutFact | None:
    """The event's fact, or None when it says nothing the profile measures."""
    found = _fact_of(delivery)
    if isinstance(found, OrderFact):
        return OrderFact(found.order_id, found.supplier_id, found.fact, delivery.envelope.tenant_id)
    return found


def _fact_of(delivery: Delivery) -> OrderFact | PayoutFact | None:
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
        case orders.OrderReceived() if p.complete:  # received in full: a partial receipt is not yet
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

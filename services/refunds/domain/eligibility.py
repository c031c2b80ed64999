"""Whether a buyer may open a refund case on an order, and for how much."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plumbing.errors import Conflict, NotFound, RuleViolation
from services.refunds.domain.case import Deadlines

MAX_REFUNDS_PER_ORDER = 50
REFUNDABLE_STATUSES = frozenset({"PAID", "SHIPPED", "RECEIVED", "COMPLETED"})


@dataclass(frozen=True)
class OrderView:
    order_id: str
    tenant_id: str
    grant_id: str
    buyer_id: str
    supplier_id: str
    total_minor: int
    status: str
    completed_at: datetime | None


@dataclass(frozen=True)
class History:
    cases: int  # every case ever opened on the order
    open_case: str | None  # the refund id of the open one
    committed_minor: int  # agreed or paid so far


def check_request(
    order: OrderView | None,
    buyer_id: str,
    tenant_id: str,
    amount_minor: int,
    history: History,
    now: datetime,
    deadlines: Deadlines,
) -> None:
    if order is None or order.tenant_id != tenant_id or order.buyer_id != buyer_id:
        raise NotFound("no order of yours with that id", code="order_not_found")
    if order.status not in REFUNDABLE_STATUSES:
        raise RuleViolation(
            f"an order that is {order.status} cannot be refunded", code="order_not_refundable"
        )
    if (
        order.status == "COMPLETED"
        and order.completed_at is not None
        and now > order.completed_at + deadlines.after_sales_window
    ):
        raise RuleViolation("the after-sales window has closed", code="after_sales_window_closed")
    if history.open_case is not None:
        raise Conflict(
            "this order already has an open refund case",
            code="case_already_open",
            details={"refund_id": history.open_case},
        )
    if history.cases >= MAX_REFUNDS_PER_ORDER:
        raise RuleViolation(
            f"an order takes at most {MAX_REFUNDS_PER_ORDER} refunds", code="too_many_refunds"
        )
    refundable = order.total_minor - history.committed_minor
    if not 0 < amount_minor <= refundable:
        raise RuleViolation(
            f"at most {refundable} fen can still be refunded",
            code="refund_too_large",
            details={"refundable_minor": refundable},
        )

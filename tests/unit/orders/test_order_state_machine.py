"""Every legal transition of an order, and the illegal ones refused with the state named."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.events.common import Actor
from contracts.events.orders import ApprovalReason, CancelReason
from services.orders.domain.errors import IllegalTransition, NotAnApprover, NotYourOrder, SelfApproval
from services.orders.domain.order import Funds, Order, OrderStatus, TimerKind
from tests.unit.orders.builders import BUYER, DEADLINES, NOW, PI, SAFETY, SUPPLIER, order, paid, shipped

FINANCE = Actor(user_id="fo-1", role="university_finance")


def status(o: Order) -> OrderStatus:
    return o.status


def types(o: Order) -> list[str]:
    return [e.event_type.split(".")[1] for e in o.events]


def test_the_happy_path_to_completed() -> None:
    o = order()
    assert status(o) is OrderStatus.AWAITING_FUNDS
    o.funds_reserved(NOW, DEADLINES)
    assert status(o) is OrderStatus.PAID and set(o.timers) == {TimerKind.SHIP}
    o.ship(SUPPLIER, "SF Express", "SF1", NOW, DEADLINES)
    assert status(o) is OrderStatus.SHIPPED and set(o.timers) == {TimerKind.AUTO_CONFIRM}
    o.confirm_receipt(BUYER, NOW)
    assert status(o) is OrderStatus.RECEIVED and o.timers == {}
    o.escrow_released(o.total_minor, NOW)
    assert status(o) is OrderStatus.COMPLETED
    assert types(o) == ["OrderPlaced", "OrderPaid", "OrderShipped", "OrderReceived", "OrderCompleted"]
    assert [(e.from_status, e.to_status) for e in o.timeline] == [
        (None, OrderStatus.AWAITING_FUNDS),
        (OrderStatus.AWAITING_FUNDS, OrderStatus.PAID),
        (OrderStatus.PAID, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.RECEIVED),
        (OrderStatus.RECEIVED, OrderStatus.COMPLETED),
    ]


def test_funds_rejected_rejects_the_order() -> None:
    o = order()
    o.funds_rejected("insufficient_budget", "reagents has 100 fen left", NOW)
    assert status(o) is OrderStatus.REJECTED and o.funds is Funds.REJECTED and o.timers == {}
    assert o.events[-1].reason_code == "insufficient_budget"  # type: ignore[attr-defined]


def test_approval_by_pi_and_safety_officer_then_funds() -> None:
    o = order([ApprovalReason.OVER_THRESHOLD, ApprovalReason.HAZARDOUS_ITEM])
    assert status(o) is OrderStatus.PENDING_APPROVAL
    assert types(o) == ["OrderPlaced", "OrderApprovalRequested"]
    with pytest.raises(NotAnApprover):
        o.approve(Actor(user_id="bob", role="researcher"), NOW, DEADLINES)  # not the PI
    assert o.approve(PI, NOW, DEADLINES) == [ApprovalReason.OVER_THRESHOLD]
    assert status(o) is OrderStatus.PENDING_APPROVAL
    assert o.approve(SAFETY, NOW, DEADLINES) == [ApprovalReason.HAZARDOUS_ITEM]
    assert status(o) is OrderStatus.AWAITING_FUNDS  # approved; escrow not yet held
    o.funds_reserved(NOW, DEADLINES)
    assert status(o) is OrderStatus.PAID


def test_no_one_approves_an_order_they_requested() -> None:
    # The PI buys over the threshold: the university's finance office approves, not the PI.
    o = order([ApprovalReason.OVER_THRESHOLD], buyer=PI)
    requested = o.events[-1]
    assert requested.approver_roles == ["university_finance"]  # type: ignore[attr-defined]
    for own in (o.approve, lambda *args: o.deny(PI, "no", NOW)):
        with pytest.raises(SelfApproval) as refused:
            own(PI, NOW, DEADLINES)
        assert refused.value.code == "self_approval"
    with pytest.raises(NotAnApprover):
        o.approve(Actor(user_id="bob", role="researcher"), NOW, DEADLINES)
    assert status(o) is OrderStatus.PENDING_APPROVAL
    o.funds_reserved(NOW, DEADLINES)
    assert o.approve(FINANCE, NOW, DEADLINES) == [ApprovalReason.OVER_THRESHOLD]
    assert status(o) is OrderStatus.PAID

    # A safety officer who buys a hazardous item waits for another safety officer.
    officer_buys = order([ApprovalReason.HAZARDOUS_ITEM], buyer=SAFETY)
    with pytest.raises(SelfApproval):
        officer_buys.approve(SAFETY, NOW, DEADLINES)
    assert officer_buys.approve(Actor(user_id="officer-li", role="safety_officer"), NOW, DEADLINES) == [
        ApprovalReason.HAZARDOUS_ITEM
    ]


def test_funds_before_approval_pays_on_the_last_approval() -> None:
    o = order([ApprovalReason.LAB_MEMBER_PURCHASE])
    o.funds_reserved(NOW, DEADLINES)
    assert status(o) is OrderStatus.PENDING_APPROVAL and o.funds is Funds.RESERVED
    o.approve(PI, NOW, DEADLINES)
    assert status(o) is OrderStatus.PAID
    assert types(o)[-2:] == ["OrderApproved", "OrderPaid"]


def test_denial_closes_the_order() -> None:
    o = order([ApprovalReason.HAZARDOUS_ITEM])
    o.deny(SAFETY, "no fume hood booked", NOW)
    assert status(o) is OrderStatus.CLOSED
    assert types(o)[-2:] == ["OrderApprovalDenied", "OrderClosed"]


@pytest.mark.parametrize("start", ["awaiting", "pending", "paid"])
def test_the_buyer_cancels_before_shipping(start: str) -> None:
    o = {"awaiting": order, "pending": lambda: order([ApprovalReason.OVER_THRESHOLD]), "paid": paid}[start]()
    with pytest.raises(NotYourOrder):
        o.cancel(Actor(user_id="mallory", role="researcher"), CancelReason.BUYER_CANCELLED, "", NOW)
    o.cancel(BUYER, CancelReason.BUYER_CANCELLED, "ordered twice", NOW)
    assert status(o) is OrderStatus.CANCELLED and o.timers == {}


def test_the_supplier_declines_a_paid_order() -> None:
    o = paid()
    o.cancel(SUPPLIER, CancelReason.OUT_OF_STOCK, "backordered until March", NOW)
    assert status(o) is OrderStatus.CANCELLED
    assert o.events[-1].reason_code is CancelReason.OUT_OF_STOCK  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("make", "act"),
    [
        (order, lambda o: o.confirm_receipt(BUYER, NOW)),  # confirming an unshipped order
        (order, lambda o: o.ship(SUPPLIER, "SF", "1", NOW, DEADLINES)),  # shipping before payment
        (shipped, lambda o: o.cancel(BUYER, CancelReason.BUYER_CANCELLED, "", NOW)),  # cancel after shipping
        (shipped, lambda o: o.ship(SUPPLIER, "SF", "1", NOW, DEADLINES)),  # shipping twice
        (paid, lambda o: o.approve(PI, NOW, DEADLINES)),  # approving what needs no approval
        (order, lambda o: o.deny(PI, "no", NOW)),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(make: object, act: object) -> None:
    o = make()  # type: ignore[operator]
    before = (o.status, len(o.events), dict(o.timers))
    with pytest.raises(IllegalTransition) as caught:
        act(o)  # type: ignore[operator]
    assert caught.value.details["status"] == o.status.value
    assert (o.status, len(o.events), dict(o.timers)) == before


def test_only_the_buyer_confirms_receipt() -> None:
    with pytest.raises(NotYourOrder):
        shipped().confirm_receipt(Actor(user_id="bob", role="researcher"), NOW)


@pytest.mark.parametrize(
    ("answer", "noted", "funds"),
    [
        (lambda o: o.funds_reserved(NOW, DEADLINES), "funds reserved after the order ended", Funds.VOIDED),
        (lambda o: o.funds_rejected("insufficient_budget", "", NOW), "funds rejected after", Funds.REJECTED),
    ],
)
def test_a_late_settlement_answer_is_noted_once_and_does_not_revive_a_cancelled_order(
    answer: Callable[[Order], bool], noted: str, funds: Funds
) -> None:
    o = order()
    o.cancel(BUYER, CancelReason.BUYER_CANCELLED, "", NOW)
    assert answer(o) is False
    assert status(o) is OrderStatus.CANCELLED and o.funds is funds
    assert o.timeline[-1].action.startswith(noted)
    notes = len(o.timeline)
    assert answer(o) is False  # the same answer replayed, e.g. beyond the dedup window
    assert len(o.timeline) == notes and o.funds is funds


def test_the_order_says_where_its_money_is() -> None:
    cancelled = paid()
    cancelled.cancel(BUYER, CancelReason.BUYER_CANCELLED, "", NOW)
    assert cancelled.funds.value == "reserved"  # until settlement has voided the escrow
    assert cancelled.escrow_voided(NOW)
    assert cancelled.funds is Funds.VOIDED
    assert not cancelled.escrow_voided(NOW)  # a replay changes nothing

    refunded = paid()
    refunded.refund_opened("R-1", NOW)
    refunded.refund_completed("R-1", refunded.total_minor, NOW)
    assert (refunded.status, refunded.funds) == (OrderStatus.CLOSED, Funds.REFUNDED)

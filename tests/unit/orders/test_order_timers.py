"""Deadlines with an injected clock: each fires only in the state it was set for; a refund
pauses the receipt timer and its end resumes it with the time that was left."""

from __future__ import annotations

from datetime import timedelta

from contracts.events.orders import ApprovalReason, CloseReason
from services.orders.domain.order import OrderStatus, TimerKind
from tests.unit.orders.builders import DEADLINES, NOW, PI, SUPPLIER, order, paid, shipped

DAY = timedelta(days=1)


def test_unapproved_orders_close_after_five_days() -> None:
    o = order([ApprovalReason.OVER_THRESHOLD])
    assert o.fire(TimerKind.APPROVAL, NOW + 5 * DAY - timedelta(seconds=1)) is False
    assert o.fire(TimerKind.APPROVAL, NOW + 5 * DAY) is True
    assert o.status is OrderStatus.CLOSED
    assert o.events[-1].reason_code is CloseReason.APPROVAL_TIMEOUT  # type: ignore[attr-defined]


def test_the_approval_timer_is_gone_once_approved() -> None:
    o = order([ApprovalReason.OVER_THRESHOLD])
    o.approve(PI, NOW, DEADLINES)
    assert o.fire(TimerKind.APPROVAL, NOW + 6 * DAY) is False
    assert o.status is OrderStatus.AWAITING_FUNDS


def test_orders_whose_funds_never_arrive_close() -> None:
    o = order()
    assert o.fire(TimerKind.PAYMENT, NOW + 5 * DAY) is True
    assert (o.status, o.events[-1].reason_code) == (OrderStatus.CLOSED, CloseReason.PAYMENT_TIMEOUT)  # type: ignore[attr-defined]


def test_an_unshipped_order_cancels_itself_after_seven_days() -> None:
    o = paid()
    assert o.fire(TimerKind.SHIP, NOW + 7 * DAY) is True
    assert o.status is OrderStatus.CANCELLED
    assert o.events[-1].reason_code == "not_shipped_in_time"  # type: ignore[attr-defined]


def test_receipt_confirms_itself_after_ten_days_or_thirty_without_logistics() -> None:
    o = shipped()
    assert o.fire(TimerKind.AUTO_CONFIRM, NOW + 10 * DAY) is True
    assert o.status is OrderStatus.RECEIVED
    assert o.events[-1].auto_confirmed is True  # type: ignore[attr-defined]
    slow = shipped(carrier=None)
    assert slow.fire(TimerKind.AUTO_CONFIRM, NOW + 10 * DAY) is False
    assert slow.fire(TimerKind.AUTO_CONFIRM, NOW + 30 * DAY) is True


def test_an_open_refund_pauses_auto_confirm_and_closing_it_resumes_with_the_time_left() -> None:
    o = shipped()
    o.refund_opened("R-1", NOW + 4 * DAY)  # 6 days were left
    assert o.fire(TimerKind.AUTO_CONFIRM, NOW + 20 * DAY) is False
    assert o.status is OrderStatus.SHIPPED
    o.refund_closed("R-1", NOW + 20 * DAY)
    assert o.fire(TimerKind.AUTO_CONFIRM, NOW + 26 * DAY - timedelta(seconds=1)) is False
    assert o.fire(TimerKind.AUTO_CONFIRM, NOW + 26 * DAY) is True
    assert o.events[-1].event_type == "orders.OrderReceived"
    paused_flags = [e.auto_confirm_paused for e in o.events if e.event_type.endswith("RefundStateChanged")]  # type: ignore[attr-defined]
    assert paused_flags == [True, False]


def test_a_refund_opened_before_shipping_pauses_the_timer_from_the_start() -> None:
    o = paid()
    o.refund_opened("R-1", NOW)
    o.ship(SUPPLIER, "SF", "1", NOW, DEADLINES)
    assert o.timers[TimerKind.AUTO_CONFIRM].due_at is None
    assert o.timers[TimerKind.AUTO_CONFIRM].remaining == 10 * DAY


def test_a_full_refund_before_receipt_closes_the_order_and_a_partial_one_does_not() -> None:
    o = shipped()
    o.refund_opened("R-1", NOW)
    o.refund_completed("R-1", 1000, NOW)
    assert (o.status, o.refund_state, o.refunded_minor) == (OrderStatus.SHIPPED, "partially_refunded", 1000)
    o.refund_opened("R-2", NOW)
    o.refund_completed("R-2", o.total_minor - 1000, NOW)
    assert (o.status, o.refund_state) == (OrderStatus.CLOSED, "fully_refunded")


def test_hearing_of_a_refund_again_neither_reopens_it_nor_counts_its_money_twice() -> None:
    o = shipped()
    o.refund_opened("R-1", NOW)
    o.refund_completed("R-1", 1000, NOW)
    o.events.clear()
    o.timeline.clear()
    o.refund_opened("R-1", NOW + DAY)  # a replay of the whole case
    o.refund_completed("R-1", 1000, NOW + DAY)
    o.refund_closed("R-1", NOW + DAY)
    assert (o.refund_state, o.refunded_minor, o.events, o.timeline) == ("partially_refunded", 1000, [], [])
    assert o.timers[TimerKind.AUTO_CONFIRM].due_at is not None  # the receipt clock runs


def test_two_open_refunds_keep_the_clock_paused_until_both_end() -> None:
    o = shipped()
    o.refund_opened("R-1", NOW)
    o.refund_opened("R-2", NOW)
    o.refund_closed("R-1", NOW + DAY)
    assert o.refund_open and o.timers[TimerKind.AUTO_CONFIRM].due_at is None
    o.refund_completed("R-2", 500, NOW + DAY)
    assert not o.refund_open and o.timers[TimerKind.AUTO_CONFIRM].due_at is not None

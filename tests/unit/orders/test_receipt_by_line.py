"""Receipt by line: who may receive, partial quantities, the undo window, and the auto-confirm
timer for what is left — each receipt final becoming one OrderReceived that settlement releases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events.common import Actor
from contracts.events.orders import OrderReceived
from plumbing.aggregates.lifecycle import SYSTEM
from services.orders.domain.order import Order, OrderStatus, TimerKind
from services.orders.domain.receipt import (
    NotAReceiver,
    NotYourReceipt,
    OverReceived,
    ReceiptFinal,
    ReceiptPolicy,
    ReceiptState,
    ReceiverIsRequester,
    Receivers,
    UnknownLine,
)
from tests.unit.orders.builders import BUYER, DEADLINES, NOW, SUPPLIER, line, order

LAB = Receivers(frozenset({"prof-wang", "bob"}))
BOB = Actor(user_id="bob", role="lab_member")
STRANGER = Actor(user_id="eve", role="researcher")
CLERK = Actor(user_id="stores-1", role="receiver")
OPEN = ReceiptPolicy()
STRICT = ReceiptPolicy(receiver_must_differ=True, undo_window=timedelta(minutes=30))


def three_lines() -> Order:
    """Shipped: 3 x 1,000 + 2 x 2,500 + 1 x 12,345 fen."""
    o = order(lines=[line("A", 3, 1_000), line("B", 2, 2_500), line("C", 1, 12_345)])
    o.funds_reserved(NOW, DEADLINES)
    o.ship(SUPPLIER, "SF Express", "SF1", NOW, DEADLINES)
    o.events.clear()
    o.timeline.clear()
    return o


def status(o: Order) -> OrderStatus:
    return o.status


def receipts(o: Order) -> list[OrderReceived]:
    return [e for e in o.events if isinstance(e, OrderReceived)]


def test_lines_received_in_parts_release_their_worth_and_the_last_completes_the_order() -> None:
    o = three_lines()
    o.receive(BOB, {1: 2, 2: 2}, NOW, OPEN, LAB)
    o.receive(BOB, {1: 1}, NOW, OPEN, LAB)
    assert status(o) is OrderStatus.SHIPPED and TimerKind.AUTO_CONFIRM in o.timers
    o.receive(BUYER, None, NOW, OPEN, LAB)  # everything outstanding: line 3
    first, second, last = receipts(o)
    assert [(x.receipt_no, x.amount.amount_minor, x.complete) for x in (first, second, last)] == [
        (1, 2 * 1_000 + 2 * 2_500, False),
        (2, 1_000, False),
        (3, 12_345, True),
    ]
    assert [(x.line_no, x.quantity) for x in first.lines] == [(1, 2), (2, 2)]
    assert sum(x.amount.amount_minor for x in (first, second, last)) == o.total_minor
    assert status(o) is OrderStatus.RECEIVED and TimerKind.AUTO_CONFIRM not in o.timers
    assert [e.action for e in o.timeline] == ["received", "received", "receipt confirmed"]
    assert o.timeline[0].reason == "line 1: 2 (2 of 3 box); line 2: 2 (2 of 2 box)"


def test_who_may_receive() -> None:
    o = three_lines()
    with pytest.raises(NotAReceiver):
        o.receive(STRANGER, {1: 1}, NOW, OPEN, LAB)
    o.receive(CLERK, {1: 1}, NOW, OPEN, Receivers(LAB.lab, designated=True))
    with pytest.raises(ReceiverIsRequester):
        o.receive(BUYER, {1: 1}, NOW, STRICT, LAB)
    o.receive(BUYER, {1: 1}, NOW, OPEN, LAB)  # the requester may where the university allows it
    assert [x.confirmed_by.user_id for x in receipts(o)] == ["stores-1", "alice"]


def test_more_than_is_outstanding_and_unknown_lines_are_refused() -> None:
    o = three_lines()
    o.receive(BOB, {2: 2}, NOW, OPEN, LAB)
    with pytest.raises(OverReceived) as over:
        o.receive(BOB, {2: 1}, NOW, OPEN, LAB)
    assert over.value.details == {"line_no": 2, "outstanding": 0}
    with pytest.raises(UnknownLine):
        o.receive(BOB, {4: 1}, NOW, OPEN, LAB)
    with pytest.raises(OverReceived):
        o.receive(BOB, {1: 4}, NOW, OPEN, LAB)


def test_a_receipt_within_its_window_is_undone_by_its_receiver_and_releases_nothing() -> None:
    o = three_lines()
    o.receive(BOB, {1: 3}, NOW, STRICT, LAB)
    assert receipts(o) == [] and o.timers[TimerKind.RECEIPT_FINAL].due_at == NOW + timedelta(minutes=30)
    with pytest.raises(NotYourReceipt):
        o.undo_receipt(1, CLERK, NOW)
    o.undo_receipt(1, BOB, NOW + timedelta(minutes=29))
    assert o.receipts.items[0].state is ReceiptState.UNDONE and TimerKind.RECEIPT_FINAL not in o.timers
    assert o.receipts.received(1) == 0 and receipts(o) == []
    o.receive(BOB, {1: 2}, NOW, STRICT, LAB)  # received again, then its window closes
    assert not o.fire(TimerKind.RECEIPT_FINAL, NOW + timedelta(minutes=29))
    assert o.fire(TimerKind.RECEIPT_FINAL, NOW + timedelta(minutes=30))
    (final,) = receipts(o)
    assert (final.receipt_no, final.amount.amount_minor, final.complete) == (2, 2_000, False)
    with pytest.raises(ReceiptFinal):
        o.undo_receipt(2, BOB, NOW + timedelta(minutes=31))


def test_the_timer_receives_what_is_left_and_waits_for_receipts_in_their_window() -> None:
    o = three_lines()
    o.receive(BOB, {1: 3, 2: 2}, NOW, OPEN, LAB)
    due = o.timers[TimerKind.AUTO_CONFIRM].due_at
    assert due is not None and o.fire(TimerKind.AUTO_CONFIRM, due)
    last = receipts(o)[-1]
    assert (last.auto_confirmed, last.confirmed_by, last.complete) == (True, SYSTEM, True)
    assert [(x.line_no, x.quantity) for x in last.lines] == [(3, 1)]
    assert status(o) is OrderStatus.RECEIVED

    o = three_lines()
    o.receive(BOB, None, NOW, STRICT.__class__(undo_window=timedelta(days=11)), LAB)
    due = o.timers[TimerKind.AUTO_CONFIRM].due_at
    assert due is not None and not o.fire(TimerKind.AUTO_CONFIRM, due)  # the receipt covers it all
    o.undo_receipt(1, BOB, due)  # … until it is undone: then the timer takes everything
    assert o.fire(TimerKind.AUTO_CONFIRM, NOW + timedelta(days=11))
    assert receipts(o)[-1].complete and status(o) is OrderStatus.RECEIVED


def test_settlement_completes_the_order_only_on_the_last_release() -> None:
    o = three_lines()
    o.receive(BOB, {1: 3}, NOW, OPEN, LAB)
    assert o.escrow_released(2_990, NOW, receipt_no=1, complete=False)
    assert status(o) is OrderStatus.SHIPPED
    o.receive(BOB, None, NOW, OPEN, LAB)
    assert o.escrow_released(17_345, NOW, receipt_no=2, complete=True)
    assert status(o) is OrderStatus.COMPLETED
    assert o.events[-1].settled.amount_minor == 2_990 + 17_345  # type: ignore[attr-defined]

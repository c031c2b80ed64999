"""Settlement's and refunds' events that contradict an order are refused by orders, whoever wrote
them; events that agree with it (and replays of them) pass."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.events.common import Actor
from contracts.events.refunds import RefundClosed, RefundCompleted, RefundRequested
from contracts.events.settlement import EscrowReleased, FundsReserved, RefundSource
from contracts.money import Money
from plumbing.messaging.consistency import CONTRADICTS_ORDER, REFUND_NOT_REQUESTED
from services.orders.domain.consistency import contradiction
from tests.unit.orders.builders import GRANT, NOW, order, paid, shipped

TOTAL = 5_600  # the builders' order: 2 x 28.00


def requested(refund_id: str = "R-1", amount: int = 1_000, grant: str = GRANT.grant_id) -> RefundRequested:
    return RefundRequested(
        refund_id=refund_id,
        order_id="O-1",
        supplier_id="SUP-002",
        grant_id=grant,
        requested_by=Actor(user_id="alice", role="researcher"),
        amount=Money.cny(amount),
        reason_code="damaged",
        reason="dented",
        goods_return_required=False,
        seller_deadline=datetime(2026, 12, 1, tzinfo=UTC),
    )


def completed(refund_id: str = "R-1", amount: int = 1_000) -> RefundCompleted:
    return RefundCompleted(
        refund_id=refund_id,
        order_id="O-1",
        amount=Money.cny(amount),
        source=RefundSource.ESCROW,
        agreed_at=NOW,
        settled_at=NOW,
    )


def test_a_refund_nobody_requested_completes_nothing() -> None:
    o = shipped()
    found = contradiction(o, "tsinghua", completed("R-forged", TOTAL))
    assert found is not None and found.code == REFUND_NOT_REQUESTED
    closed = RefundClosed(refund_id="R-forged", order_id="O-1", reason_code="buyer_withdrew")
    assert (contradiction(o, "tsinghua", closed) or found).code == REFUND_NOT_REQUESTED


def test_another_university_s_envelope_contradicts_the_order() -> None:
    o = shipped()
    o.refund_opened("R-1", NOW)
    found = contradiction(o, "fudan", completed())
    assert found is not None and found.code == CONTRADICTS_ORDER
    assert "tenant_id: event says 'fudan', orders has 'tsinghua'" in found.detail


def test_a_refund_larger_than_what_is_unrefunded_is_refused() -> None:
    o = shipped()
    found = contradiction(o, "tsinghua", requested(amount=10_000_000))
    assert found is not None and "event asks 10000000 fen, 5600 is unrefunded" in found.detail
    assert contradiction(o, "tsinghua", requested(amount=TOTAL)) is None
    o.refund_opened("R-1", NOW)
    o.refund_completed("R-1", 5_000, NOW)
    o.refund_opened("R-2", NOW)
    assert contradiction(o, "tsinghua", completed("R-2", 601)) is not None
    assert contradiction(o, "tsinghua", completed("R-2", 600)) is None
    assert contradiction(o, "tsinghua", completed("R-1", 5_000)) is None  # a replay: already paid


def test_a_refund_of_an_order_never_paid_for_is_refused() -> None:
    found = contradiction(order(), "tsinghua", requested())
    assert found is not None and "funds are pending" in found.detail


def test_another_grant_or_amount_contradicts_settlement_s_answers() -> None:
    o = order()
    reserved = FundsReserved(
        order_id="O-1",
        grant_id=GRANT.grant_id,
        supplier_id="SUP-002",
        amount=Money.cny(TOTAL),
        by_category={},
        transfer_ids=[],
    )
    assert contradiction(o, "tsinghua", reserved) is None
    assert contradiction(o, "tsinghua", reserved.model_copy(update={"amount": Money.cny(1)})) is not None
    assert contradiction(o, "tsinghua", reserved.model_copy(update={"grant_id": "G-OTHER"})) is not None
    released = EscrowReleased(
        order_id="O-1",
        grant_id=GRANT.grant_id,
        supplier_id="SUP-009",
        gross=Money.cny(TOTAL),
        fee=Money.cny(0),
        net_to_supplier=Money.cny(TOTAL),
        receivable_recovered=Money.cny(0),
        transfer_ids=[],
    )
    found = contradiction(paid(), "tsinghua", released)
    assert found is not None and "supplier_id: event says 'SUP-009', orders has 'SUP-002'" in found.detail

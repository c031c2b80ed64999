"""The refund case state machine, every deadline, and who may open a case for how much."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.events.common import Actor
from contracts.events.refunds import DisputeDecision
from contracts.events.settlement import RefundSource
from plumbing.aggregates.lifecycle import IllegalTransition
from plumbing.errors import AppError
from services.refunds.domain.case import CaseStatus, Deadlines, NotYourCase, RefundCase
from services.refunds.domain.eligibility import History, OrderView, check_request

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
D = Deadlines()
DAY = timedelta(days=1)
BUYER = Actor(user_id="alice", role="researcher")
SUPPLIER = Actor(user_id="SUP-002-admin", role="supplier")
OPS = Actor(user_id="ops-1", role="platform_ops")


def case(goods_return: bool = False, amount: int = 5_000) -> RefundCase:
    return RefundCase.request(
        refund_id="R-1",
        order_id="O-1",
        tenant_id="tsinghua",
        grant_id="G-1",
        supplier_id="SUP-002",
        buyer=BUYER,
        amount_minor=amount,
        reason_code="damaged",
        reason="crushed box",
        goods_return=goods_return,
        now=NOW,
        deadlines=D,
    )


def kinds(c: RefundCase) -> list[str]:
    return [e.event_type.split(".")[1] for e in c.events]


def status(c: RefundCase) -> CaseStatus:
    return c.status


def test_agreed_without_return_then_paid() -> None:
    c = case()
    c.agree(SUPPLIER, NOW + DAY, D)
    assert status(c) is CaseStatus.AGREED and c.pay_by == NOW + DAY + timedelta(hours=24)
    assert c.paid(RefundSource.ESCROW, NOW + DAY + timedelta(hours=1)) is True
    assert status(c) is CaseStatus.COMPLETED
    assert kinds(c) == ["RefundRequested", "RefundAgreed", "RefundCompleted"]


def test_with_goods_returned() -> None:
    c = case(goods_return=True)
    c.agree(SUPPLIER, NOW, D)
    assert status(c) is CaseStatus.WAIT_BUYER_RETURN_GOODS
    with pytest.raises(NotYourCase):
        c.ship_back(Actor(user_id="bob", role="researcher"), "SF", "1", NOW, D)
    c.ship_back(BUYER, "SF Express", "SF1", NOW, D)
    assert status(c) is CaseStatus.WAIT_SELLER_CONFIRM_GOODS
    c.confirm_goods(SUPPLIER, NOW, D)
    assert status(c) is CaseStatus.AGREED
    assert kinds(c)[-3:] == ["ReturnGoodsShipped", "ReturnGoodsConfirmed", "RefundAgreed"]


def test_refused_escalated_and_awarded_in_part() -> None:
    c = case()
    c.refuse(SUPPLIER, "the box was fine when it left", NOW, D)
    c.escalate(BUYER, "photos attached", NOW)
    assert status(c) is CaseStatus.DISPUTE and c.deadline is None
    with pytest.raises(AppError) as caught:
        c.decide(OPS, DisputeDecision.PARTIAL_REFUND, 5_001, "too much", NOW, D)
    assert caught.value.code == "invalid_award"
    c.decide(OPS, DisputeDecision.PARTIAL_REFUND, 2_500, "shared fault", NOW, D)
    assert (status(c), c.amount_minor) == (CaseStatus.AGREED, 2_500)


def test_a_dispute_lost_closes_the_case() -> None:
    c = case()
    c.refuse(SUPPLIER, "no", NOW, D)
    c.escalate(BUYER, "yes", NOW)
    c.decide(OPS, DisputeDecision.NO_REFUND, 0, "no evidence", NOW, D)
    assert status(c) is CaseStatus.CLOSED and kinds(c)[-2:] == ["DisputeResolved", "RefundClosed"]


@pytest.mark.parametrize(
    ("setup", "expected", "event"),
    [
        (lambda c: None, CaseStatus.AGREED, "RefundAgreed"),  # supplier silent: agreed
        (lambda c: c.refuse(SUPPLIER, "no", NOW, D), CaseStatus.CLOSED, "RefundClosed"),  # not escalated
    ],
)
def test_silence_decides_after_five_days(setup: object, expected: CaseStatus, event: str) -> None:
    c = case()
    setup(c)  # type: ignore[operator]
    assert c.fire(NOW + 5 * DAY - timedelta(seconds=1), D) is False
    assert c.fire(NOW + 5 * DAY, D) is True
    assert status(c) is expected and kinds(c)[-1] == event


def test_return_deadlines() -> None:
    c = case(goods_return=True)
    c.agree(SUPPLIER, NOW, D)
    assert c.fire(NOW + 5 * DAY, D) and status(c) is CaseStatus.CLOSED  # buyer never shipped
    c2 = case(goods_return=True)
    c2.agree(SUPPLIER, NOW, D)
    c2.ship_back(BUYER, "SF", "1", NOW + DAY, D)
    assert c2.fire(NOW + 6 * DAY, D) and status(c2) is CaseStatus.AGREED  # confirmed by silence


def test_wrong_state_actions_are_refused() -> None:
    c = case()
    with pytest.raises(IllegalTransition):
        c.confirm_goods(SUPPLIER, NOW, D)
    with pytest.raises(IllegalTransition):
        c.escalate(BUYER, "x", NOW)
    c.agree(SUPPLIER, NOW, D)
    with pytest.raises(IllegalTransition):
        c.withdraw(BUYER, NOW)
    assert c.paid(RefundSource.ESCROW, NOW) is True
    assert c.paid(RefundSource.ESCROW, NOW) is False  # settlement's answer twice changes nothing


ORDER = OrderView("O-1", "tsinghua", "G-1", "alice", "SUP-002", 10_000, "SHIPPED", None)
NONE = History(0, None, 0)


@pytest.mark.parametrize(
    ("order", "buyer", "amount", "history", "now", "code"),
    [
        (ORDER, "alice", 10_001, NONE, NOW, "refund_too_large"),
        (ORDER, "alice", 3_001, History(2, None, 7_000), NOW, "refund_too_large"),
        (ORDER, "alice", 100, History(1, "R-9", 0), NOW, "case_already_open"),
        (ORDER, "alice", 100, History(50, None, 100), NOW, "too_many_refunds"),
        (ORDER, "bob", 100, NONE, NOW, "order_not_found"),
        (
            ORDER.__class__(**{**ORDER.__dict__, "status": "AWAITING_FUNDS"}),
            "alice",
            100,
            NONE,
            NOW,
            "order_not_refundable",
        ),
        (
            ORDER.__class__(**{**ORDER.__dict__, "status": "COMPLETED", "completed_at": NOW}),
            "alice",
            100,
            NONE,
            NOW + 7 * DAY + timedelta(seconds=1),
            "after_sales_window_closed",
        ),
    ],
)
def test_who_may_ask_for_how_much(
    order: OrderView, buyer: str, amount: int, history: History, now: datetime, code: str
) -> None:
    with pytest.raises(AppError) as caught:
        check_request(order, buyer, "tsinghua", amount, history, now, D)
    assert caught.value.code == code


def test_within_the_window_and_the_refundable_amount_is_fine() -> None:
    completed = OrderView("O-1", "tsinghua", "G-1", "alice", "SUP-002", 10_000, "COMPLETED", NOW)
    check_request(completed, "alice", "tsinghua", 3_000, History(1, None, 7_000), NOW + 7 * DAY, D)

"""Settlement's money rules decided in memory, with no database: a poll of events applied to a
book of grants, escrows and ledger accounts, each event seeing the ones before it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.orders import CancelReason, OrderCancelled, OrderPlaced, OrderReceived
from contracts.events.refunds import RefundAgreed, RefundRequested
from contracts.money import Money
from contracts.registry import REGISTRY
from services.settlement.events import MONEY
from services.settlement.grants.domain.grant import Grant
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.ledger import Account
from services.settlement.money_path.domain.book import Book, Terms
from services.settlement.money_path.domain.poll import Poll
from tests.factories import line

TODAY = date(2026, 4, 10)
BUYER = Actor(user_id="alice", role="researcher")
GRANT, SUPPLIER = "G-1", "SUP-1"
PAYABLE, RECEIVABLE = accounts.supplier_payable(SUPPLIER), accounts.supplier_receivable(SUPPLIER)


def book(budget: int = 10_000, fund: int = 1_000, supplier_balance: int | None = None) -> Book:
    """A grant with `budget` fen of reagents, the guarantee fund holding `fund`; the supplier's
    accounts loaded with their balance when `supplier_balance` is given."""
    b = Book(Terms(fee_rate_bp=60, today=TODAY))
    b.grants[("tsinghua", GRANT)] = Grant(
        GRANT, "tsinghua", "C-1", "t", "prof-wang", ["alice"], {}, date(2026, 1, 1), date(2026, 12, 31), 10**9
    )
    b.ledger.load_account(Account(accounts.grant("tsinghua", GRANT, "reagents"), True, credits_posted=budget))
    for name in (accounts.FEE_INCOME, accounts.GUARANTEE_ADVANCED):
        b.ledger.open(name, opening=accounts.PLATFORM[name])
    b.ledger.load_account(Account(accounts.GUARANTEE_FUND, True, credits_posted=fund))
    b.ledger.load_account(Account(PAYABLE, True, credits_posted=supplier_balance or 0))
    b.ledger.open(RECEIVABLE, opening=accounts.opening_receivable(SUPPLIER))
    return b


def cause(event: EventPayload, tenant: str = "tsinghua") -> Envelope:
    return Envelope.of(
        event, producer="test", aggregate_id="x", aggregate_version=1, tenant_id=tenant, correlation_id="c"
    )


def placed(order_id: str, amount: int) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        checkout_id=order_id,
        grant_id=GRANT,
        buyer=BUYER,
        supplier_id=SUPPLIER,
        lines=[line("RG-1", "reagents", 1, amount)],
        total=Money.cny(amount),
    )


def received(order_id: str, amount: int, grant: str = GRANT) -> OrderReceived:
    return OrderReceived(
        order_id=order_id,
        supplier_id=SUPPLIER,
        grant_id=grant,
        confirmed_by=BUYER,
        auto_confirmed=False,
        amount=Money.cny(amount),
    )


def refund(refund_id: str, order_id: str, amount: int, asked: int | None = None) -> list[EventPayload]:
    asked = amount if asked is None else asked
    return [
        RefundRequested(
            refund_id=refund_id,
            order_id=order_id,
            supplier_id=SUPPLIER,
            grant_id=GRANT,
            requested_by=BUYER,
            amount=Money.cny(asked),
            reason_code="damaged",
            reason="dented",
            goods_return_required=False,
            seller_deadline=datetime(2026, 4, 15, tzinfo=UTC),
        ),
        RefundAgreed(
            refund_id=refund_id,
            order_id=order_id,
            supplier_id=SUPPLIER,
            grant_id=GRANT,
            amount=Money.cny(amount),
            agreed_by=Actor(user_id="s", role="supplier"),
            automatic=False,
            pay_by=datetime(2026, 4, 11, tzinfo=UTC) + timedelta(hours=24),
        ),
    ]


def run(b: Book, *events: EventPayload | Envelope) -> tuple[Poll, list[str | None]]:
    """Apply the events in order (an envelope: that very event, e.g. again); the poll and each
    event's refusal code (None: applied, or nothing to do)."""
    poll = Poll(b, MONEY)
    codes = []
    for e in events:
        envelope = e if isinstance(e, Envelope) else cause(e)
        refusal = poll.apply(REGISTRY.payload_of(envelope), envelope)
        codes.append(None if refusal is None else refusal.code)
    return poll, codes


def available(b: Book, account: str) -> int:
    value = b.ledger.available(account)
    assert value is not None
    return value


def test_an_order_placed_then_received_in_one_poll_settles_with_the_fee() -> None:
    b = book()
    poll, codes = run(b, placed("O-1", 1_234), received("O-1", 1_234))
    assert codes == [None, None]
    assert b.escrows["O-1"].status == "released"
    assert b.escrows["O-1"].fee == 7  # 1,234 fen at 60 bp is 7.404: half up to the fen
    assert available(b, PAYABLE) == 1_234 - 7
    assert [e.payload.event_type for e in poll.emitted] == [
        "settlement.FundsReserved",
        "settlement.EscrowReleased",
    ]
    assert [e.version for e in poll.emitted] == [1, 2]
    assert poll.figures[("tsinghua", GRANT, "reagents")] == [0, 0, 1_234, 0]  # encumbered, then expended


def test_two_orders_compete_for_the_last_of_a_budget() -> None:
    b = book(budget=5_000)
    poll, codes = run(b, placed("O-1", 3_000), placed("O-2", 3_000))
    assert codes == [None, None]  # the second is rejected with a reason (an answer, not a refusal)
    assert (b.escrows["O-1"].status, b.escrows["O-2"].status) == ("held", "rejected")
    assert b.escrows["O-2"].reason == "insufficient_budget"
    rejected = poll.emitted[-1].payload
    assert rejected.detail == "reagents has 2000 fen available, the order needs 3000"  # type: ignore[attr-defined]


def test_a_refund_while_held_re_reserves_the_rest_and_a_cancellation_voids_it() -> None:
    b = book()
    _, codes = run(b, placed("O-1", 4_000), *refund("R-1", "O-1", 1_500))
    assert codes == [None, None, None]
    escrow = b.escrows["O-1"]
    assert (escrow.held, escrow.generation, escrow.refunded) == ({"reagents": 2_500}, 1, 1_500)
    assert available(b, accounts.grant("tsinghua", GRANT, "reagents")) == 10_000 - 2_500
    _, codes = run(
        b,
        OrderCancelled(
            order_id="O-1", grant_id=GRANT, cancelled_by=BUYER, reason_code=CancelReason.BUYER_CANCELLED
        ),
    )
    assert codes == [None]
    assert b.escrows["O-1"].status == "voided"
    assert available(b, accounts.grant("tsinghua", GRANT, "reagents")) == 10_000


def test_a_refund_after_release_beyond_the_supplier_balance_is_advanced_then_recovered() -> None:
    b = book(fund=5_000)
    run(b, placed("O-1", 2_000), received("O-1", 2_000))  # the supplier holds 2,000 - 12 = 1,988
    _, codes = run(b, *refund("R-1", "O-1", 2_000))
    assert codes == [None, None]
    assert available(b, accounts.grant("tsinghua", GRANT, "reagents")) == 10_000  # the grant made whole
    receivable = b.ledger.accounts[RECEIVABLE]
    assert receivable.debits_posted - receivable.credits_posted == 2_000  # owed to the fund
    assert (available(b, accounts.GUARANTEE_FUND), available(b, PAYABLE)) == (3_000, 1_988)
    poll, codes = run(b, placed("O-2", 3_000), received("O-2", 3_000))  # 3,000 less a fee of 18
    assert codes == [None, None]
    released = next(e.payload for e in poll.emitted if e.payload.event_type == "settlement.EscrowReleased")
    assert released.receivable_recovered.amount_minor == 2_000  # type: ignore[attr-defined]
    assert released.net_to_supplier.amount_minor == 3_000 - 18 - 2_000  # type: ignore[attr-defined]
    assert receivable.debits_posted - receivable.credits_posted == 0
    assert (available(b, accounts.GUARANTEE_FUND), available(b, PAYABLE)) == (5_000, 1_988 + 982)


def test_a_replay_changes_nothing_and_a_contradiction_is_refused() -> None:
    b = book()
    release = cause(received("O-1", 2_000))
    run(b, placed("O-1", 2_000), release)
    before = {a: x.totals() for a, x in b.ledger.accounts.items()}
    _, codes = run(
        b,
        release,  # the very same event again (beyond the dedup window): nothing to do
        received("O-1", 2_000),  # another receipt of a released escrow
        cause(received("O-1", 2_000), tenant="fudan"),
        received("O-1", 2_001),  # more than the order was for
        *refund("R-9", "O-1", 100)[1:],  # agreed, never asked for
    )
    assert codes == [
        None,
        "escrow_not_held",
        "event_contradicts_escrow",
        "event_contradicts_escrow",
        "refund_not_requested",
    ]
    assert {a: x.totals() for a, x in b.ledger.accounts.items()} == before


def test_a_refused_decision_is_undone_in_memory_while_the_poll_goes_on() -> None:
    b = book(fund=50)
    run(b, placed("O-1", 2_000), received("O-1", 2_000))
    run(b, *refund("R-1", "O-1", 1_900))  # from the supplier's balance: 1,988 - 1,900 = 88 left
    before = {a: x.totals() for a, x in b.ledger.accounts.items()}
    grant = accounts.grant("tsinghua", GRANT, "reagents")
    # 100 more is beyond the supplier's 88 and the fund's 50: the advance is refused as a value,
    # nothing of the refund stays in the ledger, and the next event of the poll still applies
    _, codes = run(b, *refund("R-2", "O-1", 100), placed("O-2", 500))
    assert codes == [None, "insufficient_funds", None]
    assert "R-2" not in b.paid_refunds and b.escrows["O-1"].refunded == 1_900
    for name in (RECEIVABLE, accounts.GUARANTEE_FUND, accounts.GUARANTEE_ADVANCED):
        assert b.ledger.accounts[name].totals() == before[name], name
    payable = b.ledger.accounts[PAYABLE].totals()  # only O-2's reservation toward the supplier
    assert payable == (before[PAYABLE][0], before[PAYABLE][1], before[PAYABLE][2] + 500, before[PAYABLE][3])
    assert b.ledger.accounts[grant].debits_pending == before[grant][0] + 500

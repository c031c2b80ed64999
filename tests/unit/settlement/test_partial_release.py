"""Escrow released receipt by receipt: each partial release posts its lines' worth, carries the
rest as the next generation, and takes the fee it adds to the whole — so the releases add up to
the whole-order release to the fen, fee included."""

from __future__ import annotations

from contracts.events.common import BudgetCategory
from contracts.events.orders import OrderPlaced, OrderReceived, ReceivedLine
from contracts.events.settlement import EscrowReleased
from contracts.money import Money
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.ledger import Account
from services.settlement.money_path.domain.book import Book
from services.settlement.money_path.domain.fees import platform_fee
from services.settlement.money_path.domain.poll import Poll
from tests.factories import line
from tests.unit.settlement.test_money_rules import (
    BUYER,
    GRANT,
    PAYABLE,
    SUPPLIER,
    available,
    book,
    cause,
    refund,
    run,
)

REAGENTS, CONSUMABLES = (
    accounts.grant("tsinghua", GRANT, "reagents"),
    accounts.grant("tsinghua", GRANT, "consumables"),
)


def three_line_book() -> Book:
    b = book(budget=100_000)
    b.ledger.load_account(Account(CONSUMABLES, True, credits_posted=100_000))
    return b


def placed() -> OrderPlaced:
    """1,250 + 1,250 fen of reagents and 2 x 3,333 of consumables."""
    lines = [
        line("RG-1", "reagents", 1, 1_250),
        line("RG-2", "reagents", 1, 1_250),
        line("CS-1", "consumables", 2, 3_333),
    ]
    return OrderPlaced(
        order_id="O-1",
        checkout_id="C-1",
        grant_id=GRANT,
        buyer=BUYER,
        supplier_id=SUPPLIER,
        lines=lines,
        total=Money.cny(9_166),
    )


def receipt(no: int, parts: list[tuple[int, int, int, str]], complete: bool) -> OrderReceived:
    """`parts`: (line no, quantity, amount, category)."""
    lines = [
        ReceivedLine(line_no=n, quantity=q, amount_minor=a, category=BudgetCategory(c))
        for n, q, a, c in parts
    ]
    return OrderReceived(
        order_id="O-1",
        supplier_id=SUPPLIER,
        grant_id=GRANT,
        confirmed_by=BUYER,
        auto_confirmed=False,
        amount=Money.cny(sum(a for _, _, a, _ in parts)),
        receipt_no=no,
        lines=lines,
        complete=complete,
    )


def released(poll: Poll) -> list[tuple[int, int, bool]]:
    return [
        (e.payload.gross.amount_minor, e.payload.fee.amount_minor, e.payload.complete)
        for e in poll.emitted
        if isinstance(e.payload, EscrowReleased)
    ]


def test_partial_releases_add_up_to_the_whole_order_to_the_fen() -> None:
    b = three_line_book()
    poll, codes = run(
        b,
        placed(),
        receipt(1, [(1, 1, 1_250, "reagents")], False),
        receipt(2, [(3, 1, 3_333, "consumables")], False),
        receipt(3, [(2, 1, 1_250, "reagents"), (3, 1, 3_333, "consumables")], True),
    )
    assert codes == [None, None, None, None]
    # alone, 1,250 at 60 bp is 7.5 → 8 each; on the whole it is 9,166 → 54.996 → 55
    assert released(poll) == [(1_250, 8, False), (3_333, 19, False), (4_583, 28, True)]
    assert 8 + 19 + 28 == platform_fee(9_166, 60) == 55
    assert available(b, PAYABLE) == 9_166 - 55
    assert (available(b, REAGENTS), available(b, CONSUMABLES)) == (100_000 - 2_500, 100_000 - 6_666)
    for name in (REAGENTS, CONSUMABLES):
        assert b.ledger.accounts[name].debits_pending == 0
    escrow = b.escrows["O-1"]
    assert (escrow.status, escrow.released, escrow.fee, escrow.held) == ("released", 9_166, 55, {})


def test_what_a_partial_receipt_leaves_stays_held_and_a_replay_of_it_changes_nothing() -> None:
    b = three_line_book()
    first = cause(receipt(1, [(3, 2, 6_666, "consumables")], False))
    run(b, placed(), first)
    escrow = b.escrows["O-1"]
    assert (escrow.status, escrow.held, escrow.generation) == ("held", {"reagents": 2_500}, 1)
    assert b.ledger.accounts[REAGENTS].debits_pending == 2_500  # carried as generation 1
    before = {a: x.totals() for a, x in b.ledger.accounts.items()}
    _, codes = run(b, first, receipt(1, [(3, 2, 6_666, "consumables")], False))
    assert codes == [None, None]
    assert {a: x.totals() for a, x in b.ledger.accounts.items()} == before


def test_a_refund_from_escrow_after_a_partial_release_and_then_the_last_receipt() -> None:
    b = three_line_book()
    run(b, placed(), receipt(1, [(1, 1, 1_250, "reagents")], False))
    _, codes = run(b, *refund("R-1", "O-1", 1_000))  # from what is still held
    assert codes == [None, None]
    poll, codes = run(b, receipt(2, [(2, 1, 1_250, "reagents"), (3, 2, 6_666, "consumables")], True))
    assert codes == [None]
    ((gross, fee, complete),) = released(poll)
    assert (gross, complete) == (9_166 - 1_250 - 1_000, True)
    assert 8 + fee == platform_fee(9_166 - 1_000, 60)
    assert available(b, PAYABLE) == 9_166 - 1_000 - platform_fee(9_166 - 1_000, 60)


def test_a_receipt_worth_more_than_the_order_is_refused() -> None:
    b = three_line_book()
    _, codes = run(b, placed(), receipt(1, [(1, 1, 9_999, "reagents")], False))
    assert codes == [None, "event_contradicts_escrow"]
    assert b.escrows["O-1"].held == {"consumables": 6_666, "reagents": 2_500}

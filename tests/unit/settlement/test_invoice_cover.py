"""What a payout may pay of an order when its university pays only against matched invoices,
with fen computed by hand (fee 60 bp, half up)."""

from __future__ import annotations

from services.settlement.invoice_cover.domain.cover import OrderMoney, allocate

BP = 60


def order(
    released: int, fee: int, *, covered: int = 0, paid: int = 0, charged: int = 0, why: str | None = None
) -> OrderMoney:
    return OrderMoney("O-1", released, fee, charged, paid, covered, why)


def test_nothing_is_payable_before_an_invoice_and_the_reason_says_so() -> None:
    o = order(9_650, 58)
    assert (o.payable(BP), o.held(BP), o.reason) == (0, 9_592, "invoice_missing")


def test_an_invoice_for_part_of_the_release_pays_that_part_net_of_its_fee() -> None:
    # 14,233 released (fee 85); an invoice for the first 9,650 allows 9,650 - 58
    o = order(14_233, 85, covered=9_650)
    assert (o.payable(BP), o.held(BP)) == (9_592, 14_233 - 85 - 9_592)


def test_an_invoice_for_everything_pays_the_whole_net_and_the_fees_add_up() -> None:
    paid_first = order(14_233, 85, covered=14_233, paid=9_592)
    assert (paid_first.payable(BP), paid_first.held(BP)) == (4_556, 0)
    assert 9_592 + 4_556 == 14_233 - 85


def test_an_invoice_for_more_than_was_released_pays_only_what_was_released() -> None:
    o = order(9_650, 58, covered=14_233)
    assert (o.payable(BP), o.held(BP)) == (9_592, 0)


def test_a_refund_and_its_red_letter_invoice_change_nothing_of_what_may_be_paid() -> None:
    before = order(14_233, 85, covered=14_233, paid=9_000)
    refunded = order(14_233, 85, covered=14_233, paid=9_000, charged=1_250)
    offset = order(14_233, 85, covered=14_233 - 1_250, paid=9_000, charged=1_250)
    assert before.payable(BP) - 1_250 == refunded.payable(BP) == offset.payable(BP) == 3_898


def test_a_refund_after_full_payout_takes_back_beyond_the_order() -> None:
    o = order(14_233, 85, covered=14_233 - 1_250, paid=14_148, charged=1_250)
    assert (o.payable(BP), o.held(BP), o.taken_back()) == (0, 0, 1_250)


def test_a_voided_invoice_holds_again_with_its_reason() -> None:
    o = order(5_600, 34, covered=0, why="invoice_voided")
    assert (o.held(BP), o.reason) == (5_566, "invoice_voided")


def test_a_payout_is_spread_over_orders_oldest_first_up_to_each_payable() -> None:
    orders = [
        OrderMoney("O-2", 5_600, 34, 0, 0, 5_600),
        OrderMoney("O-1", 9_650, 58, 0, 0, 9_650),
        OrderMoney("O-3", 1_000, 6, 0, 0, 0),
    ]
    assert allocate(12_000, orders, BP) == {"O-1": 9_592, "O-2": 2_408}
    assert allocate(100_000, orders, BP) == {"O-1": 9_592, "O-2": 5_566}

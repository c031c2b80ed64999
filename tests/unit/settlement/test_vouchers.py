"""Vouchers from ledger movements, with fen and accounts written out by hand: each balanced,
in the mapping of its day, with a deterministic id; what a mapping lacks is an exception."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.settlement.books.adapters.export import as_csv, as_json
from services.settlement.books.domain.mapping import AccountMapping, Expense, Role
from services.settlement.books.domain.vouchers import Line, Movement, Unpostable, Voucher, book, voucher_of

ACCOUNTS = {
    Role.BUDGET: "1011",
    Role.BUDGET_SOURCE: "4001",
    Role.COMMITMENT: "8101",
    Role.COMMITMENT_OFFSET: "8001",
    Role.PAYABLE: "2302",
    Role.REFUND_RECEIVABLE: "1218",
}
MAPPING = AccountMapping(
    date(2026, 1, 1),
    ACCOUNTS,
    {"consumables": Expense("5001.02", "30218"), "reagents": Expense("5001.01", "30218")},
)
# 2026-11-30 17:30 UTC is 2026-12-01 01:30 in Beijing: December's books
AT = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)


def move(
    code: str, kind: str, amount: int, *, seq: int = 1, to_grant: bool = False, category: str = "consumables"
) -> Movement:
    return Movement(
        f"T-{seq}", seq, AT, kind, code, amount, "G-1", "NSFC-22375001", category, to_grant, "O-1"
    )


def lines(v: Voucher | Unpostable) -> list[tuple[str, int, int]]:
    assert isinstance(v, Voucher) and v.balanced
    return [(x.account, x.debit, x.credit) for x in v.lines]


def test_an_order_commits_then_receipt_posts_expense_and_payable_and_lifts_the_commitment() -> None:
    committed = voucher_of("tsinghua", move("escrow", "pending", 14_233), [MAPPING])
    assert lines(committed) == [("8101", 14_233, 0), ("8001", 0, 14_233)]
    received = voucher_of("tsinghua", move("escrow_release", "post_pending", 9_650, seq=2), [MAPPING])
    assert lines(received) == [
        ("5001.02", 9_650, 0),
        ("2302", 0, 9_650),
        ("8001", 9_650, 0),
        ("8101", 0, 9_650),
    ]
    assert isinstance(received, Voucher)
    assert received.lines[0].classification == "30218" and received.lines[0].project == "NSFC-22375001"
    assert received.day == date(2026, 12, 1)  # Beijing's day
    assert received.summary == "订单 O-1 收货确认，应付供应商（耗材）"


def test_cancellation_lifts_the_commitment_and_a_refund_after_receipt_reverses_the_expense() -> None:
    assert lines(voucher_of("t", move("escrow_void", "void_pending", 5_600), [MAPPING])) == [
        ("8001", 5_600, 0),
        ("8101", 0, 5_600),
    ]
    refund = voucher_of("t", move("refund_supplier_balance", "posted", 1_250, to_grant=True), [MAPPING])
    assert lines(refund) == [("1218", 1_250, 0), ("5001.02", 0, 1_250)]


def test_a_budget_cut_swaps_the_sides_of_the_budget_voucher() -> None:
    given = voucher_of("t", move("budget", "posted", 100_000, to_grant=True), [MAPPING])
    cut = voucher_of("t", move("budget", "posted", 20_000, to_grant=False), [MAPPING])
    assert lines(given) == [("1011", 100_000, 0), ("4001", 0, 100_000)]
    assert lines(cut) == [("4001", 20_000, 0), ("1011", 0, 20_000)]


def test_what_the_mapping_lacks_is_an_exception_never_a_missing_line() -> None:
    unmapped = voucher_of("t", move("escrow_release", "post_pending", 700, category="equipment"), [MAPPING])
    assert isinstance(unmapped, Unpostable)
    assert unmapped.reasons == ("no account for expense:equipment on 2026-12-01",)
    before = voucher_of("t", move("escrow", "pending", 700), [AccountMapping(date(2027, 1, 1), ACCOUNTS, {})])
    assert isinstance(before, Unpostable)  # no mapping in force yet on the day
    unknown = voucher_of("t", move("bank_interest", "posted", 3), [MAPPING])
    assert isinstance(unknown, Unpostable) and unknown.reasons == (
        "no voucher rule for bank_interest posted",
    )


def test_the_mapping_of_the_day_applies_and_ids_and_exports_are_deterministic() -> None:
    later = AccountMapping(date(2026, 12, 1), {**ACCOUNTS, Role.PAYABLE: "2302.09"}, MAPPING.expense)
    v = voucher_of("tsinghua", move("escrow_release", "post_pending", 100), [MAPPING, later])
    assert lines(v)[1] == ("2302.09", 0, 100)
    first = book(
        "tsinghua",
        [move("escrow", "pending", 100, seq=2), move("budget", "posted", 500, to_grant=True)],
        [MAPPING],
    )
    again = book(
        "tsinghua",
        [move("budget", "posted", 500, to_grant=True), move("escrow", "pending", 100, seq=2)],
        [MAPPING],
    )
    assert as_json("tsinghua", "2026-12", first) == as_json("tsinghua", "2026-12", again)
    assert as_csv(first) == as_csv(again)
    assert [x.voucher_id for x in first.vouchers] == [x.voucher_id for x in again.vouchers]
    assert first.vouchers[0].lines[0] == Line("1011", "NSFC-22375001", "", 500, 0)

"""What an officer may do with a line in suspense, decided without a database: each refusal has
its stable code, and what is allowed takes exactly the line's amount out of suspense."""

from __future__ import annotations

from datetime import date

import pytest

from plumbing.errors import AppError
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import TransferKind
from services.settlement.reconciliation.domain import suspense as rules
from services.settlement.reconciliation.domain.matching import BankItem
from services.settlement.reconciliation.domain.statement import Direction, StatementLine
from services.settlement.reconciliation.domain.suspense import SuspenseLine, WriteOffAsked

DAY = date(2026, 11, 30)


def line(amount: int, direction: Direction, counterparty: str | None = "6222 0200 1234") -> SuspenseLine:
    return SuspenseLine("L-1", "S-1", 3, "open", StatementLine(3, DAY, amount, direction), counterparty)


def code_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(AppError) as exc:
        call()
    return exc.value.code


def payout(item_id: str, amount: int) -> BankItem:
    return BankItem(item_id, "payout", amount, DAY, f"E2E-{item_id}")


def test_a_line_not_open_is_refused_with_its_state() -> None:
    assert code_of(lambda: rules.open_line(None, "L-9")) == "suspense_item_not_found"
    matched = SuspenseLine("L-1", "S-1", 3, "matched", StatementLine(3, DAY, 1, Direction.DEBIT), None)
    assert code_of(lambda: rules.open_line(matched, "L-1")) == "suspense_item_resolved"


def test_payouts_that_add_up_to_the_line_take_it_out_of_suspense() -> None:
    found = line(30_000, Direction.DEBIT)
    out = rules.match_items(
        found, [payout("P-1", 10_000), payout("P-2", 20_000)], "payout:P-1,payout:P-2", set()
    )
    assert (out.debit_account, out.credit_account, out.amount) == (accounts.BANK, accounts.SUSPENSE, 30_000)
    assert out.code is TransferCode.SUSPENSE_MATCHED


def test_a_match_that_does_not_add_up_or_was_taken_is_refused() -> None:
    found = line(30_000, Direction.DEBIT)
    items = [payout("P-1", 10_000)]
    assert code_of(lambda: rules.match_items(found, items, "payout:P-1", set())) == "match_amount_differs"
    assert code_of(lambda: rules.match_items(found, items, "payout:P-1", {"P-1"})) == "ledger_item_matched"
    twice = [payout("P-1", 15_000), payout("P-1", 15_000)]
    assert (
        code_of(lambda: rules.match_items(found, twice, "payout:P-1,payout:P-1", set()))
        == "invalid_match_target"
    )
    money_in = line(10_000, Direction.CREDIT)
    assert code_of(lambda: rules.match_items(money_in, items, "payout:P-1", set())) == "match_direction"


def test_a_repayment_no_larger_than_what_is_owed_replenishes_the_fund() -> None:
    found = line(5_000, Direction.CREDIT)
    repaid, replenished = rules.repay_receivable(found, "SUP-1", 8_000)
    assert (repaid.debit_account, repaid.credit_account) == (
        accounts.SUSPENSE,
        accounts.supplier_receivable("SUP-1"),
    )
    assert (replenished.debit_account, replenished.credit_account) == (
        accounts.GUARANTEE_ADVANCED,
        accounts.GUARANTEE_FUND,
    )
    assert code_of(lambda: rules.repay_receivable(found, "SUP-1", 4_999)) == "exceeds_receivable"


def test_a_write_off_needs_a_reason_and_a_second_person() -> None:
    assert code_of(lambda: rules.write_off_reason("")) == "reason_required"
    asked = WriteOffAsked("officer-a", "unknown sender after 90 days")
    assert code_of(lambda: rules.ask_write_off(asked, "L-1")) == "write_off_requested"
    found = line(700, Direction.CREDIT)
    assert code_of(lambda: rules.write_off(found, None, "officer-b")) == "no_write_off_requested"
    assert code_of(lambda: rules.write_off(found, asked, "officer-a")) == "second_approver_required"
    out = rules.write_off(found, asked, "officer-b")
    assert (out.debit_account, out.credit_account, out.amount) == (
        accounts.SUSPENSE,
        accounts.RECONCILIATION_DIFFERENCES,
        700,
    )


def test_a_return_goes_to_the_payer_pending_until_the_bank_answers() -> None:
    sent = rules.return_to_payer(line(1_234, Direction.CREDIT), None, 2)
    assert (sent.return_id, sent.payer_account, sent.amount_minor) == ("RT-L-1-2", "622202001234", 1_234)
    assert sent.pending.kind is TransferKind.PENDING
    assert sent.answered(settled=False).kind is TransferKind.VOID_PENDING
    assert sent.answered(settled=True).pending_id == sent.pending.transfer_id
    assert sent.end_to_end_id.startswith("USR") and len(sent.end_to_end_id) == 27
    nameless = line(1_234, Direction.CREDIT, counterparty=None)
    assert code_of(lambda: rules.return_to_payer(nameless, None, 1)) == "payer_account_unknown"
    assert code_of(lambda: rules.return_to_payer(line(1, Direction.DEBIT), "622", 1)) == "not_a_receipt"

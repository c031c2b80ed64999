"""Micro-deposit verification: the right amount, wrong answers, the lock and the 10-day window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.suppliers.domain.bank_account import AccountStatus, Answer, mask
from services.suppliers.domain.errors import (
    HolderNameMismatch,
    VerificationExpired,
    VerificationLocked,
)
from tests.unit.suppliers.builders import NOW, account, registered


def test_the_holder_must_be_the_legal_name_up_to_case_width_and_spaces() -> None:
    account(holder="SHANGHAI  KEFENG Chemical Technology Co., Ltd.")
    account(
        holder="\uff33\uff48\uff41\uff4e\uff47\uff48\uff41\uff49 Kefeng Chemical Technology Co., Ltd."
    )  # full-width
    with pytest.raises(HolderNameMismatch):
        account(holder="Shanghai Kefeng Trading Co., Ltd.")


def test_three_wrong_answers_lock_until_operations_reset() -> None:
    s = registered()
    s.change_bank_account(account(deposit=37))
    assert s.answer_deposit(36, NOW) is Answer.WRONG
    assert s.answer_deposit(73, NOW) is Answer.WRONG
    assert s.answer_deposit(1, NOW) is Answer.LOCKED
    with pytest.raises(VerificationLocked):
        s.answer_deposit(37, NOW)  # even the right amount, once locked
    s.restart_verification(deposit_minor=81, sent_at=NOW + timedelta(days=1))
    assert s.answer_deposit(81, NOW + timedelta(days=1)) is Answer.VERIFIED
    assert s.bank_verified


def test_the_answer_must_come_within_ten_days() -> None:
    s = registered()
    s.change_bank_account(account(deposit=37))
    assert s.bank_account is not None
    assert s.bank_account.status is AccountStatus.PENDING
    with pytest.raises(VerificationExpired):
        s.answer_deposit(37, NOW + timedelta(days=10, seconds=1))


def test_changing_the_account_of_an_active_supplier_pauses_payouts_not_sales() -> None:
    from tests.unit.suppliers.builders import active

    s = active()
    s.change_bank_account(account(deposit=44))
    assert not s.bank_verified
    assert s.state.value == "ACTIVE"
    assert s.events[-1].event_type == "suppliers.BankAccountChanged"


def test_account_numbers_are_masked_in_events() -> None:
    s = registered()
    s.change_bank_account(account())
    event = s.events[-1]
    assert event.account_masked == "**** 3445"  # type: ignore[attr-defined]
    assert "6222020200112233445" not in event.model_dump_json()
    assert mask("123456") == "**** 3456"

"""The supplier state machine: registration to ACTIVE, review, suspension, illegal moves."""

from __future__ import annotations

import pytest

from services.suppliers.domain.errors import IllegalTransition, InvalidCreditCode
from services.suppliers.domain.supplier import Supplier, SupplierState
from tests.unit.suppliers.builders import NOW, OPS, account, registered, with_business_licence


def state(s: Supplier) -> SupplierState:
    return s.state  # read through a call so that each assert sees the current state


def event_types(s: Supplier) -> list[str]:
    return [e.event_type.split(".")[1] for e in s.events]


def test_registration_to_active_emits_each_step() -> None:
    s = with_business_licence(registered())
    s.submit_for_review()
    assert state(s) is SupplierState.UNDER_REVIEW
    s.approve(OPS)
    assert state(s) is SupplierState.APPROVED  # not selling until its bank account is verified
    s.change_bank_account(account(deposit=55))
    s.answer_deposit(55, NOW)
    assert state(s) is SupplierState.ACTIVE
    assert event_types(s) == [
        "SupplierRegistered",
        "SupplierApproved",
        "BankAccountChanged",
        "BankAccountVerified",
        "SupplierActivated",
    ]


def test_a_verified_account_before_approval_activates_on_approval() -> None:
    s = with_business_licence(registered())
    s.change_bank_account(account(deposit=12))
    s.answer_deposit(12, NOW)
    s.submit_for_review()
    s.approve(OPS)
    assert state(s) is SupplierState.ACTIVE
    assert event_types(s)[-2:] == ["SupplierApproved", "SupplierActivated"]


def test_a_rejected_supplier_may_fix_and_resubmit() -> None:
    s = with_business_licence(registered())
    s.submit_for_review()
    s.reject(OPS, "the licence scan is unreadable")
    assert (s.state, s.state_reason) == (SupplierState.REJECTED, "the licence scan is unreadable")
    s.submit_for_review()
    assert state(s) is SupplierState.UNDER_REVIEW


def test_review_needs_the_business_licence() -> None:
    s = registered()
    with pytest.raises(IllegalTransition) as caught:
        s.submit_for_review()
    assert caught.value.code == "business_licence_required"


def test_suspend_and_reinstate_only_between_active_and_suspended() -> None:
    s = with_business_licence(registered())
    with pytest.raises(IllegalTransition) as caught:
        s.suspend(OPS, "complaints")
    assert caught.value.details == {"state": "REGISTERED", "allowed_from": ["ACTIVE"]}
    s.submit_for_review()
    s.approve(OPS)
    s.change_bank_account(account(deposit=9))
    s.answer_deposit(9, NOW)
    s.suspend(OPS, "quality complaints under investigation")
    assert state(s) is SupplierState.SUSPENDED
    with pytest.raises(IllegalTransition):
        s.suspend(OPS, "again")
    s.reinstate(OPS, "investigation closed")
    assert state(s) is SupplierState.ACTIVE


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_review_decisions_need_a_pending_review(command: str) -> None:
    s = registered()
    with pytest.raises(IllegalTransition):
        if command == "approve":
            s.approve(OPS)
        else:
            s.reject(OPS, "no")


def test_an_invalid_credit_code_is_refused_at_registration() -> None:
    with pytest.raises(InvalidCreditCode):
        Supplier.register("S", "X Co.", "91310115AL7LL93D6G", registered().contact, [])

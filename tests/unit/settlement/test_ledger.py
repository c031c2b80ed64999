"""The ledger's rules, and a property: any sequence of reserve / release / void / post keeps
debits equal to credits and every grant within its budget."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch
from services.settlement.ledger.domain.ledger import Ledger, PendingState, Transfer, TransferKind
from services.settlement.money_path.domain.fees import platform_fee


def tid(cause: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, cause)


def funded(budget: int = 10_000) -> Ledger:
    ledger = Ledger()
    ledger.open("funding")
    ledger.open("grant", limited=True)
    ledger.open("payable")
    ledger.apply(
        Transfer(tid("budget"), "funding", "grant", budget, TransferKind.POSTED, TransferCode.BUDGET)
    )
    return ledger


def reserve(n: int, amount: int) -> Transfer:
    return Transfer(tid(f"escrow:{n}"), "grant", "payable", amount, TransferKind.PENDING, TransferCode.ESCROW)


def resolve(n: int, kind: TransferKind, amount: int) -> Transfer:
    return Transfer(
        tid(f"{kind}:{n}"),
        "grant",
        "payable",
        amount,
        kind,
        TransferCode.ESCROW_RELEASE,
        pending_id=tid(f"escrow:{n}"),
    )


def test_two_phase_transfers_resolve_exactly_once() -> None:
    ledger = funded()
    ledger.apply(reserve(1, 3_000))
    grant = ledger.accounts["grant"]
    assert (grant.debits_pending, grant.available) == (3_000, 7_000)
    ledger.apply(resolve(1, TransferKind.POST_PENDING, 2_000))  # partial post: 1,000 returns to the grant
    assert (grant.debits_pending, grant.debits_posted, grant.available) == (0, 2_000, 8_000)
    assert ledger.pending_state[tid("escrow:1")] is PendingState.POSTED
    with pytest.raises(PendingAlreadyResolved):
        ledger.apply(resolve(1, TransferKind.VOID_PENDING, 3_000))


def test_a_replay_is_recognised_and_a_reused_id_is_refused() -> None:
    ledger = funded()
    assert ledger.apply(reserve(1, 3_000)) is True
    assert ledger.apply(reserve(1, 3_000)) is False
    assert ledger.accounts["grant"].debits_pending == 3_000
    with pytest.raises(TransferMismatch):
        ledger.apply(reserve(1, 3_001))


def test_a_grant_never_goes_below_zero_pending_included() -> None:
    ledger = funded(5_000)
    ledger.apply(reserve(1, 4_000))
    with pytest.raises(LimitExceeded):
        ledger.apply(reserve(2, 1_001))
    ledger.apply(reserve(2, 1_000))
    assert ledger.accounts["grant"].available == 0


@pytest.mark.parametrize(
    ("gross", "bp", "fee"),
    [
        (1234, 60, 7),
        (10_000, 60, 60),
        (8_250, 60, 50),
        (8_249, 60, 49),
        (1, 5_000, 1),
        (0, 60, 0),
        (99, 0, 0),
    ],
)
def test_the_fee_rounds_half_up_in_integers(gross: int, bp: int, fee: int) -> None:
    assert platform_fee(gross, bp) == fee


op = st.tuples(
    st.sampled_from(["reserve", "post", "void", "spend"]), st.integers(0, 7), st.integers(1, 6_000)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(op, max_size=60))
def test_any_sequence_keeps_the_books_balanced_and_grants_in_budget(ops: list[tuple[str, int, int]]) -> None:
    ledger = funded(20_000)
    for step, (name, n, amount) in enumerate(ops):
        try:
            if name == "reserve":
                ledger.apply(reserve(n, amount))
            elif name == "post":
                pending = ledger.transfers.get(tid(f"escrow:{n}"))
                ledger.apply(
                    resolve(n, TransferKind.POST_PENDING, min(amount, pending.amount) if pending else amount)
                )
            elif name == "void":
                ledger.apply(resolve(n, TransferKind.VOID_PENDING, amount))
            else:
                ledger.apply(
                    Transfer(
                        tid(f"spend:{step}"),
                        "grant",
                        "payable",
                        amount,
                        TransferKind.POSTED,
                        TransferCode.ESCROW_RELEASE,
                    )
                )
        except (LimitExceeded, PendingAlreadyResolved, TransferMismatch, KeyError):
            pass  # refused operations must leave no trace; the assertions below check that
        accounts = ledger.accounts.values()
        assert sum(a.debits_posted for a in accounts) == sum(a.credits_posted for a in accounts)
        assert sum(a.debits_pending for a in accounts) == sum(a.credits_pending for a in accounts)
        grant = ledger.accounts["grant"]
        assert grant.debits_pending + grant.debits_posted <= grant.credits_posted
        still_pending = sum(
            ledger.transfers[t].amount for t, s in ledger.pending_state.items() if s is PendingState.PENDING
        )
        assert grant.debits_pending == still_pending

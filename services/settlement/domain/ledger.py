"""Double-entry ledger rules after TigerBeetle's model, as pure Python (the Postgres store applies
the same rules, and the database enforces the limits again).

Accounts keep four totals: debits and credits, each pending and posted. A transfer moves one
amount from a debit account to a credit account: immediately (posted), or in two phases — a
pending transfer reserves the amount, and is later resolved exactly once by posting all or part
of it, or by voiding it. An account with `debits_must_not_exceed_credits` (a grant) can never
spend — pending included — more than it was credited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from services.settlement.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch


class TransferKind(StrEnum):
    POSTED = "posted"  # a one-phase transfer
    PENDING = "pending"
    POST_PENDING = "post_pending"
    VOID_PENDING = "void_pending"


class PendingState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


@dataclass
class Account:
    account_id: str
    debits_must_not_exceed_credits: bool = False
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    @property
    def available(self) -> int:
        """For a limited account: what may still be spent, pending reservations deducted."""
        return self.credits_posted - self.debits_posted - self.debits_pending


@dataclass(frozen=True)
class Transfer:
    transfer_id: uuid.UUID
    debit_account: str
    credit_account: str
    amount: int
    kind: TransferKind
    code: str
    pending_id: uuid.UUID | None = None
    order_id: str | None = None

    def same_as(self, other: Transfer) -> bool:
        return self == other


@dataclass
class Ledger:
    """An in-memory ledger: the reference model the Postgres store is tested against."""

    accounts: dict[str, Account] = field(default_factory=dict)
    transfers: dict[uuid.UUID, Transfer] = field(default_factory=dict)
    pending_state: dict[uuid.UUID, PendingState] = field(default_factory=dict)

    def open(self, account_id: str, *, limited: bool = False) -> Account:
        return self.accounts.setdefault(account_id, Account(account_id, limited))

    def apply(self, t: Transfer) -> bool:
        """Apply a transfer; False when this exact transfer was already applied (a replay)."""
        earlier = self.transfers.get(t.transfer_id)
        if earlier is not None:
            if earlier.same_as(t):
                return False
            raise TransferMismatch(f"transfer {t.transfer_id} was already recorded with other contents")
        if t.amount <= 0 and t.kind in (TransferKind.POSTED, TransferKind.PENDING):
            raise ValueError("a transfer moves a positive amount")
        debit, credit = self.accounts[t.debit_account], self.accounts[t.credit_account]
        if t.kind is TransferKind.POSTED:
            self._check_limit(debit, t.amount)
            debit.debits_posted += t.amount
            credit.credits_posted += t.amount
        elif t.kind is TransferKind.PENDING:
            self._check_limit(debit, t.amount)
            debit.debits_pending += t.amount
            credit.credits_pending += t.amount
            self.pending_state[t.transfer_id] = PendingState.PENDING
        else:
            self._resolve(t, debit, credit)
        self.transfers[t.transfer_id] = t
        return True

    def _resolve(self, t: Transfer, debit: Account, credit: Account) -> None:
        assert t.pending_id is not None
        pending = self.transfers[t.pending_id]
        if self.pending_state.get(t.pending_id) is not PendingState.PENDING:
            raise PendingAlreadyResolved(f"pending transfer {t.pending_id} was already resolved")
        if (pending.debit_account, pending.credit_account) != (t.debit_account, t.credit_account):
            raise TransferMismatch("a resolution must name the pending transfer's accounts")
        if t.kind is TransferKind.POST_PENDING and not 0 < t.amount <= pending.amount:
            raise ValueError("a post moves between 1 fen and the pending amount")
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if t.kind is TransferKind.POST_PENDING:
            debit.debits_posted += t.amount
            credit.credits_posted += t.amount
            self.pending_state[t.pending_id] = PendingState.POSTED
        else:
            self.pending_state[t.pending_id] = PendingState.VOIDED

    @staticmethod
    def _check_limit(debit: Account, amount: int) -> None:
        if debit.debits_must_not_exceed_credits and amount > debit.available:
            raise LimitExceeded(f"{debit.account_id} has {debit.available} fen available, {amount} asked")

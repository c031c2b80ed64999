"""Double-entry ledger rules after TigerBeetle's model, in pure Python: the one implementation of
them. Settlement loads the accounts and transfers a piece of work can touch into a `Ledger`,
applies every transfer here, and writes what changed in a few statements (`adapters.effects`);
the database enforces the limits once more.

Accounts keep four totals: debits and credits, each pending and posted. A transfer moves one
amount from a debit account to a credit account: immediately (posted), or in two phases — a
pending transfer reserves the amount, and is later resolved exactly once by posting all or part
of it, or by voiding it. An account with `debits_must_not_exceed_credits` (a grant) can never
spend — pending included — more than it was credited.

An account may be loaded without its balance (`known=False`, e.g. platform fee income, which
work only credits): its totals are then what this work moved, its balance counts as zero for the
limit — a lower bound, as a limited account never goes below zero — and only the moves are
written. A piece of work that decides on an account's balance loads it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from services.settlement.ledger.domain.accounts import Opening
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch


class TransferKind(StrEnum):
    POSTED = "posted"  # a one-phase transfer
    PENDING = "pending"
    POST_PENDING = "post_pending"
    VOID_PENDING = "void_pending"


class PendingState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


NAMESPACE = uuid.UUID("5f0c7d0e-2a55-4d5e-9a43-6b1f3a1d2c01")
_NAMESPACE_BYTES = NAMESPACE.bytes
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VERSION_5 = (5 << 76) | (0x8000 << 48)


def _uuid(value: int) -> uuid.UUID:
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


@lru_cache(maxsize=1 << 16)  # an escrow's pending id is derived again when it is resolved
def transfer_id(cause: str) -> uuid.UUID:
    """A transfer id derived from its cause, e.g. `order:O-1:escrow:reagents`: a replay of the
    cause writes the same id, which the ledger recognises."""
    digest = int.from_bytes(hashlib.sha1(_NAMESPACE_BYTES + cause.encode()).digest()[:16], "big")  # noqa: S324
    # uuid.uuid5 exactly (the version and variant bits set), without its argument checks
    return _uuid(digest & _CLEAR | _VERSION_5)


@dataclass(slots=True)
class Account:
    account_id: str
    debits_must_not_exceed_credits: bool = False
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    opening: Opening | None = None  # how to open it, if it may not exist yet
    known: bool = True  # False: the totals are this work's moves only
    eager: bool = False  # opened even if nothing moves it (else only once something does)

    @property
    def available(self) -> int:
        """For a limited account: what may still be spent, pending reservations deducted."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    def totals(self) -> tuple[int, int, int, int]:
        return (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)

    def restore(self, totals: tuple[int, int, int, int]) -> None:
        self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted = totals


class Transfer(NamedTuple):
    """An immutable movement of money; two transfers are the same when every field is."""

    transfer_id: uuid.UUID
    debit_account: str
    credit_account: str
    amount: int
    kind: TransferKind
    code: TransferCode
    pending_id: uuid.UUID | None = None
    order_id: str | None = None


@dataclass
class Ledger:
    """The accounts and transfers one piece of work may touch, and what it did to them.

    `new` lists the transfers recorded here in order; `resolved` the pending transfers this work
    posted or voided (with the transfer that did); `moved()` each account's totals as moved."""

    accounts: dict[str, Account] = field(default_factory=dict)
    transfers: dict[uuid.UUID, Transfer] = field(default_factory=dict)
    pending_state: dict[uuid.UUID, PendingState] = field(default_factory=dict)
    new: list[Transfer] = field(default_factory=list)
    resolved: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    _loaded: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    _from_db: set[str] = field(default_factory=set)

    # ---------------------------------------------------------------- loading
    def open(
        self,
        account_id: str,
        *,
        limited: bool = False,
        opening: Opening | None = None,
        known: bool = True,
        eager: bool = False,
    ) -> Account:
        """The account, added (empty) if this ledger does not hold it yet."""
        account = self.accounts.get(account_id)
        if account is None:
            account = Account(account_id, limited, opening=opening, known=known, eager=eager)
            self.accounts[account_id] = account
            self._loaded[account_id] = account.totals()
        elif opening is not None and account.opening is None:
            account.opening = opening
        return account

    def opened(self) -> list[Account]:
        """The accounts this work may be the first to use: added here, with how to open them."""
        return [
            a for a in self.accounts.values() if a.opening is not None and a.account_id not in self._from_db
        ]

    def load_account(self, account: Account) -> None:
        """An account as the database holds it (its balance known)."""
        self.accounts[account.account_id] = account
        self._loaded[account.account_id] = account.totals()
        self._from_db.add(account.account_id)

    def load_transfer(self, t: Transfer, state: PendingState | None = None) -> None:
        """A transfer already recorded (and, for a pending one, its state)."""
        self.transfers[t.transfer_id] = t
        if state is not None:
            self.pending_state[t.transfer_id] = state

    # ---------------------------------------------------------------- the rules
    def available(self, account_id: str) -> int | None:
        account = self.accounts.get(account_id)
        return None if account is None else account.available

    def apply(self, t: Transfer) -> bool:
        """Apply a transfer; False when this exact transfer was already applied (a replay)."""
        earlier = self.transfers.get(t.transfer_id)
        if earlier is not None:
            if earlier == t:
                return False
            raise TransferMismatch(f"transfer {t.transfer_id} was already recorded with other contents")
        if t.amount <= 0 and t.kind in (TransferKind.POSTED, TransferKind.PENDING):
            raise TransferMismatch("a transfer moves a positive amount")
        debit, credit = self._account(t.debit_account), self._account(t.credit_account)
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
        self.new.append(t)
        return True

    def apply_all(self, transfers: Sequence[Transfer]) -> None:
        """Apply every transfer, or — when one is refused — none of them (a refused transfer
        changes nothing, and those before it are taken back, newest first)."""
        done = 0
        try:
            for t in transfers:
                if self.apply(t):
                    done += 1
        except BaseException:
            for t in reversed(self.new[len(self.new) - done :]):
                self._take_back(t)
            raise

    def _resolve(self, t: Transfer, debit: Account, credit: Account) -> None:
        assert t.pending_id is not None
        pending = self.transfers.get(t.pending_id)
        if pending is None or self.pending_state.get(t.pending_id) is not PendingState.PENDING:
            raise PendingAlreadyResolved(f"pending transfer {t.pending_id} is unknown or already resolved")
        if (pending.debit_account, pending.credit_account) != (t.debit_account, t.credit_account):
            raise TransferMismatch("a resolution must name the pending transfer's accounts")
        if t.kind is TransferKind.POST_PENDING and not 0 < t.amount <= pending.amount:
            raise TransferMismatch("a post moves between 1 fen and the pending amount")
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if t.kind is TransferKind.POST_PENDING:
            debit.debits_posted += t.amount
            credit.credits_posted += t.amount
            self.pending_state[t.pending_id] = PendingState.POSTED
        else:
            self.pending_state[t.pending_id] = PendingState.VOIDED
        self.resolved[t.pending_id] = t.transfer_id

    def _account(self, account_id: str) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise TransferMismatch(f"no account {account_id!r}")
        return account

    @staticmethod
    def _check_limit(debit: Account, amount: int) -> None:
        if debit.debits_must_not_exceed_credits and amount > debit.available:
            raise LimitExceeded(f"{debit.account_id} has {debit.available} fen available, {amount} asked")

    # ---------------------------------------------------------------- what changed
    def moved(self) -> dict[str, tuple[int, int, int, int]]:
        """Per account, how much each total moved (debits pending, posted; credits pending, posted)."""
        out = {}
        for account_id, account in self.accounts.items():
            before = self._loaded.get(account_id, (0, 0, 0, 0))
            delta = tuple(now - then for now, then in zip(account.totals(), before, strict=True))
            if any(delta):
                out[account_id] = (delta[0], delta[1], delta[2], delta[3])
        return out

    def _take_back(self, t: Transfer) -> None:
        """Undo the newest transfer recorded here, exactly."""
        assert self.new and self.new[-1] is t
        self.new.pop()
        del self.transfers[t.transfer_id]
        debit, credit = self.accounts[t.debit_account], self.accounts[t.credit_account]
        if t.kind is TransferKind.POSTED:
            debit.debits_posted -= t.amount
            credit.credits_posted -= t.amount
        elif t.kind is TransferKind.PENDING:
            debit.debits_pending -= t.amount
            credit.credits_pending -= t.amount
            del self.pending_state[t.transfer_id]
        else:
            assert t.pending_id is not None
            pending = self.transfers[t.pending_id]
            debit.debits_pending += pending.amount
            credit.credits_pending += pending.amount
            if t.kind is TransferKind.POST_PENDING:
                debit.debits_posted -= t.amount
                credit.credits_posted -= t.amount
            self.pending_state[t.pending_id] = PendingState.PENDING
            del self.resolved[t.pending_id]

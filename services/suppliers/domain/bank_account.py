"""A supplier's bank account and its verification by micro-deposit."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.suppliers.domain.errors import (
    HolderNameMismatch,
    NoPendingVerification,
    VerificationExpired,
    VerificationLocked,
)

VERIFICATION_WINDOW = timedelta(days=10)
MAX_WRONG_ANSWERS = 3
MIN_DEPOSIT_MINOR, MAX_DEPOSIT_MINOR = 1, 99  # 0.01 .. 0.99 CNY


class AccountStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    LOCKED = "locked"


class Answer(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    LOCKED = "locked"  # wrong, and that was the last try


def same_name(a: str, b: str) -> bool:
    """Legal names match ignoring case, width (全角/半角) and runs of whitespace."""

    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", s).casefold().split())

    return norm(a) == norm(b)


def mask(account_number: str) -> str:
    return f"**** {account_number[-4:]}"


@dataclass
class BankAccount:
    account_id: str
    bank_name: str
    account_number: str
    holder_name: str
    status: AccountStatus
    deposit_minor: int
    deposit_sent_at: datetime
    wrong_answers: int = 0
    verified_at: datetime | None = None

    @classmethod
    def open(
        cls,
        *,
        account_id: str,
        bank_name: str,
        account_number: str,
        holder_name: str,
        legal_name: str,
        deposit_minor: int,
        sent_at: datetime,
    ) -> BankAccount:
        if not same_name(holder_name, legal_name):
            raise HolderNameMismatch(
                "the account holder must be the supplier's legal name",
                details={"holder_name": holder_name, "legal_name": legal_name},
            )
        if not MIN_DEPOSIT_MINOR <= deposit_minor <= MAX_DEPOSIT_MINOR:
            raise ValueError("a micro-deposit is between 0.01 and 0.99 CNY")
        return cls(
            account_id, bank_name, account_number, holder_name, AccountStatus.PENDING, deposit_minor, sent_at
        )

    @property
    def masked(self) -> str:
        return mask(self.account_number)

    @property
    def verification_deadline(self) -> datetime:
        return self.deposit_sent_at + VERIFICATION_WINDOW

    def answer(self, amount_minor: int, now: datetime) -> Answer:
        """Check the amount the supplier saw arrive. Wrong answers count; the third locks."""
        if self.status is AccountStatus.VERIFIED:
            raise NoPendingVerification("this account is already verified")
        if self.status is AccountStatus.LOCKED:
            raise VerificationLocked(
                "verification is locked after three wrong answers; ask operations to reset it"
            )
        if now > self.verification_deadline:
            raise VerificationExpired("the micro-deposit is older than 10 days; ask operations to reset it")
        if amount_minor == self.deposit_minor:
            self.status = AccountStatus.VERIFIED
            self.verified_at = now
            return Answer.VERIFIED
        self.wrong_answers += 1
        if self.wrong_answers >= MAX_WRONG_ANSWERS:
            self.status = AccountStatus.LOCKED
            return Answer.LOCKED
        return Answer.WRONG

    def restart(self, deposit_minor: int, sent_at: datetime) -> None:
        """Operations reset: a new micro-deposit, a new window, the count of wrong answers cleared."""
        if self.status is AccountStatus.VERIFIED:
            raise NoPendingVerification("this account is already verified")
        self.status = AccountStatus.PENDING
        self.deposit_minor = deposit_minor
        self.deposit_sent_at = sent_at
        self.wrong_answers = 0

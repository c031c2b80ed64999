"""A bank statement as every reader produces it, whatever the bank's format: the account, the day,
the booked opening and closing balances, and the lines in fen (never floats). A statement that
does not add up (opening + Σ lines ≠ closing) is refused, naming where it stops adding up."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from plumbing.errors import RuleViolation

# yuan with at most two decimals, thousands separators allowed ("1,234.50"), a sign in front; ASCII
# digits only (full-width digits are no amount a bank writes)
_AMOUNT = re.compile(r"^([+-])?(\d{1,3}(?:,\d{3})+|\d{1,15})(?:\.(\d{1,2}))?$", re.ASCII)
MAX_LINES = 100_000


class Direction(StrEnum):
    CREDIT = "credit"  # money into the account
    DEBIT = "debit"  # money out of it


class MalformedStatement(RuleViolation):
    code = "malformed_statement"


class StatementUnbalanced(RuleViolation):
    code = "statement_unbalanced"


class CurrencyMismatch(RuleViolation):
    """A statement, or one of its entries, in another currency than the account's (CNY)."""

    code = "currency_mismatch"


class StatementInFuture(RuleViolation):
    code = "statement_in_future"


class ProvisionalStatement(RuleViolation):
    """An intraday report (camt.052) is provisional: only an end-of-day statement is reconciled."""

    code = "statement_provisional"


@dataclass(frozen=True)
class Batch:
    """A line booking several payments at once, with what the bank says it holds."""

    count: int
    total_minor: int | None = None
    end_to_end_ids: tuple[str, ...] = ()  # of the payments inside, when the bank lists them


@dataclass(frozen=True)
class StatementLine:
    line_no: int  # where the line is in the file (row, entry or :61: number), for error messages
    booking_date: date
    amount_minor: int  # > 0; the direction says which way
    direction: Direction
    value_date: date | None = None
    bank_reference: str = ""  # the bank's own reference for the entry
    end_to_end_id: str = ""  # the payer's reference carried through the bank unchanged
    remittance: str = ""  # free text: 用途, 摘要, remittance information
    counterparty_account: str = ""
    counterparty_name: str = ""
    batch: Batch | None = None
    # the bank undoes an entry it booked before (MT940 RC/RD, camt.053 RvslInd, 冲正/冲账): paired
    # with that entry's line rather than matched to the ledger
    reversal: bool = False
    kind: str = ""  # what the bank says the entry is, when it says so: "fee" or "interest"

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.direction is Direction.CREDIT else -self.amount_minor


@dataclass(frozen=True)
class Statement:
    account: str
    statement_date: date
    opening_minor: int  # signed: a credit balance is positive
    closing_minor: int
    lines: tuple[StatementLine, ...] = ()
    currency: str = "CNY"
    format: str = ""
    running_balances: tuple[int | None, ...] = field(default=(), compare=False)

    def check_balanced(self) -> None:
        """Opening + Σ lines = closing, and where the bank gives a running balance per line
        (余额), each one follows from the one before."""
        balance = self.opening_minor
        for n, line in enumerate(self.lines):
            balance += line.signed_minor
            stated = self.running_balances[n] if n < len(self.running_balances) else None
            if stated is not None and stated != balance:
                raise StatementUnbalanced(
                    f"line {line.line_no}: the balance after it is {balance} fen, the bank says {stated}",
                    details={"line": line.line_no, "computed_minor": balance, "stated_minor": stated},
                )
        if balance != self.closing_minor:
            raise StatementUnbalanced(
                f"opening {self.opening_minor} + lines {balance - self.opening_minor} = {balance} fen,"
                f" but the closing balance is {self.closing_minor}",
                details={
                    "opening_minor": self.opening_minor,
                    "lines_minor": balance - self.opening_minor,
                    "closing_minor": self.closing_minor,
                    "difference_minor": self.closing_minor - balance,
                },
            )

    def fingerprint(self) -> str:
        """What the statement says, whatever format carried it: the account, the day, both
        balances and each line's booking day, signed amount and bank reference. The same statement
        received through two channels (camt.053 and a CSV export) has one fingerprint."""
        said = [self.account, self.statement_date.isoformat(), self.opening_minor, self.closing_minor]
        said += [[ln.booking_date.isoformat(), ln.signed_minor, ln.bank_reference] for ln in self.lines]
        return hashlib.sha256(json.dumps(said, separators=(",", ":")).encode()).hexdigest()


def to_fen(text: str) -> int:
    """A yuan amount as fen, exactly: "1,234.5" → 123450; a sign is kept ("-3.20" → -320)."""
    match = _AMOUNT.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an amount like 1234.56")
    sign, whole, frac = match.groups()
    fen = int(whole.replace(",", "")) * 100 + int((frac or "0").ljust(2, "0"))
    return -fen if sign == "-" else fen


def decimal_text(minor: int) -> str:
    """Fen as a bank file writes yuan: two decimals, no symbol, no separators (12345 → "123.45")."""
    sign = "-" if minor < 0 else ""
    whole, fen = divmod(abs(minor), 100)
    return f"{sign}{whole}.{fen:02d}"


def limit_lines(count: int) -> None:
    if count > MAX_LINES:
        raise MalformedStatement(f"a statement holds at most {MAX_LINES} lines")

"""What an officer may do with a statement line in suspense, decided from what was read: each
decision is the transfers that take the line's amount out of suspense (balanced, with ids derived
from the line), or a refusal with a stable code. The commands read the facts, call these, and
write what they decided once (`commands.suspense`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from plumbing.errors import Conflict, Forbidden, NotFound, RuleViolation
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Ledger, Transfer, TransferKind, transfer_id
from services.settlement.reconciliation.domain.bank_entries import charge
from services.settlement.reconciliation.domain.matching import BankItem
from services.settlement.reconciliation.domain.statement import Direction, StatementLine

OPEN_STATES = ("open", "returning")
MATCH_TARGETS = "payout:<id>[,payout:<id>…], run:<id>, return:<id>, receivable:<supplier id>, fee or interest"


@dataclass(frozen=True)
class SuspenseLine:
    """A statement line as suspense sees it."""

    line_id: str
    statement_id: str
    line_no: int
    state: str
    line: StatementLine
    counterparty_account: str | None

    def cause(self, how: str) -> str:
        """What a transfer taking this line out of suspense is caused by."""
        return f"statement:{self.statement_id}:{self.line_no}:{how}"


@dataclass(frozen=True)
class WriteOffAsked:
    requested_by: str
    reason: str


@dataclass(frozen=True)
class Return:
    """Money that came in unexplained, sent back to its payer: pending until the bank answers."""

    return_id: str
    payer_account: str
    amount_minor: int

    @property
    def end_to_end_id(self) -> str:
        return "USR" + hashlib.sha256(self.return_id.encode()).hexdigest()[:24].upper()

    @property
    def pending(self) -> Transfer:
        return Transfer(
            transfer_id(f"return:{self.return_id}"),
            accounts.SUSPENSE,
            accounts.BANK,
            self.amount_minor,
            TransferKind.PENDING,
            TransferCode.SUSPENSE_RETURN,
        )

    def answered(self, settled: bool) -> Transfer:
        """The bank's answer: the return posted, or voided (the money is in suspense again)."""
        return Transfer(
            transfer_id(f"return:{self.return_id}:{'settle' if settled else 'fail'}"),
            accounts.SUSPENSE,
            accounts.BANK,
            self.amount_minor,
            TransferKind.POST_PENDING if settled else TransferKind.VOID_PENDING,
            TransferCode.SUSPENSE_RETURNED if settled else TransferCode.SUSPENSE_RETURN_FAILED,
            pending_id=self.pending.transfer_id,
        )


def open_line(found: SuspenseLine | None, line_id: str) -> SuspenseLine:
    """The line, if it is in suspense and open."""
    if found is None:
        raise NotFound(f"no statement line {line_id}", code="suspense_item_not_found")
    if found.state != "open":
        raise Conflict(
            f"line {line_id} is {found.state}, not open in suspense",
            code="suspense_item_resolved",
            details={"state": found.state},
        )
    return found


def parked(
    cause: str, line: StatementLine, *, out: bool = False, code: TransferCode | None = None
) -> Transfer:
    """A line's amount parked in suspense, or (`out=True`) taken out again towards the bank: money
    in is the bank's debit and suspense's credit until it is explained, money out the other way."""
    into = (
        (accounts.BANK, accounts.SUSPENSE)
        if line.direction is Direction.CREDIT
        else (accounts.SUSPENSE, accounts.BANK)
    )
    debit, credit = (into[1], into[0]) if out else into
    return Transfer(
        transfer_id(cause),
        debit,
        credit,
        line.amount_minor,
        TransferKind.POSTED,
        code or (TransferCode.SUSPENSE_MATCHED if out else TransferCode.STATEMENT_SUSPENSE),
    )


def park(
    ledger: Ledger, cause: str, line: StatementLine, *, out: bool = False, code: TransferCode | None = None
) -> None:
    ledger.apply(parked(cause, line, out=out, code=code))


def match_items(
    found: SuspenseLine, items: list[BankItem], target: str, matched_elsewhere: set[str]
) -> Transfer:
    """The line confirmed as these payouts or return (together its amount, none matched to
    another line): its amount out of suspense."""
    line = found.line
    if len({i.item_id for i in items}) != len(items):
        raise RuleViolation("an item is named twice", code="invalid_match_target")
    if line.direction is not Direction.DEBIT:
        raise RuleViolation("money into the account is not a payout or a return", code="match_direction")
    for item in items:
        if item.item_id in matched_elsewhere:
            raise Conflict(
                f"{item.kind} {item.item_id} is matched to another line already", code="ledger_item_matched"
            )
    total = sum(i.amount_minor for i in items)
    if total != line.amount_minor:
        raise RuleViolation(
            f"{target} is {total} fen, the line {line.amount_minor}",
            code="match_amount_differs",
            details={"items_minor": total, "line_minor": line.amount_minor},
        )
    return parked(found.cause("matched"), line, out=True)


def book_charge(found: SuspenseLine, kind: str) -> Transfer:
    """A fee or interest of the bank's that no code said, booked to its account."""
    try:
        return charge(found.line_id, found.line, kind)
    except ValueError as exc:
        raise RuleViolation(str(exc), code="match_direction") from exc


def repay_receivable(found: SuspenseLine, supplier_id: str, owed_minor: int) -> list[Transfer]:
    """A supplier paying back by transfer what the guarantee fund advanced for it: the receivable
    repaid from suspense, and the fund replenished."""
    line = found.line
    if line.direction is not Direction.CREDIT:
        raise RuleViolation("a repayment is money into the account", code="match_direction")
    if owed_minor < line.amount_minor:
        raise RuleViolation(
            f"supplier {supplier_id} owes {owed_minor} fen, less than the line's {line.amount_minor}",
            code="exceeds_receivable",
            details={"owed_minor": owed_minor},
        )
    cause = f"suspense:{found.line_id}:receivable"
    return [
        Transfer(
            transfer_id(f"{cause}:repaid"),
            accounts.SUSPENSE,
            accounts.supplier_receivable(supplier_id),
            line.amount_minor,
            TransferKind.POSTED,
            TransferCode.RECEIVABLE_REPAID,
        ),
        Transfer(
            transfer_id(f"{cause}:replenish"),
            accounts.GUARANTEE_ADVANCED,
            accounts.GUARANTEE_FUND,
            line.amount_minor,
            TransferKind.POSTED,
            TransferCode.RECEIVABLE_REPLENISH,
        ),
    ]


def write_off_reason(reason: str | None) -> str:
    """A write-off is asked with a reason."""
    if not reason:
        raise RuleViolation("a write-off needs a reason", code="reason_required")
    return reason


def ask_write_off(asked: WriteOffAsked | None, line_id: str) -> None:
    """A write-off is asked once at a time."""
    if asked is not None:
        raise Conflict(
            f"a write-off of {line_id} was asked by {asked.requested_by} already", code="write_off_requested"
        )


def write_off(found: SuspenseLine, asked: WriteOffAsked | None, approver: str) -> Transfer:
    """A write-off approved by a second person: the amount leaves suspense for reconciliation
    differences."""
    if asked is None:
        raise Conflict(f"no write-off of {found.line_id} was asked", code="no_write_off_requested")
    if asked.requested_by == approver:
        raise Forbidden(
            "a write-off is approved by a second person, not the one who asked",
            code="second_approver_required",
        )
    differences, suspense = accounts.RECONCILIATION_DIFFERENCES, accounts.SUSPENSE
    debit, credit = (
        (suspense, differences) if found.line.direction is Direction.CREDIT else (differences, suspense)
    )
    return Transfer(
        transfer_id(found.cause("written_off")),
        debit,
        credit,
        found.line.amount_minor,
        TransferKind.POSTED,
        TransferCode.SUSPENSE_WRITTEN_OFF,
    )


def return_to_payer(found: SuspenseLine, payer_account: str | None, attempt: int) -> Return:
    """Money that came in, sent back to the account given or the one the line names."""
    if found.line.direction is not Direction.CREDIT:
        raise RuleViolation("only money that came in can be returned", code="not_a_receipt")
    account = (payer_account or found.counterparty_account or "").replace(" ", "")
    if not account:
        raise RuleViolation("the line names no payer account; give one", code="payer_account_unknown")
    return Return(f"RT-{found.line_id}-{attempt}", account, found.line.amount_minor)

"""Statement lines that are not payments to match with the ledger: a reversal, which undoes a
line the bank booked before, and a fee the bank charged or interest it paid on the account.

A reversal is paired with the latest line before it that it can undo: the other direction, the
same amount, not itself a reversal — preferring one with the same counterparty or reference. Both
were parked in suspense as they arrived, one in and one out, so together they hold nothing there;
they are resolved together and no money moves. A fee leaves suspense for the bank-charges account
and interest for the interest-income account, instead of being written off by two people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind, transfer_id
from services.settlement.reconciliation.domain.matching import OpenLine
from services.settlement.reconciliation.domain.statement import Direction, StatementLine


class Charge(NamedTuple):
    """How a bank entry of one kind is booked: to which account, in which direction the entry must
    go, with which transfer code, resolving its line by which action."""

    account: str
    direction: Direction
    code: TransferCode
    action: str


CHARGES = {
    "fee": Charge(accounts.BANK_CHARGES, Direction.DEBIT, TransferCode.BANK_CHARGE, "bank_charge"),
    "interest": Charge(accounts.BANK_INTEREST, Direction.CREDIT, TransferCode.BANK_INTEREST, "interest"),
}


def bookable(line: StatementLine) -> bool:
    """Whether the bank said the line is a fee or interest, going the way such an entry goes."""
    return line.kind in CHARGES and line.direction is CHARGES[line.kind].direction


def pair_reversals(lines: Sequence[OpenLine]) -> list[tuple[OpenLine, OpenLine]]:
    """(reversal, the line it undoes) for each reversal among `lines` that finds one; each line is
    in one pair at most."""
    ordered = sorted(lines, key=lambda x: (x.line.booking_date, x.line_id))
    taken: set[str] = set()
    pairs = []
    for at, reversal in enumerate(ordered):
        if not reversal.line.reversal or reversal.line_id in taken:
            continue
        candidates = [x for x in ordered[:at] if x.line_id not in taken and _undoes(reversal.line, x.line)]
        if not candidates:
            continue
        original = max(
            candidates, key=lambda x: (_alike(reversal.line, x.line), x.line.booking_date, x.line_id)
        )
        taken |= {reversal.line_id, original.line_id}
        pairs.append((reversal, original))
    return pairs


def _undoes(reversal: StatementLine, original: StatementLine) -> bool:
    return (
        not original.reversal
        and original.direction is not reversal.direction
        and original.amount_minor == reversal.amount_minor
        and original.booking_date <= reversal.booking_date
    )


def _alike(a: StatementLine, b: StatementLine) -> int:
    return sum(
        1
        for x, y in (
            (a.counterparty_account, b.counterparty_account),
            (a.end_to_end_id, b.end_to_end_id),
            (a.bank_reference, b.bank_reference),
        )
        if x and x == y
    )


def charge(line_id: str, line: StatementLine, kind: str) -> Transfer:
    """The transfer that books a parked fee (money out) or interest (money in) to its account;
    ValueError when the line goes the other way."""
    if kind not in CHARGES:
        raise ValueError(f"{kind!r} is neither a fee nor interest")
    account, direction, code, _ = CHARGES[kind]
    if line.direction is not direction:
        raise ValueError(
            f"a {kind} is money {'out of' if direction is Direction.DEBIT else 'into'} the account"
        )
    debit, credit = (
        (account, accounts.SUSPENSE) if direction is Direction.DEBIT else (accounts.SUSPENSE, account)
    )
    return Transfer(
        transfer_id(f"suspense:{line_id}:{kind}"), debit, credit, line.amount_minor, TransferKind.POSTED, code
    )

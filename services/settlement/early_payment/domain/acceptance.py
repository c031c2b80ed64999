"""Whether a supplier's orders may be paid early now, and what accepting a quote decides: which
orders qualify (from what settlement knows of them and of the supplier's payable), the limit and
the fund's capacity, and the transfers and early-payment rows of an acceptance. Pure: the
commands read the facts under the supplier's lock, call these, and write the decision once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from plumbing.errors import Conflict, RuleViolation
from services.settlement.early_payment.domain import terms
from services.settlement.early_payment.domain.terms import Candidate, Line
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.ledger import Ledger, Transfer
from services.settlement.money_path.domain.fees import platform_fee

MAX_ORDERS = 50
P = TypeVar("P", bound=Mapping[str, Any])  # a payee's row


class EarlyPaymentRefused(RuleViolation):
    code = "order_not_financeable"


@dataclass(frozen=True)
class OrderFacts:
    """What settlement holds of an order a supplier asks to be paid early."""

    status: str  # the escrow's
    held_minor: int
    released_net_minor: int
    auto_confirm_at: datetime | None
    refund_open: bool
    financed: bool
    awaiting_invoice: bool = False  # released, its university pays against invoices, not all matched


@dataclass(frozen=True)
class Quote:
    quote_id: str
    supplier_id: str
    status: str
    valid_until: datetime
    lines: list[Line]


@dataclass(frozen=True)
class Accepted:
    """An acceptance: the fund's transfers, the advance the bank pays, and each order's early
    payment (repaid at once when its order was released already and its money is in the payable)."""

    moves: list[Transfer]
    advance_minor: int
    face_minor: int
    repaid: dict[str, int]  # order id → what of its face was repaid at acceptance


def owed(ledger: Ledger, supplier_id: str) -> int:
    """What the supplier owes the fund: advances at face not yet repaid, and receivables."""
    financed = ledger.accounts[accounts.supplier_financed(supplier_id)]
    receivable = ledger.accounts[accounts.supplier_financing_receivable(supplier_id)]
    return (
        financed.debits_posted
        + financed.debits_pending
        - financed.credits_posted
        + receivable.debits_posted
        - receivable.credits_posted
    )


def candidates(
    supplier_id: str,
    order_ids: list[str],
    facts: Mapping[str, OrderFacts],
    ledger: Ledger,
    today: date,
    fee_rate_bp: int,
) -> list[Candidate]:
    """Each order as early payment sees it: what its release credits the supplier, when, and — for
    one released already — how much of that is still in the payable (oldest first)."""
    unpaid = ledger.available(accounts.supplier_payable(supplier_id)) or 0
    found = []
    for oid in order_ids:
        f = facts.get(oid)
        if f is None:
            found.append(Candidate(oid, supplier_id, None, 0, None, False, False))
            continue
        release: date | None
        if f.status == "released":
            face, release = f.released_net_minor, today
            in_payable = min(face, unpaid)
            unpaid -= in_payable
        else:
            face = f.held_minor - platform_fee(f.held_minor, fee_rate_bp)
            release = f.auto_confirm_at.date() if f.auto_confirm_at else None
            in_payable = 0
        found.append(
            Candidate(
                oid,
                supplier_id,
                f.status,
                face,
                release,
                f.refund_open,
                f.financed,
                in_payable,
                awaiting_invoice=f.status == "released" and f.awaiting_invoice,
            )
        )
    return found


def order_list(order_ids: list[str]) -> None:
    if not order_ids or len(order_ids) > MAX_ORDERS or len(set(order_ids)) != len(order_ids):
        raise RuleViolation(f"quote 1 to {MAX_ORDERS} different orders", code="invalid_order_list")


def refuse_any(found: list[Candidate]) -> None:
    """Refuse the whole request when one order may not be paid early, naming each that may not."""
    refusals = [(c.order_id, r) for c in found if (r := terms.refusal(c)) is not None]
    if refusals:
        first = refusals[0][1]
        raise EarlyPaymentRefused(
            first.message,
            code=first.code,
            details={
                "orders": [{"order_id": oid, "code": r.code, "message": r.message} for oid, r in refusals]
            },
        )


def within_limit(ledger: Ledger, limit_minor: int, supplier_id: str, face: int) -> None:
    """What the supplier would owe stays within its limit, and the fund holds the advance."""
    already = owed(ledger, supplier_id)
    if already + face > limit_minor:
        raise RuleViolation(
            f"paying these orders early would have the supplier owe {already + face} fen, over its"
            f" limit of {limit_minor}",
            code="financing_limit_exceeded",
            details={"owed_minor": already, "asked_minor": face, "limit_minor": limit_minor},
        )
    fund = ledger.available(accounts.FINANCING_FUND) or 0
    if fund < face:
        raise RuleViolation(
            "the financing fund cannot advance this much now",
            code="financing_fund_exhausted",
            details={"fund_available_minor": fund, "asked_minor": face},
        )


def acceptable(quote: Quote, now: datetime, payee: P | None) -> P:
    """A quote still valid, for a supplier with a verified account to pay: its payee."""
    if now > quote.valid_until:
        raise Conflict(
            f"quote {quote.quote_id} expired at {quote.valid_until.isoformat()}", code="quote_expired"
        )
    if payee is None or not payee["active"] or not payee["account_verified"]:
        raise RuleViolation(
            "the supplier has no verified bank account to pay", code="bank_account_unverified"
        )
    return payee


def accept(quote: Quote, found: list[Candidate], ledger: Ledger, limit_minor: int) -> Accepted:
    """Accept an acceptable quote whose orders all still qualify at the face quoted, within the
    supplier's limit now (not the quote's)."""
    refuse_any(found)
    changed = [
        c.order_id for c, line in zip(found, quote.lines, strict=True) if c.face_minor != line.face_minor
    ]
    if changed:
        raise Conflict(
            "an order changed since the quote; ask for a new one",
            code="quote_stale",
            details={"orders": changed},
        )
    face = sum(line.face_minor for line in quote.lines)
    within_limit(ledger, limit_minor, quote.supplier_id, face)
    moves = terms.acceptance(quote.quote_id, quote.supplier_id, quote.lines)
    repaid = {}
    for c, line in zip(found, quote.lines, strict=True):
        if c.escrow_status == "released":  # already released and still in the payable: repaid at once
            moves += terms.repayment(quote.quote_id, quote.supplier_id, line, c.face_minor)[0]
            repaid[line.order_id] = line.face_minor
    return Accepted(moves, sum(line.advance_minor for line in quote.lines), face, repaid)

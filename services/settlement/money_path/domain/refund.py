"""The refund guarantee: an agreed refund always reaches the grant.

From the escrow while the money is still held (void, and re-reserve what remains); else from the
supplier's balance; else the guarantee fund advances it at once and a receivable against the
supplier is recovered from its next settlements."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events.refunds import RefundAgreed, RefundRequested
from contracts.events.settlement import RefundSettled, RefundSource
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind, transfer_id
from services.settlement.money_path.domain import consistency
from services.settlement.money_path.domain.book import Book
from services.settlement.money_path.domain.decision import (
    Decision,
    FigureMove,
    MonthMove,
    Outcome,
    RefundPayment,
    RefundRequest,
    Refused,
)
from services.settlement.money_path.domain.escrow import (
    Escrow,
    contradiction,
    not_escrowed,
    reservation,
    voiding,
)


def allocate(amount: int, available: dict[str, int]) -> dict[str, int] | Refused:
    """Split a refund over budget categories, in name order, each up to what it can give back."""
    out: dict[str, int] = {}
    left = amount
    for category in sorted(available):
        take = min(left, available[category])
        if take:
            out[category] = take
            left -= take
    if left:
        return Refused("refund_exceeds_order", f"{left} fen of the refund has nowhere to come from")
    return out


def _plus(refunded: dict[str, int], split: dict[str, int]) -> dict[str, int]:
    """What is refunded by category, with this refund (a new dict: the escrow's copy shares the old)."""
    out = dict(refunded)
    for category, part in split.items():
        out[category] = out.get(category, 0) + part
    return out


def decide_requested(asked: RefundRequested, cause: Envelope, book: Book) -> Outcome:
    """Remember what a buyer asked for (the first word on a refund id stands)."""
    if asked.refund_id in book.requests:
        return None
    request = RefundRequest(
        asked.refund_id,
        asked.order_id,
        cause.tenant_id,
        asked.grant_id,
        asked.supplier_id,
        asked.amount.amount_minor,
    )
    return Decision(refund_request=request)


def decide_agreed(refund: RefundAgreed, cause: Envelope, book: Book) -> Outcome:
    if refund.refund_id in book.paid_refunds:
        return None  # paid already: a replay
    escrow = book.escrow(refund.order_id)
    if escrow is None:
        return not_escrowed(refund.order_id)
    wrong = contradiction(escrow, cause, grant_id=refund.grant_id, supplier_id=refund.supplier_id)
    if wrong is None:
        wrong = _not_as_requested(refund, escrow, book)
    if wrong is not None:
        return wrong
    amount = refund.amount.amount_minor
    if escrow.refunded + amount > escrow.amount:
        return Refused(
            "refund_exceeds_order",
            f"{escrow.refunded} + {amount} fen refunded would pass the order's {escrow.amount}",
        )
    if escrow.status not in ("held", "released"):
        return Refused("nothing_to_refund", f"the escrow of {refund.order_id!r} is {escrow.status}")
    paid = _from_escrow(escrow, amount) if escrow.status == "held" else _after_release(escrow, refund, book)
    if isinstance(paid, Refused):
        return paid
    decision, source, named = paid
    escrow.refunded += amount
    decision.escrow = escrow
    decision.refund_payment = RefundPayment(
        refund.refund_id, refund.order_id, amount, source.value, cause.event_id
    )
    decision.events = [
        RefundSettled(
            refund_id=refund.refund_id,
            order_id=refund.order_id,
            grant_id=escrow.grant_id,
            supplier_id=escrow.supplier_id,
            amount=refund.amount,
            source=source,
            transfer_ids=[t.transfer_id for t in named],
        )
    ]
    return decision


def _not_as_requested(refund: RefundAgreed, escrow: Escrow, book: Book) -> Refused | None:
    """The agreed refund is one the buyer asked for on this order, for no more than was asked."""
    asked = book.requests.get(refund.refund_id)
    if asked is None:
        return Refused(consistency.UNKNOWN_REFUND, f"no refund {refund.refund_id!r} was asked for")
    known = consistency.Known(asked.tenant_id, asked.order_id, asked.grant_id, asked.supplier_id)
    wrong = consistency.differences(
        known,
        tenant_id=escrow.tenant_id,
        order_id=refund.order_id,
        grant_id=refund.grant_id,
        supplier_id=refund.supplier_id,
    ) + consistency.refund_amount_differences(refund.amount.amount_minor, asked.amount)
    return Refused(consistency.CONTRADICTS_REFUND, "; ".join(wrong)) if wrong else None


Paid = tuple[Decision, RefundSource, list[Transfer]]  # and the transfers the settlement names


def _from_escrow(escrow: Escrow, amount: int) -> Paid | Refused:
    """Void what is held and reserve the remainder again: the refund is back on the grant at once."""
    split = allocate(amount, escrow.held)
    if isinstance(split, Refused):
        return split
    remaining = {c: escrow.held[c] - split.get(c, 0) for c in escrow.held}
    voids = voiding(escrow, TransferCode.REFUND_FROM_ESCROW)
    generation = escrow.generation + 1
    reserves = reservation(
        escrow.tenant_id, escrow.order_id, escrow.grant_id, escrow.supplier_id, remaining, generation
    )
    escrow.refunded_by_category = _plus(escrow.refunded_by_category, split)
    escrow.held, escrow.generation = remaining, generation
    if not any(remaining.values()):
        escrow.status = "refunded"
    figures = [
        FigureMove(escrow.tenant_id, escrow.grant_id, c, encumbered=-part, refunded=part)
        for c, part in split.items()
    ]
    return Decision(transfers=voids + reserves, figures=figures), RefundSource.ESCROW, reserves


def _after_release(escrow: Escrow, refund: RefundAgreed, book: Book) -> Paid | Refused:
    """From the supplier's balance when it covers the refund, else advanced by the guarantee fund."""
    spent = {c: a - escrow.refunded_by_category.get(c, 0) for c, a in escrow.by_category.items()}
    split = allocate(refund.amount.amount_minor, spent)
    if isinstance(split, Refused):
        return split
    sid, gid, tenant, oid = escrow.supplier_id, escrow.grant_id, escrow.tenant_id, escrow.order_id
    amount = sum(split.values())
    transfers: list[Transfer] = []
    balance = book.ledger.available(accounts.supplier_payable(sid)) or 0
    if balance >= amount:
        source, payer, code = (
            RefundSource.SUPPLIER_BALANCE,
            accounts.supplier_payable(sid),
            TransferCode.REFUND_SUPPLIER_BALANCE,
        )
    else:
        source, payer, code = (
            RefundSource.GUARANTEE_ADVANCE,
            accounts.supplier_receivable(sid),
            TransferCode.REFUND_ADVANCE,
        )
        # The fund's limit means it can never advance more than it holds.
        transfers.append(
            Transfer(
                transfer_id(f"refund:{refund.refund_id}:advance"),
                accounts.GUARANTEE_FUND,
                accounts.GUARANTEE_ADVANCED,
                amount,
                TransferKind.POSTED,
                TransferCode.GUARANTEE_ADVANCE,
                order_id=oid,
            )
        )
    to_grant = [
        Transfer(
            transfer_id(f"refund:{refund.refund_id}:{category}"),
            payer,
            accounts.grant(tenant, gid, category),
            part,
            TransferKind.POSTED,
            code,
            order_id=oid,
        )
        for category, part in split.items()
    ]
    escrow.refunded_by_category = _plus(escrow.refunded_by_category, split)
    month = book.terms.today.replace(day=1)
    decision = Decision(
        transfers=transfers + to_grant,
        figures=[FigureMove(tenant, gid, c, expended=-part, refunded=part) for c, part in split.items()],
        months=[MonthMove(tenant, gid, c, month, refunded=part) for c, part in split.items()],
    )
    return decision, source, to_grant

"""The escrow of one order, and what each order event does to it: reserve when the order is
placed, release to the supplier on receipt (less the platform fee, recovering what the supplier
owes the guarantee fund), void when the order ends without trade. Deciders read the book and
answer a Decision, a Refused or None; every movement is a transfer whose id derives from its cause.

Over 300 lines because an escrow's three deciders share its amounts, its fee and the recovery of
guarantee advances, and must agree on them; refunds, which also move escrowed money, are apart
(refund.py).

Size: one decider per order event, sharing the escrow's checks; they read best together."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.settlement import (
    EscrowReleased,
    EscrowVoided,
    FundsRejected,
    FundsRejectedReason,
    FundsReserved,
    ReceivableRecovered,
)
from contracts.money import Money
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Ledger, Transfer, TransferKind, transfer_id
from services.settlement.money_path.domain import consistency
from services.settlement.money_path.domain.book import Book
from services.settlement.money_path.domain.decision import Decision, FigureMove, MonthMove, Outcome, Refused
from services.settlement.money_path.domain.fees import platform_fee


@dataclass(slots=True)
class Escrow:
    order_id: str
    grant_id: str  # may name an unknown grant (a rejected order)
    tenant_id: str
    supplier_id: str
    amount: int
    by_category: dict[str, int]  # the order amount by budget category
    status: str  # held | released | voided | refunded | rejected
    held: dict[str, int] = field(default_factory=dict)  # what is still pending, by category
    generation: int = 0  # bumped when a refund re-reserves the remainder
    refunded: int = 0
    refunded_by_category: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    fee: int = 0
    resolved_by: uuid.UUID | None = None  # the event that released or voided it: its replay is known
    version: int = 0
    released: int = 0  # gross released so far, receipt by receipt
    receipts: tuple[int, ...] = ()  # the receipts released on it: their replays are known

    @property
    def known(self) -> consistency.Known:
        return consistency.Known(self.tenant_id, self.order_id, self.grant_id, self.supplier_id)

    def copy(self) -> Escrow:
        """A copy to change: its amounts by category are replaced by new dicts when they change,
        never changed in place, so the copy shares them."""
        return Escrow(
            self.order_id,
            self.grant_id,
            self.tenant_id,
            self.supplier_id,
            self.amount,
            self.by_category,  # never changed: a new dict replaces it
            self.status,
            self.held,
            self.generation,
            self.refunded,
            self.refunded_by_category,
            self.reason,
            self.fee,
            self.resolved_by,
            self.version,
            self.released,
            self.receipts,
        )


def by_category(order: OrderPlaced) -> dict[str, int]:
    lines = order.lines
    if len(lines) == 1:
        return {lines[0].category.value: lines[0].line_total_minor}
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.category.value] += line.line_total_minor
    return dict(sorted(totals.items()))


def contradiction(
    escrow: Escrow,
    cause: Envelope,
    *,
    grant_id: str,
    supplier_id: str | None = None,
    amount: list[str] | None = None,
) -> Refused | None:
    """An event about this escrow that names another university, order, grant or supplier (or,
    in `amount`, an amount the escrow cannot have) is refused."""
    wrong = consistency.differences(
        escrow.known,
        tenant_id=cause.tenant_id,
        order_id=escrow.order_id,
        grant_id=grant_id,
        supplier_id=supplier_id,
    ) + (amount or [])
    return Refused(consistency.CONTRADICTS_ESCROW, "; ".join(wrong)) if wrong else None


def fen(amount: int) -> dict[str, object]:
    """An amount as an event's Money field reads it."""
    return {"amount_minor": amount, "currency": "CNY"}


def not_escrowed(order_id: str) -> Refused:
    return Refused("escrow_not_found", f"order {order_id!r} was never escrowed")


def reservation(
    tenant_id: str, order_id: str, grant_id: str, supplier_id: str, amounts: dict[str, int], generation: int
) -> list[Transfer]:
    """Pending transfers grant → supplier payable, one per category."""
    return [
        Transfer(
            transfer_id(accounts.escrow_pending(order_id, category, generation)),
            accounts.grant(tenant_id, grant_id, category),
            accounts.supplier_payable(supplier_id),
            amount,
            TransferKind.PENDING,
            TransferCode.ESCROW,
            order_id=order_id,
        )
        for category, amount in amounts.items()
        if amount
    ]


def voiding(escrow: Escrow, code: TransferCode) -> list[Transfer]:
    """Void every pending transfer of the escrow's current generation."""
    oid, gen = escrow.order_id, escrow.generation
    return [
        Transfer(
            transfer_id(f"order:{oid}:void:{category}" + (f":g{gen}" if gen else "")),
            accounts.grant(escrow.tenant_id, escrow.grant_id, category),
            accounts.supplier_payable(escrow.supplier_id),
            amount,
            TransferKind.VOID_PENDING,
            code,
            pending_id=transfer_id(accounts.escrow_pending(oid, category, gen)),
            order_id=oid,
        )
        for category, amount in escrow.held.items()
        if amount
    ]


def recovery(
    ledger: Ledger, supplier_id: str, cause: str, available: int, *, order_id: str | None = None
) -> tuple[list[Transfer], int, int]:
    """Take what the supplier owes the guarantee fund out of this settlement (`cause` names it:
    `order:O-1` for a release, `payout:<id>` for a payout): the transfers, what they recover, and
    what is still owed afterwards."""
    receivable = ledger.accounts.get(accounts.supplier_receivable(supplier_id))
    owed = receivable.debits_posted - receivable.credits_posted if receivable is not None else 0
    recovered = min(owed, available)
    if recovered <= 0:
        return [], 0, owed
    transfers = [
        Transfer(
            transfer_id(f"{cause}:{step}"),
            debit,
            credit,
            recovered,
            TransferKind.POSTED,
            code,
            order_id=order_id,
        )
        for step, code, debit, credit in (
            (
                "recover",
                TransferCode.RECEIVABLE_RECOVER,
                accounts.supplier_payable(supplier_id),
                accounts.supplier_receivable(supplier_id),
            ),
            (
                "replenish",
                TransferCode.RECEIVABLE_REPLENISH,
                accounts.GUARANTEE_ADVANCED,
                accounts.GUARANTEE_FUND,
            ),
        )
    ]
    return transfers, recovered, owed - recovered


def decide_placed(order: OrderPlaced, cause: Envelope, book: Book) -> Outcome:
    """Reserve the order amount per budget category, or reject it with the reason."""
    decided = book.escrow(order.order_id)
    if decided is not None:  # this order's money was already decided: a replay, or a contradiction
        amount = (
            []
            if order.total.amount_minor == decided.amount
            else [f"amount: event says {order.total.amount_minor} fen, escrow has {decided.amount}"]
        )
        return contradiction(
            decided, cause, grant_id=order.grant_id, supplier_id=order.supplier_id, amount=amount
        )
    amounts = by_category(order)
    tenant = cause.tenant_id
    refusal = _refusal(order, cause, amounts, book)
    escrow = Escrow(
        order.order_id,
        order.grant_id,
        tenant,
        order.supplier_id,
        order.total.amount_minor,
        amounts,
        "rejected",
    )
    if refusal is not None:
        code, detail = refusal
        escrow.reason = code.value
        rejected = FundsRejected(
            order_id=order.order_id, grant_id=order.grant_id, reason_code=code, detail=detail
        )
        return Decision(escrow=escrow, events=[rejected])
    transfers = reservation(tenant, order.order_id, order.grant_id, order.supplier_id, amounts, 0)
    escrow.status, escrow.held = "held", dict(amounts)
    reserved = FundsReserved.model_validate(
        {
            "order_id": order.order_id,
            "grant_id": order.grant_id,
            "supplier_id": order.supplier_id,
            "amount": order.total,
            "by_category": amounts,
            "transfer_ids": [t.transfer_id for t in transfers],
        }
    )
    return Decision(
        transfers=transfers,
        escrow=escrow,
        figures=[FigureMove(tenant, order.grant_id, c, encumbered=a) for c, a in amounts.items()],
        events=[reserved],
    )


def _refusal(
    order: OrderPlaced, cause: Envelope, amounts: dict[str, int], book: Book
) -> tuple[FundsRejectedReason, str] | None:
    if order.total.currency != "CNY":
        return (
            FundsRejectedReason.CURRENCY_MISMATCH,
            f"grants are in CNY, the order in {order.total.currency}",
        )
    grant = book.grant(cause.tenant_id, order.grant_id)
    if grant is None:
        return FundsRejectedReason.UNKNOWN_GRANT, f"no grant {order.grant_id!r}"
    refusal = grant.refusal(cause.tenant_id, order.buyer.user_id, book.terms.today)
    if refusal is not None:
        return refusal
    for category, amount in amounts.items():
        left = book.ledger.available(accounts.grant(cause.tenant_id, order.grant_id, category))
        if left is None or left < amount:
            return (
                FundsRejectedReason.INSUFFICIENT_BUDGET,
                f"{category} has {left or 0} fen available, the order needs {amount}",
            )
    return None


def decide_ended(ended: OrderCancelled | OrderClosed, cause: Envelope, book: Book) -> Outcome:
    """Cancelled or closed before receipt: the escrow goes back to the grant."""
    escrow = book.escrow(ended.order_id)
    if escrow is None:
        return not_escrowed(ended.order_id)
    wrong = contradiction(escrow, cause, grant_id=ended.grant_id)
    if wrong is not None or escrow.status != "held":
        return wrong  # rejected, refunded or already voided: nothing is held
    transfers = voiding(escrow, TransferCode.ESCROW_VOID)
    figures = [
        FigureMove(escrow.tenant_id, escrow.grant_id, c, encumbered=-a) for c, a in escrow.held.items() if a
    ]
    voided = EscrowVoided(
        order_id=ended.order_id,
        grant_id=escrow.grant_id,
        amount=Money.cny(escrow.amount - escrow.refunded),
        reason_code=ended.reason_code.value,
    )
    escrow.status, escrow.reason, escrow.resolved_by, escrow.held = (
        "voided",
        ended.reason_code.value,
        cause.event_id,
        {},
    )
    return Decision(transfers=transfers, escrow=escrow, figures=figures, events=[voided])


def decide_received(received: OrderReceived, cause: Envelope, book: Book) -> Outcome:
    """A receipt became final: post its lines' escrow to the supplier (all that is held when it
    completes the order), take the fee, recover what the supplier owes. What a partial receipt
    leaves held is reserved again as the next generation. The fee of each release is what the
    fee on everything released so far adds, so partial releases add up to the whole order's.

    Size: releasing, carrying the rest, the fee and the recovery are one decision over one read
    of the escrow."""
    escrow = book.escrow(received.order_id)
    if escrow is None:
        return not_escrowed(received.order_id)
    wrong = contradiction(
        escrow,
        cause,
        grant_id=received.grant_id,
        supplier_id=received.supplier_id,
        amount=_receipt_differences(received, escrow),
    )
    if wrong is not None:
        return wrong
    if escrow.status != "held":
        if escrow.resolved_by == cause.event_id:
            return None  # a replay of this very release, beyond the dedup window
        return Refused("escrow_not_held", f"order {received.order_id!r} escrow is {escrow.status}, not held")
    if received.receipt_no in escrow.receipts:
        return None  # this receipt was released already: a replay beyond the dedup window
    oid, sid, gid, gen, tenant = (
        escrow.order_id,
        escrow.supplier_id,
        escrow.grant_id,
        escrow.generation,
        escrow.tenant_id,
    )
    taking = dict(escrow.held) if received.complete else _taking(received, escrow.held)
    suffix = "" if received.receipt_no == 1 else f":r{received.receipt_no}"
    releases = [
        Transfer(
            transfer_id(f"order:{oid}:release:{category}{suffix}"),
            accounts.grant(tenant, gid, category),
            accounts.supplier_payable(sid),
            amount,
            TransferKind.POST_PENDING,
            TransferCode.ESCROW_RELEASE,
            pending_id=transfer_id(accounts.escrow_pending(oid, category, gen)),
            order_id=oid,
        )
        for category, amount in taking.items()
        if amount
    ]
    carried, remaining = _carry(escrow, taking) if not received.complete else ([], {})
    gross = sum(t.amount for t in releases)
    fee = platform_fee(escrow.released + gross, book.terms.fee_rate_bp) - platform_fee(
        escrow.released, book.terms.fee_rate_bp
    )
    fees = (
        [
            Transfer(
                transfer_id(f"order:{oid}:fee{suffix}"),
                accounts.supplier_payable(sid),
                accounts.FEE_INCOME,
                fee,
                TransferKind.POSTED,
                TransferCode.PLATFORM_FEE,
                order_id=oid,
            )
        ]
        if fee
        else []
    )
    recovering, recovered, outstanding = recovery(
        book.ledger, sid, f"order:{oid}{suffix}", gross - fee, order_id=oid
    )
    events: list[EventPayload] = [
        EscrowReleased.model_validate(  # amounts as plain values: validated once, in pydantic's core
            {
                "order_id": oid,
                "grant_id": gid,
                "supplier_id": sid,
                "gross": fen(gross),
                "fee": fen(fee),
                "net_to_supplier": fen(gross - fee - recovered),
                "receivable_recovered": fen(recovered),
                "transfer_ids": [t.transfer_id for t in releases + fees],
                "receipt_no": received.receipt_no,
                "complete": received.complete,
            }
        )
    ]
    if recovered:
        events.append(
            ReceivableRecovered(
                supplier_id=sid, order_id=oid, amount=Money.cny(recovered), outstanding=Money.cny(outstanding)
            )
        )
    month = book.terms.today.replace(day=1)
    moved = [(category, amount) for category, amount in taking.items() if amount]
    escrow.held, escrow.fee, escrow.released = remaining, escrow.fee + fee, escrow.released + gross
    escrow.receipts = (*escrow.receipts, received.receipt_no)
    if received.complete:
        escrow.status, escrow.reason, escrow.resolved_by = "released", None, cause.event_id
    else:
        escrow.generation = gen + 1
    return Decision(
        transfers=releases + carried + fees + recovering,
        escrow=escrow,
        figures=[FigureMove(tenant, gid, c, encumbered=-a, expended=a) for c, a in moved],
        months=[MonthMove(tenant, gid, c, month, expended=a) for c, a in moved],
        events=events,
    )


def _received_by_category(received: OrderReceived) -> dict[str, int]:
    """What a receipt's lines are worth in each budget category."""
    worth: dict[str, int] = defaultdict(int)
    for line in received.lines:
        worth[line.category.value] += line.amount_minor
    return worth


def _taking(received: OrderReceived, held: dict[str, int]) -> dict[str, int]:
    """A partial receipt's lines by category, each at most what is held (a refund from escrow
    may have given part back)."""
    wanted = _received_by_category(received)
    taking = {c: min(wanted.get(c, 0), amount) for c, amount in held.items()}
    return {c: amount for c, amount in taking.items() if amount}


def _carry(escrow: Escrow, taking: dict[str, int]) -> tuple[list[Transfer], dict[str, int]]:
    """After a partial receipt: void the held categories it does not touch (those it touches are
    posted in part; the rest of their pending goes back), and reserve what is left of each as the
    next generation."""
    oid, gen = escrow.order_id, escrow.generation
    voids = [
        Transfer(
            transfer_id(f"order:{oid}:carry:{category}:g{gen}"),
            accounts.grant(escrow.tenant_id, escrow.grant_id, category),
            accounts.supplier_payable(escrow.supplier_id),
            amount,
            TransferKind.VOID_PENDING,
            TransferCode.ESCROW_CARRIED,
            pending_id=transfer_id(accounts.escrow_pending(oid, category, gen)),
            order_id=oid,
        )
        for category, amount in escrow.held.items()
        if amount and not taking.get(category)
    ]
    remaining = {c: a - taking.get(c, 0) for c, a in escrow.held.items() if a - taking.get(c, 0)}
    reserves = reservation(escrow.tenant_id, oid, escrow.grant_id, escrow.supplier_id, remaining, gen + 1)
    return voids + reserves, remaining


def _receipt_differences(received: OrderReceived, escrow: Escrow) -> list[str]:
    """A receipt without lines names what is still to settle (as before receipts by line); one
    with lines names what they are worth, within the order's amount in each category."""
    if not received.lines:
        return consistency.received_amount_differences(
            received.amount.amount_minor, sum(escrow.held.values()), escrow.amount
        )
    wrong: list[str] = []
    worth = sum(line.amount_minor for line in received.lines)
    if worth != received.amount.amount_minor:
        wrong.append(f"amount: event says {received.amount.amount_minor} fen, its lines {worth}")
    for category, amount in sorted(_received_by_category(received).items()):
        ordered = escrow.by_category.get(category, 0)
        if amount > ordered:
            wrong.append(f"{category}: event receives {amount} fen, the order has {ordered}")
    return wrong

"""One poll of money events, decided in memory in record order against the book: each event's
decision is applied to the book before the next is decided (an order placed then received in one
poll, two orders competing for a grant's last budget, a refund right after a release), and what
all of them changed is gathered for writing in a few statements. A refused event changes nothing:
its transfers are undone in the ledger and the poll goes on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from services.settlement.ledger.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch
from services.settlement.money_path.domain.book import Book
from services.settlement.money_path.domain.decision import (
    Decision,
    Outcome,
    RefundPayment,
    RefundRequest,
    Refused,
)
from services.settlement.money_path.domain.escrow import Escrow

Decider = Callable[[Any, Envelope, Book], Outcome]


class Emitted(NamedTuple):
    """An event to publish: the next version of the escrow's stream, caused by `cause`."""

    payload: EventPayload
    aggregate_id: str
    version: int
    tenant_id: str
    cause: Envelope


@dataclass
class Poll:
    book: Book
    deciders: Mapping[type[EventPayload], Decider]
    escrows: dict[str, Escrow] = field(default_factory=dict)  # the new state of every escrow changed
    figures: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)  # budget, enc, exp, ref
    months: dict[tuple[str, str, str, date], list[int]] = field(default_factory=dict)  # expended, refunded
    payments: list[RefundPayment] = field(default_factory=list)
    requests: list[RefundRequest] = field(default_factory=list)
    emitted: list[Emitted] = field(default_factory=list)

    def apply(self, payload: EventPayload, cause: Envelope) -> Refused | None:
        """Decide one event and apply the decision to the book; the refusal, if it is refused."""
        outcome = self.deciders[type(payload)](payload, cause, self.book)
        if outcome is None or isinstance(outcome, Refused):
            return outcome
        try:
            self.book.ledger.apply_all(outcome.transfers)
        except (LimitExceeded, TransferMismatch, PendingAlreadyResolved) as exc:
            return Refused(exc.code, exc.message)
        self._keep(outcome, cause)
        return None

    def _keep(self, decision: Decision, cause: Envelope) -> None:
        figures, months = self.figures, self.months
        for f in decision.figures:
            moved = figures.get(f[:3])
            if moved is None:
                figures[f[:3]] = [f.budget, f.encumbered, f.expended, f.refunded]
            else:
                moved[0] += f.budget
                moved[1] += f.encumbered
                moved[2] += f.expended
                moved[3] += f.refunded
        for m in decision.months:
            month = months.get(m[:4])
            if month is None:
                months[m[:4]] = [m.expended, m.refunded]
            else:
                month[0] += m.expended
                month[1] += m.refunded
        if decision.refund_request is not None:
            self.requests.append(decision.refund_request)
            self.book.requests[decision.refund_request.refund_id] = decision.refund_request
        if decision.refund_payment is not None:
            self.payments.append(decision.refund_payment)
            self.book.paid_refunds.add(decision.refund_payment.refund_id)
        escrow = decision.escrow
        if escrow is not None:
            before = self.book.escrows.get(escrow.order_id)
            first = (before.version if before is not None else 0) + 1
            escrow.version = first - 1 + len(decision.events)
            self.book.escrows[escrow.order_id] = escrow
            self.escrows[escrow.order_id] = escrow
            self.emitted += [
                Emitted(event, escrow.order_id, first + n, escrow.tenant_id, cause)
                for n, event in enumerate(decision.events)
            ]

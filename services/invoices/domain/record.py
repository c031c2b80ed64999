"""An invoice as UniSettle keeps it: the invoice itself, the order lines it bills, and where it
stands — matched (what it covers may be paid out), held (a variance or a failed check: finance
accepts or rejects it), rejected back to the supplier, voided (the tax service reports it voided
or offset: it covers nothing any more), or a red-letter invoice taken against a refund.

    held ──accept──▶ matched ──tax service: voided/offset──▶ voided
      │  ◀─received──┘ (a held invoice matches once its goods are received)
      └──reject──▶ rejected

Each step appends an event for settlement and a line to the invoice's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.invoices import Cover, InvoiceHeld, InvoiceMatched, InvoiceRejected, InvoiceVoided
from contracts.money import Money
from plumbing.errors import Conflict, Forbidden
from services.invoices.domain.invoice import Invoice
from services.invoices.domain.matching import Allocation, Match, Reason

SYSTEM = Actor(user_id="system", role="system")
# Reasons finance may accept: a price or quantity the university agrees to. A wrong buyer or
# seller, goods not received or an invoice the tax service does not know are never accepted.
ACCEPTABLE = frozenset({Reason.PRICE_VARIANCE.value, Reason.QUANTITY_VARIANCE.value})


class InvoiceStatus(StrEnum):
    MATCHED = "matched"
    HELD = "held"
    REJECTED = "rejected"
    VOIDED = "voided"
    RED_LETTER = "red_letter"


class InvoiceAlreadyUsed(Conflict):
    code = "invoice_already_used"


def already_used(number: str) -> InvoiceAlreadyUsed:
    """Whoever used it (another supplier, another university) is not the caller's to know."""
    return InvoiceAlreadyUsed(f"invoice number {number} is already used on this platform")


class NotHeld(Conflict):
    code = "invoice_not_held"


class NotAcceptable(Conflict):
    code = "variance_not_acceptable"


class BeyondAuthority(Forbidden):
    code = "beyond_variance_authority"


class RequesterMayNotAccept(Forbidden):
    code = "requester_may_not_accept"


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    actor: Actor
    status: InvoiceStatus
    reason: str | None = None


@dataclass
class InvoiceRecord:
    invoice: Invoice
    supplier_id: str
    tenant_id: str
    allocations: tuple[Allocation, ...]
    status: InvoiceStatus
    verification: str
    reasons: list[str] = field(default_factory=list)
    findings: list[dict[str, object]] = field(default_factory=list)
    covers: dict[str, int] = field(default_factory=dict)
    variance_minor: int = 0
    version: int = 0
    events: list[EventPayload] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def invoice_id(self) -> str:
        return self.invoice.number

    @property
    def order_ids(self) -> list[str]:
        return sorted({a.order_id for a in self.allocations} | set(self.covers))

    def matched_as(self, match: Match, at: datetime, actor: Actor, action: str) -> None:
        """Take the outcome of a (re)match: matched, with what it covers, or held with reasons."""
        self.findings = [
            {"reason": f.reason.value, "detail": f.detail, "invoice_line": f.invoice_line}
            for f in match.findings
        ]
        self.reasons, self.covers = match.reasons, dict(match.covers)
        if match.matched:
            self.status = InvoiceStatus.MATCHED
            self.events.append(self._matched())
        else:
            self.status = InvoiceStatus.HELD
            self.events.append(
                InvoiceHeld(
                    invoice_id=self.invoice_id,
                    supplier_id=self.supplier_id,
                    reasons=self.reasons,
                    order_ids=self.order_ids,
                )
            )
        self.steps.append(Step(at, action, actor, self.status, ", ".join(self.reasons) or None))

    def accept(
        self, by: Actor, reason: str, at: datetime, *, authority_minor: int, requesters: set[str]
    ) -> None:
        """Finance accepts the variance: the invoice covers what it would had it matched."""
        if self.status is not InvoiceStatus.HELD:
            raise NotHeld(f"invoice {self.invoice_id} is {self.status.value}, not held")
        beyond = sorted(set(self.reasons) - ACCEPTABLE)
        if beyond:
            raise NotAcceptable(
                f"{', '.join(beyond)} cannot be accepted: reject the invoice instead",
                details={"reasons": beyond},
            )
        if by.user_id in requesters:
            raise RequesterMayNotAccept("whoever ordered the goods may not accept their invoice's variance")
        if self.variance_minor > authority_minor:
            raise BeyondAuthority(
                f"the variance of {self.variance_minor} fen passes the university's authority of "
                f"{authority_minor} fen",
                details={"variance_minor": self.variance_minor, "authority_minor": authority_minor},
            )
        self.status = InvoiceStatus.MATCHED
        self.events.append(self._matched(by))
        self.steps.append(Step(at, "accepted", by, self.status, reason))

    def reject(self, by: Actor, reason: str, at: datetime) -> None:
        if self.status is not InvoiceStatus.HELD:
            raise NotHeld(f"invoice {self.invoice_id} is {self.status.value}, not held")
        self.status = InvoiceStatus.REJECTED
        self.events.append(
            InvoiceRejected(
                invoice_id=self.invoice_id,
                supplier_id=self.supplier_id,
                rejected_by=by,
                reason=reason,
                order_ids=self.order_ids,
            )
        )
        self.steps.append(Step(at, "rejected", by, self.status, reason))

    def voided(self, status: str, detail: str, at: datetime) -> None:
        """The tax service now reports it voided or offset: it covers nothing any more."""
        was_matched = self.status is InvoiceStatus.MATCHED
        self.status = InvoiceStatus.VOIDED
        self.events.append(
            InvoiceVoided(
                invoice_id=self.invoice_id,
                supplier_id=self.supplier_id,
                status=status,
                order_ids=self.order_ids,
                was_matched=was_matched,
            )
        )
        self.steps.append(Step(at, f"tax_service_{status}", SYSTEM, self.status, detail))

    def _matched(self, by: Actor | None = None) -> InvoiceMatched:
        return InvoiceMatched(
            invoice_id=self.invoice_id,
            supplier_id=self.supplier_id,
            covers=[Cover(order_id=o, amount=Money.cny(a)) for o, a in sorted(self.covers.items()) if a > 0],
            accepted_by=by,
            reasons_accepted=self.reasons if by else [],
        )

"""Three-way match (三单匹配): each invoice line against the order line it bills and what was
received of it, and the invoice against the parties and the tax service's answer.

Per line, tax included: the invoiced quantity, with what earlier invoices billed of the line, is
at most what was received (`quantity_variance`; `not_received` when none was); the invoiced
amount is the ordered unit price times the quantity, within the university's tolerance
(`price_variance`; the larger of a percentage and an absolute amount, default exact). Per
invoice: the buyer is the paying university (`buyer_mismatch`), the seller the supplier
(`seller_mismatch`), and the tax service knows it as issued and valid (`verification_failed`).

What a matched invoice covers of an order — what may be paid out against it — is, per line, the
smaller of what was invoiced and what was ordered for that quantity: escrow never holds more than
the ordered price, and an invoice for less covers less."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.invoices.domain.invoice import Invoice


class Reason(StrEnum):
    PRICE_VARIANCE = "price_variance"
    QUANTITY_VARIANCE = "quantity_variance"
    NOT_RECEIVED = "not_received"
    BUYER_MISMATCH = "buyer_mismatch"
    SELLER_MISMATCH = "seller_mismatch"
    VERIFICATION_FAILED = "verification_failed"


@dataclass(frozen=True)
class Tolerance:
    percent_bp: int = 0  # of the ordered amount, in basis points
    absolute_fen: int = 0

    def allows(self, difference: int, expected: int) -> bool:
        allowed = max(self.absolute_fen, expected * self.percent_bp // 10_000)
        return abs(difference) <= allowed


@dataclass(frozen=True)
class OrderedLine:
    """What is known of an order line: ordered, its unit price with tax, received (final
    receipts), and how much other invoices already bill."""

    order_id: str
    line_no: int
    quantity: int
    unit_price_fen: int
    received: int
    invoiced_elsewhere: Decimal = Decimal(0)


@dataclass(frozen=True)
class Allocation:
    """Invoice line `invoice_line` (from 1) bills order line `line_no` of `order_id`."""

    invoice_line: int
    order_id: str
    line_no: int


@dataclass(frozen=True)
class Finding:
    reason: Reason
    detail: str
    invoice_line: int | None = None


@dataclass(frozen=True)
class Match:
    findings: tuple[Finding, ...]
    covers: Mapping[str, int]  # order id → fen the invoice covers
    variance_fen: int = 0  # what finance accepts with it: price differences and the excess billed

    @property
    def matched(self) -> bool:
        return not self.findings

    @property
    def reasons(self) -> list[str]:
        return sorted({f.reason.value for f in self.findings})


@dataclass(frozen=True)
class Parties:
    buyer_tax_id: str  # the paying university's
    seller_tax_id: str  # the supplier's


def match(
    invoice: Invoice,
    allocations: Sequence[Allocation],
    ordered: Mapping[tuple[str, int], OrderedLine],
    parties: Parties,
    tolerance: Tolerance,
    verified: bool,
) -> Match:
    """Size: the line checks and the invoice checks are one pass over one invoice."""
    findings: list[Finding] = []
    if invoice.buyer.tax_id != parties.buyer_tax_id:
        findings.append(
            Finding(
                Reason.BUYER_MISMATCH,
                f"the buyer is {invoice.buyer.tax_id}, the paying university {parties.buyer_tax_id}",
            )
        )
    if invoice.seller.tax_id != parties.seller_tax_id:
        findings.append(
            Finding(
                Reason.SELLER_MISMATCH,
                f"the seller is {invoice.seller.tax_id}, the supplier {parties.seller_tax_id}",
            )
        )
    if not verified:
        findings.append(
            Finding(Reason.VERIFICATION_FAILED, "the tax service does not know it as issued and valid")
        )
    covers: dict[str, int] = defaultdict(int)
    variance = 0
    billed: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for a in sorted(allocations, key=lambda x: x.invoice_line):
        line = invoice.lines[a.invoice_line - 1]
        order_line = ordered[(a.order_id, a.line_no)]
        billed[(a.order_id, a.line_no)] += line.quantity
        so_far = order_line.invoiced_elsewhere + billed[(a.order_id, a.line_no)]
        where = f"invoice line {a.invoice_line} ({a.order_id} line {a.line_no})"
        if order_line.received == 0:
            findings.append(
                Finding(Reason.NOT_RECEIVED, f"{where}: nothing of it is received", a.invoice_line)
            )
        elif so_far > order_line.received:
            excess = min(line.quantity, so_far - order_line.received) * order_line.unit_price_fen
            variance += int(excess.to_integral_value(rounding="ROUND_HALF_UP"))
            findings.append(
                Finding(
                    Reason.QUANTITY_VARIANCE,
                    f"{where}: {so_far} invoiced, {order_line.received} received",
                    a.invoice_line,
                )
            )
        expected = int(
            (line.quantity * order_line.unit_price_fen).to_integral_value(rounding="ROUND_HALF_UP")
        )
        difference = line.with_tax_fen - expected
        if not tolerance.allows(difference, expected):
            variance += abs(difference)
            findings.append(
                Finding(
                    Reason.PRICE_VARIANCE,
                    f"{where}: {line.with_tax_fen} fen with tax invoiced, "
                    f"{expected} ordered ({difference:+d})",
                    a.invoice_line,
                )
            )
        covers[a.order_id] += min(line.with_tax_fen, expected)
    return Match(tuple(findings), dict(covers), variance)

"""What of an order's released money a payout may pay when its university pays suppliers only
against matched invoices (三单匹配 before payment).

Receipt releases escrow to the supplier's balance as before (the marketplace's promise); a payout
pays of each order only what matched invoices cover, net of the platform fee on it:

    allowed  = net(min(covered + charged, released)) - charged
    payable  = min(outstanding, allowed - paid)          (never below 0)
    held     = outstanding - payable

where `released` is the gross released so far, `covered` what matched invoices cover net of
red-letter ones, `charged` what refunds took back from the supplier after release (a refund and
its red-letter invoice change nothing of what may be paid), `paid` what payouts and early
payments already paid of it, `outstanding` what of it the supplier has not been paid, and
`net(x)` x less the fee on x (the fee of the whole release when x is all of it). Held money shows
why: an invoice held for a variance, voided or rejected, else none yet (`invoice_missing`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.settlement.money_path.domain.fees import platform_fee

INVOICE_MISSING = "invoice_missing"


@dataclass(frozen=True)
class OrderMoney:
    order_id: str
    released: int
    fee: int
    charged: int
    paid: int
    covered: int
    hold_reason: str | None = None  # invoice_variance, invoice_voided, invoice_rejected

    def outstanding(self) -> int:
        return max(0, self.released - self.fee - self.charged - self.paid)

    def taken_back(self) -> int:
        """What a refund after payout took back of the supplier's balance beyond this order's own."""
        return max(0, self.fee + self.charged + self.paid - self.released)

    def allowed(self, fee_rate_bp: int) -> int:
        billed = min(max(0, self.covered + self.charged), self.released)
        net = (
            self.released - self.fee
            if billed == self.released
            else billed - platform_fee(billed, fee_rate_bp)
        )
        return max(0, net - self.charged)

    def payable(self, fee_rate_bp: int) -> int:
        return min(self.outstanding(), max(0, self.allowed(fee_rate_bp) - self.paid))

    def held(self, fee_rate_bp: int) -> int:
        return self.outstanding() - self.payable(fee_rate_bp)

    @property
    def reason(self) -> str:
        return self.hold_reason or INVOICE_MISSING


def allocate(amount: int, orders: Iterable[OrderMoney], fee_rate_bp: int) -> dict[str, int]:
    """`amount` over the orders, oldest id first, each up to what of it is payable."""
    out: dict[str, int] = {}
    left = amount
    for order in sorted(orders, key=lambda o: o.order_id):
        take = min(left, order.payable(fee_rate_bp))
        if take > 0:
            out[order.order_id] = take
            left -= take
    return out

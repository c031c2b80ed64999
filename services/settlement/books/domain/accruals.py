"""Received-not-invoiced (暂估应付): at a moment, what of each order was received and released
to its supplier, less what refunds after release took back, and not yet covered by matched
invoices (net of red-letter ones) — by supplier and grant, as finance books it at period end.
An order invoiced for more than it kept accrues nothing (never below zero)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderReceipt:
    order_id: str
    supplier_id: str
    grant_id: str
    project_code: str
    received: int  # released to the supplier by then (gross)
    refunded: int  # taken back from the supplier after release, by then
    invoiced: int  # matched invoices' cover by then, net of red-letter ones

    @property
    def accrued(self) -> int:
        return max(0, self.received - self.refunded - self.invoiced)


@dataclass(frozen=True)
class Accrual:
    supplier_id: str
    grant_id: str
    project_code: str
    received: int
    refunded: int
    invoiced: int
    accrued: int
    orders: tuple[str, ...]  # the orders with something accrued


def accruals(orders: Iterable[OrderReceipt]) -> list[Accrual]:
    """By supplier and grant, in that order; groups with nothing accrued are left out."""
    groups: dict[tuple[str, str, str], list[OrderReceipt]] = {}
    for o in orders:
        groups.setdefault((o.supplier_id, o.grant_id, o.project_code), []).append(o)
    out = []
    for (supplier, grant, project), found in sorted(groups.items()):
        accrued = sum(o.accrued for o in found)
        if accrued:
            out.append(
                Accrual(
                    supplier,
                    grant,
                    project,
                    sum(o.received for o in found),
                    sum(o.refunded for o in found),
                    sum(o.invoiced for o in found),
                    accrued,
                    tuple(sorted(o.order_id for o in found if o.accrued)),
                )
            )
    return out

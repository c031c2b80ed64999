"""Verification with the tax authority (发票查验): is the invoice one the tax system issued, with
these parties and this total, and is it still valid — not voided (作废) nor offset by a red-letter
invoice (红冲)? The tax service is behind `TaxService`; UniSettle cannot reach the real one, so
deployments use its simulator (adapters), which answers as the real one does from what it was
told was issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from services.invoices.domain.invoice import Invoice


class Status(StrEnum):
    VALID = "valid"
    VOIDED = "voided"  # 作废
    OFFSET = "offset"  # 红冲: a red-letter invoice offsets it in full
    NOT_FOUND = "not_found"  # the tax system issued no such invoice
    MISMATCH = "mismatch"  # issued, but with other parties, date or total than submitted


@dataclass(frozen=True)
class Issued:
    """What the tax system holds of an issued invoice (what 查验 compares)."""

    number: str
    seller_tax_id: str
    buyer_tax_id: str
    issued_on: date
    total_fen: int
    status: Status = Status.VALID


@dataclass(frozen=True)
class Verification:
    status: Status
    detail: str = ""

    @property
    def valid(self) -> bool:
        return self.status is Status.VALID


class TaxService(Protocol):
    async def verify(self, invoice: Invoice) -> Verification: ...


def compare(invoice: Invoice, issued: Issued | None) -> Verification:
    """The tax service's answer about `invoice`, given what it holds (None: nothing)."""
    if issued is None:
        return Verification(Status.NOT_FOUND, f"the tax system issued no invoice {invoice.number}")
    differences = [
        f"{name}: submitted {mine}, issued {theirs}"
        for name, mine, theirs in (
            ("seller", invoice.seller.tax_id, issued.seller_tax_id),
            ("buyer", invoice.buyer.tax_id, issued.buyer_tax_id),
            ("issue date", invoice.issued_on, issued.issued_on),
            ("total", invoice.total_fen, issued.total_fen),
        )
        if mine != theirs
    ]
    if differences:
        return Verification(Status.MISMATCH, "; ".join(differences))
    if issued.status is not Status.VALID:
        return Verification(
            issued.status, f"the tax system reports invoice {invoice.number} {issued.status.value}"
        )
    return Verification(Status.VALID)

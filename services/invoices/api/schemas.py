"""What the invoices API answers: an invoice with its match and what it unlocked, a red-letter
invoice owed, and a university's invoicing profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from services.invoices.domain.record import InvoiceRecord


class FindingOut(BaseModel):
    reason: str
    detail: str
    invoice_line: int | None = None


class InvoiceLineOut(BaseModel):
    name: str
    specification: str
    unit: str
    quantity: str
    unit_price: str
    amount_minor: int
    tax_rate: str
    tax_minor: int
    order_id: str | None = None
    line_no: int | None = None


class StepOut(BaseModel):
    at: datetime
    action: str
    actor_id: str
    actor_role: str
    status: str
    reason: str | None = None


class InvoiceOut(BaseModel):
    invoice_id: str
    kind: str
    supplier_id: str
    tenant_id: str
    issued_on: date
    seller: dict[str, str]
    buyer: dict[str, str]
    amount_minor: int
    tax_minor: int
    total_minor: int
    offsets: str | None
    status: str
    reasons: list[str]
    findings: list[FindingOut]
    verification: str
    covers: dict[str, int]  # order id → fen with tax it lets be paid out (while matched)
    variance_minor: int
    order_ids: list[str]
    lines: list[InvoiceLineOut]
    steps: list[StepOut] = []

    @classmethod
    def of(cls, rec: InvoiceRecord, steps: list[asyncpg.Record] | None = None) -> InvoiceOut:
        inv = rec.invoice
        billed = {a.invoice_line: a for a in rec.allocations}
        return cls(
            invoice_id=rec.invoice_id,
            kind=inv.kind.value,
            supplier_id=rec.supplier_id,
            tenant_id=rec.tenant_id,
            issued_on=inv.issued_on,
            seller={"name": inv.seller.name, "tax_id": inv.seller.tax_id},
            buyer={"name": inv.buyer.name, "tax_id": inv.buyer.tax_id},
            amount_minor=inv.amount_fen,
            tax_minor=inv.tax_fen,
            total_minor=inv.total_fen,
            offsets=inv.offsets,
            status=rec.status.value,
            reasons=rec.reasons,
            findings=[FindingOut.model_validate(f) for f in rec.findings],
            verification=rec.verification,
            covers=rec.covers,
            variance_minor=rec.variance_minor,
            order_ids=rec.order_ids,
            lines=[
                InvoiceLineOut(
                    name=x.name,
                    specification=x.specification,
                    unit=x.unit,
                    quantity=str(x.quantity),
                    unit_price=str(x.unit_price),
                    amount_minor=x.amount_fen,
                    tax_rate=str(x.tax_rate),
                    tax_minor=x.tax_fen,
                    order_id=billed[n].order_id if n in billed else None,
                    line_no=billed[n].line_no if n in billed else None,
                )
                for n, x in enumerate(inv.lines, start=1)
            ],
            steps=[StepOut(**dict(s)) for s in steps or []],
        )


class RedLetterOut(BaseModel):
    refund_id: str
    order_id: str
    supplier_id: str
    tenant_id: str
    invoice_id: str
    amount_minor: int
    owed_since: datetime
    red_letter_id: str | None
    received_at: datetime | None

    @classmethod
    def of(cls, r: asyncpg.Record) -> RedLetterOut:
        return cls(**{k: r[k] for k in cls.model_fields})


class OrderInvoicesOut(BaseModel):
    """An order's invoice state, as its requester and finance see it."""

    order_id: str
    state: str  # not_invoiced, partly_invoiced, invoiced, held, red_letter_owed
    ordered_minor: int
    invoiced_minor: int  # covered by matched invoices, net of red-letter ones
    invoices: list[dict[str, Any]]
    red_letters: list[RedLetterOut]

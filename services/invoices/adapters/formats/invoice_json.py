"""An invoice's fields as JSON, for platforms and suppliers that do not send the tax system's
XML: the same fields, amounts in fen, quantities, unit prices (yuan, before tax) and rates as
decimal strings so nothing passes through a float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from plumbing.web.request_bodies import RequestBody
from services.invoices.adapters.formats.errors import MAX_LINES
from services.invoices.domain.invoice import Invoice, InvoiceLine, Party, checked, invoice_number

MEDIA_TYPE = "application/json"
Text = Annotated[str, Field(min_length=1, max_length=300)]
DecimalText = Annotated[str, Field(pattern=r"^-?\d{1,13}(\.\d{1,13})?$")]
Fen = Annotated[int, Field(strict=True, ge=-(10**13), le=10**13)]


class PartyIn(RequestBody):
    name: Text
    tax_id: Annotated[str, Field(min_length=15, max_length=20)]


class InvoiceLineIn(RequestBody):
    name: Text
    specification: Annotated[str, Field(max_length=300)] = ""
    unit: Annotated[str, Field(max_length=50)] = ""
    quantity: DecimalText
    unit_price: DecimalText  # yuan, before tax
    amount_minor: Fen  # before tax
    tax_rate: Annotated[str, Field(pattern=r"^0(\.\d{1,2})?$")]  # "0.13"
    tax_minor: Fen


class InvoiceIn(RequestBody):
    number: Annotated[str, Field(min_length=8, max_length=20)]  # 20 digits; 8 for an older invoice
    code: Annotated[str | None, Field(min_length=10, max_length=12)] = None  # an older invoice's code
    issue_date: date
    seller: PartyIn
    buyer: PartyIn
    lines: Annotated[list[InvoiceLineIn], Field(min_length=1, max_length=MAX_LINES)]
    amount_minor: Fen
    tax_minor: Fen
    total_minor: Fen  # 价税合计
    offsets: Annotated[str | None, Field(min_length=8, max_length=20)] = (
        None  # a red-letter invoice's original
    )
    remark: Annotated[str, Field(max_length=1000)] = ""

    def invoice(self) -> Invoice:
        kind, number = invoice_number(self.number, self.code)
        return checked(
            Invoice(
                kind=kind,
                number=number,
                issued_on=self.issue_date,
                seller=Party(self.seller.name, self.seller.tax_id),
                buyer=Party(self.buyer.name, self.buyer.tax_id),
                lines=tuple(
                    InvoiceLine(
                        name=x.name,
                        specification=x.specification,
                        unit=x.unit,
                        quantity=Decimal(x.quantity),
                        unit_price=Decimal(x.unit_price),
                        amount_fen=x.amount_minor,
                        tax_rate=Decimal(x.tax_rate),
                        tax_fen=x.tax_minor,
                    )
                    for x in self.lines
                ),
                amount_fen=self.amount_minor,
                tax_fen=self.tax_minor,
                total_fen=self.total_minor,
                offsets=self.offsets,
                remark=self.remark,
            )
        )

"""A VAT invoice as the tax authority issues it: a fully digital invoice (数电票, a 20-digit
number) or an older electronic one (a 10- or 12-digit code and an 8-digit number); its seller and
buyer by name and unified social credit code; its lines, each with the amount before tax, the rate
and the tax; and its totals, which must add up (价税合计 = amount + tax). A red-letter invoice
(红字发票) offsets an earlier one: its amounts are negative and it names the invoice it offsets.

Amounts are fen. Quantities and unit prices on an invoice are decimals (the tax system prints up
to 13 significant digits); they are kept exact, never as floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from plumbing.errors import RuleViolation

DIGITAL_NUMBER = re.compile(r"^\d{20}$")
OLD_CODE, OLD_NUMBER = re.compile(r"^\d{10}$|^\d{12}$"), re.compile(r"^\d{8}$")
RATES = frozenset(Decimal(r) for r in ("0", "0.01", "0.03", "0.05", "0.06", "0.09", "0.13"))


class InvalidInvoice(RuleViolation):
    code = "invalid_invoice"


class TotalsDisagree(RuleViolation):
    code = "invoice_totals_disagree"


class InvoiceKind(StrEnum):
    DIGITAL = "digital"  # 数电票
    ELECTRONIC = "electronic"  # an older e-invoice: code + number


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str  # the unified social credit code (纳税人识别号)


@dataclass(frozen=True)
class InvoiceLine:
    name: str  # e.g. *化学试剂*乙腈
    specification: str
    unit: str
    quantity: Decimal
    unit_price: Decimal  # before tax, in yuan
    amount_fen: int  # before tax
    tax_rate: Decimal  # 0.13
    tax_fen: int

    @property
    def with_tax_fen(self) -> int:
        return self.amount_fen + self.tax_fen


@dataclass(frozen=True)
class Invoice:
    kind: InvoiceKind
    number: str  # the 20 digits; for an older invoice, code + number
    issued_on: date
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    amount_fen: int  # 合计金额
    tax_fen: int  # 合计税额
    total_fen: int  # 价税合计
    offsets: str | None = None  # a red-letter invoice: the number of the invoice it offsets
    remark: str = ""

    @property
    def red_letter(self) -> bool:
        return self.offsets is not None


def invoice_number(number: str, code: str | None = None) -> tuple[InvoiceKind, str]:
    """An invoice's kind and its number as the platform keys it: the 20 digits of a 数电票, or an
    older invoice's code followed by its number."""
    if code:
        if not OLD_CODE.match(code) or not OLD_NUMBER.match(number):
            raise InvalidInvoice(
                "an older e-invoice has a 10- or 12-digit code and an 8-digit number",
                code="invalid_invoice_number",
            )
        return InvoiceKind.ELECTRONIC, code + number
    if not DIGITAL_NUMBER.match(number):
        raise InvalidInvoice(
            "a fully digital invoice (数电票) number has 20 digits", code="invalid_invoice_number"
        )
    return InvoiceKind.DIGITAL, number


def checked(invoice: Invoice) -> Invoice:
    """The invoice, if its lines and totals agree to the fen and each line's tax is its amount
    at its rate (rounded half up, within a fen, as the tax system rounds); else refused."""
    if not invoice.lines:
        raise InvalidInvoice("an invoice has at least one line")
    sign = -1 if invoice.red_letter else 1
    wrong: list[str] = []
    for n, line in enumerate(invoice.lines, 1):
        if line.tax_rate not in RATES:
            wrong.append(f"line {n}: {line.tax_rate} is not a VAT rate")
        if sign * line.amount_fen < 0 or sign * line.tax_fen < 0:
            kind = "a red-letter invoice's are negative" if sign < 0 else "an invoice's are positive"
            wrong.append(f"line {n}: the amounts of {kind}")
        expected = (Decimal(line.amount_fen) * line.tax_rate).quantize(Decimal(1), rounding="ROUND_HALF_UP")
        if abs(expected - line.tax_fen) > 1:
            wrong.append(
                f"line {n}: tax {line.tax_fen} fen, {line.tax_rate} of {line.amount_fen} is {expected}"
            )
        if line.quantity and abs(line.quantity * line.unit_price * 100 - line.amount_fen) > 1:
            wrong.append(f"line {n}: {line.quantity} x {line.unit_price} is not {line.amount_fen} fen")
    amounts = sum(line.amount_fen for line in invoice.lines)
    if amounts != invoice.amount_fen:
        wrong.append(f"the lines' amounts add up to {amounts}, not {invoice.amount_fen}")
    if sum(line.tax_fen for line in invoice.lines) != invoice.tax_fen:
        wrong.append(
            f"the lines' taxes add up to {sum(x.tax_fen for x in invoice.lines)}, not {invoice.tax_fen}"
        )
    if invoice.amount_fen + invoice.tax_fen != invoice.total_fen:
        wrong.append(
            f"amount {invoice.amount_fen} + tax {invoice.tax_fen} is not the total {invoice.total_fen}"
        )
    if wrong:
        raise TotalsDisagree("; ".join(wrong[:10]), details={"problems": wrong[:50]})
    return invoice

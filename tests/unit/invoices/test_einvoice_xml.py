"""The 数电票 XML read as the tax system issues it, and hostile or broken files refused with a
stable code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.invoices.adapters.formats import einvoice_xml
from services.invoices.adapters.formats.errors import (
    InvoiceEncoding,
    InvoiceTooLarge,
    InvoiceXmlRefused,
    MalformedInvoice,
)
from services.invoices.adapters.formats.invoice_json import InvoiceIn
from services.invoices.domain.invoice import InvalidInvoice, InvoiceKind, TotalsDisagree

SAMPLE = (Path(__file__).parents[2] / "data" / "invoices" / "digital_invoice.xml").read_bytes()


def test_a_digital_invoice_reads_to_the_fen() -> None:
    invoice = einvoice_xml.read(SAMPLE)
    assert (invoice.kind, invoice.number, invoice.issued_on) == (
        InvoiceKind.DIGITAL,
        "24322000000012345678",
        date(2026, 12, 3),
    )
    assert (invoice.seller.tax_id, invoice.buyer.tax_id, invoice.buyer.name) == (
        "91320102JUCCNBB65D",
        "12100000400000624D",
        "清华大学",
    )
    assert (invoice.amount_fen, invoice.tax_fen, invoice.total_fen) == (8_540, 1_110, 9_650)
    tips, tubes = invoice.lines
    assert (tips.quantity, tips.unit_price, tips.amount_fen, tips.tax_fen, tips.with_tax_fen) == (
        Decimal(3),
        Decimal("24.78"),
        7_434,
        966,
        8_400,
    )
    assert (tubes.tax_rate, tubes.with_tax_fen, tubes.unit) == (Decimal("0.13"), 1_250, "盒")
    assert not invoice.red_letter


def test_a_gbk_invoice_that_says_so_reads() -> None:
    text = SAMPLE.decode().replace('encoding="UTF-8"', 'encoding="GBK"')
    assert einvoice_xml.read(text.encode("gbk")).seller.name == "南京金陵实验用品有限公司"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (  # billion laughs
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<EInvoice>&lol2;</EInvoice>",
            InvoiceXmlRefused,
        ),
        (  # an external entity (XXE)
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><EInvoice>&x;</EInvoice>',
            InvoiceXmlRefused,
        ),
        (b"<EInvoice>" + b" " * 20_000_000 + b"</EInvoice>", InvoiceTooLarge),
        (SAMPLE.decode().encode("gbk"), InvoiceEncoding),  # GBK bytes declared UTF-8
        (SAMPLE.replace(b'encoding="UTF-8"', b'encoding="EBCDIC-CP-US"'), InvoiceEncoding),
        (SAMPLE[:-40], MalformedInvoice),
        (b"<Document/>", MalformedInvoice),
        (
            SAMPLE.replace(b"<TotalTaxAm>11.10</TotalTaxAm>", b"<TotalTaxAm>11.11</TotalTaxAm>"),
            TotalsDisagree,
        ),
        (SAMPLE.replace(b"<TaxRate>0.13</TaxRate>", b"<TaxRate>0.12</TaxRate>"), TotalsDisagree),
        (SAMPLE.replace(b"<Amount>74.34</Amount>", b"<Amount>74.345</Amount>"), MalformedInvoice),
        (SAMPLE.replace(b"24322000000012345678", b"2432200000001234567"), InvalidInvoice),
    ],
    ids=[
        "billion-laughs",
        "xxe",
        "20-MB",
        "gbk-declared-utf8",
        "unknown-encoding",
        "truncated",
        "not-an-invoice",
        "totals",
        "rate",
        "three-decimals",
        "short-number",
    ],
)
def test_hostile_and_broken_files_are_refused_with_a_stable_code(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as refused:
        einvoice_xml.read(data)
    assert getattr(refused.value, "code", "")


def test_the_same_invoice_as_json_reads_the_same() -> None:
    xml = einvoice_xml.read(SAMPLE)
    body = {
        "number": xml.number,
        "issue_date": "2026-12-03",
        "seller": {"name": xml.seller.name, "tax_id": xml.seller.tax_id},
        "buyer": {"name": xml.buyer.name, "tax_id": xml.buyer.tax_id},
        "lines": [
            {
                "name": x.name,
                "specification": x.specification,
                "unit": x.unit,
                "quantity": str(x.quantity),
                "unit_price": str(x.unit_price),
                "amount_minor": x.amount_fen,
                "tax_rate": str(x.tax_rate),
                "tax_minor": x.tax_fen,
            }
            for x in xml.lines
        ],
        "amount_minor": 8_540,
        "tax_minor": 1_110,
        "total_minor": 9_650,
        "remark": xml.remark,
    }
    assert InvoiceIn.model_validate(body).invoice() == xml
    with pytest.raises(TotalsDisagree):
        InvoiceIn.model_validate({**body, "total_minor": 9_651}).invoice()
    older = InvoiceIn.model_validate({**body, "code": "032001900111", "number": "12345678"}).invoice()
    assert (older.kind, older.number) == (InvoiceKind.ELECTRONIC, "03200190011112345678")

"""What the tax service answers about a submitted invoice, from what it holds of it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from services.invoices.adapters.formats import einvoice_xml
from services.invoices.domain.verification import Issued, Status, compare

INVOICE = einvoice_xml.read(
    (Path(__file__).parents[2] / "data" / "invoices" / "digital_invoice.xml").read_bytes()
)
ISSUED = Issued(
    INVOICE.number, INVOICE.seller.tax_id, INVOICE.buyer.tax_id, INVOICE.issued_on, INVOICE.total_fen
)


def test_an_issued_invoice_as_submitted_is_valid() -> None:
    assert compare(INVOICE, ISSUED).valid


def test_unknown_voided_offset_and_altered_invoices_are_not() -> None:
    assert compare(INVOICE, None).status is Status.NOT_FOUND
    assert compare(INVOICE, replace(ISSUED, status=Status.VOIDED)).status is Status.VOIDED
    assert compare(INVOICE, replace(ISSUED, status=Status.OFFSET)).status is Status.OFFSET
    altered = compare(INVOICE, replace(ISSUED, total_fen=9_000))
    assert (altered.status, altered.detail) == (Status.MISMATCH, "total: submitted 9650, issued 9000")

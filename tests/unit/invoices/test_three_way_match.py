"""The three-way match per line and per invoice, with each outcome's stable reason and what a
matched invoice covers of each order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from services.invoices.adapters.formats import einvoice_xml
from services.invoices.domain.matching import Allocation, OrderedLine, Parties, Tolerance, match

INVOICE = einvoice_xml.read(
    (Path(__file__).parents[2] / "data" / "invoices" / "digital_invoice.xml").read_bytes()
)
PARTIES = Parties(buyer_tax_id="12100000400000624D", seller_tax_id="91320102JUCCNBB65D")
ALLOCATED = [Allocation(1, "O-1", 1), Allocation(2, "O-1", 2)]
EXACT = Tolerance()


def ordered(
    received: tuple[int, int] = (3, 1), tips_price: int = 2_800
) -> dict[tuple[str, int], OrderedLine]:
    return {
        ("O-1", 1): OrderedLine("O-1", 1, 3, tips_price, received[0]),
        ("O-1", 2): OrderedLine("O-1", 2, 2, 1_250, received[1]),
    }


def test_an_invoice_for_what_was_received_at_the_ordered_price_matches_and_covers_it() -> None:
    result = match(INVOICE, ALLOCATED, ordered(), PARTIES, EXACT, verified=True)
    assert result.matched and result.covers == {"O-1": 8_400 + 1_250}


def test_one_percent_over_is_a_price_variance_unless_the_tolerance_allows_it() -> None:
    cheaper = ordered(tips_price=2_772)  # the invoice's 28.00 is 1.01 % over 27.72
    held = match(INVOICE, ALLOCATED, cheaper, PARTIES, EXACT, verified=True)
    assert held.reasons == ["price_variance"]
    assert "8400 fen with tax invoiced, 8316 ordered (+84)" in held.findings[0].detail
    assert held.covers == {"O-1": 8_316 + 1_250}  # never more than was ordered
    assert match(INVOICE, ALLOCATED, cheaper, PARTIES, Tolerance(percent_bp=102), verified=True).matched
    assert not match(INVOICE, ALLOCATED, cheaper, PARTIES, Tolerance(percent_bp=101), verified=True).matched
    assert match(INVOICE, ALLOCATED, cheaper, PARTIES, Tolerance(absolute_fen=84), verified=True).matched
    assert not match(INVOICE, ALLOCATED, cheaper, PARTIES, Tolerance(absolute_fen=83), verified=True).matched


def test_more_invoiced_than_received_and_nothing_received() -> None:
    assert match(INVOICE, ALLOCATED, ordered((2, 1)), PARTIES, EXACT, verified=True).reasons == [
        "quantity_variance"
    ]
    assert match(INVOICE, ALLOCATED, ordered((3, 0)), PARTIES, EXACT, verified=True).reasons == [
        "not_received"
    ]
    billed = dict(ordered())
    billed[("O-1", 1)] = replace(
        billed[("O-1", 1)], invoiced_elsewhere=Decimal(1)
    )  # another invoice billed 1
    assert match(INVOICE, ALLOCATED, billed, PARTIES, EXACT, verified=True).reasons == ["quantity_variance"]


def test_the_wrong_parties_or_an_unverified_invoice_are_held() -> None:
    other = Parties(buyer_tax_id="12100000400001234X", seller_tax_id="91110108MA01ABCD1X")
    result = match(INVOICE, ALLOCATED, ordered(), other, EXACT, verified=False)
    assert result.reasons == ["buyer_mismatch", "seller_mismatch", "verification_failed"]

"""An invoice's life: matched or held with reasons, a variance accepted by finance within its
authority (never by the requester, never for a wrong party), rejected, or voided — each step an
event for settlement."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from contracts.events.common import Actor
from contracts.events.invoices import InvoiceHeld, InvoiceMatched, InvoiceRejected, InvoiceVoided
from services.invoices.domain.invoice import Invoice, InvoiceKind, InvoiceLine, Party
from services.invoices.domain.matching import Allocation, Finding, Match, Reason
from services.invoices.domain.record import (
    BeyondAuthority,
    InvoiceRecord,
    InvoiceStatus,
    NotAcceptable,
    NotHeld,
    RequesterMayNotAccept,
)

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SUPPLIER = Actor(user_id="jinling-admin", role="supplier")
FINANCE = Actor(user_id="fo-1", role="university_finance")


def record() -> InvoiceRecord:
    gloves = InvoiceLine(
        "*劳保用品*丁腈手套", "M", "盒", Decimal(1), Decimal("29.79"), 2_979, Decimal("0.13"), 387
    )
    invoice = Invoice(
        InvoiceKind.DIGITAL,
        "24322000000012345679",
        date(2026, 12, 5),
        Party("南京金陵实验用品有限公司", "91320102JUCCNBB65D"),
        Party("清华大学", "12100000400000624D"),
        (gloves,),
        2_979,
        387,
        3_366,
    )
    return InvoiceRecord(
        invoice, "SUP-004", "tsinghua", (Allocation(1, "O-1", 3),), InvoiceStatus.HELD, "valid"
    )


def held_for(*reasons: Reason) -> InvoiceRecord:
    rec = record()
    rec.variance_minor = 33
    rec.matched_as(
        Match(tuple(Finding(r, "") for r in reasons), {"O-1": 3_333}, 33), NOW, SUPPLIER, "submitted"
    )
    return rec


def test_a_match_covers_its_orders_and_a_mismatch_is_held_with_reasons() -> None:
    rec = record()
    rec.matched_as(Match((), {"O-1": 3_333}), NOW, SUPPLIER, "submitted")
    assert rec.status is InvoiceStatus.MATCHED
    matched = rec.events[-1]
    assert isinstance(matched, InvoiceMatched)
    assert [(c.order_id, c.amount.amount_minor) for c in matched.covers] == [("O-1", 3_333)]
    held = held_for(Reason.PRICE_VARIANCE)
    assert isinstance(held.events[-1], InvoiceHeld)
    assert (held.status, held.reasons) == (InvoiceStatus.HELD, ["price_variance"])


def test_finance_accepts_a_price_variance_within_its_authority() -> None:
    rec = held_for(Reason.PRICE_VARIANCE)
    with pytest.raises(BeyondAuthority):
        rec.accept(FINANCE, "agreed", NOW, authority_minor=32, requesters={"alice"})
    with pytest.raises(RequesterMayNotAccept):
        rec.accept(
            Actor(user_id="alice", role="university_finance"),
            "mine",
            NOW,
            authority_minor=100,
            requesters={"alice"},
        )
    rec.accept(FINANCE, "agreed", NOW, authority_minor=33, requesters={"alice"})
    accepted = rec.events[-1]
    assert isinstance(accepted, InvoiceMatched)
    assert (accepted.accepted_by, accepted.reasons_accepted) == (FINANCE, ["price_variance"])
    with pytest.raises(NotHeld):
        rec.accept(FINANCE, "again", NOW, authority_minor=100, requesters=set())


@pytest.mark.parametrize(
    "reason", [Reason.SELLER_MISMATCH, Reason.BUYER_MISMATCH, Reason.NOT_RECEIVED, Reason.VERIFICATION_FAILED]
)
def test_a_wrong_party_missing_goods_or_an_unverified_invoice_is_never_accepted(reason: Reason) -> None:
    rec = held_for(Reason.PRICE_VARIANCE, reason)
    with pytest.raises(NotAcceptable):
        rec.accept(FINANCE, "agreed", NOW, authority_minor=10**9, requesters=set())
    rec.reject(FINANCE, "wrong seller", NOW)
    rejected = rec.events[-1]
    assert isinstance(rejected, InvoiceRejected) and rejected.reason == "wrong seller"


def test_a_voided_invoice_says_whether_it_was_matched() -> None:
    rec = record()
    rec.matched_as(Match((), {"O-1": 3_333}), NOW, SUPPLIER, "submitted")
    rec.voided("voided", "the tax system reports it voided", NOW)
    voided = rec.events[-1]
    assert isinstance(voided, InvoiceVoided)
    assert (rec.status, voided.was_matched, voided.order_ids) == (InvoiceStatus.VOIDED, True, ["O-1"])

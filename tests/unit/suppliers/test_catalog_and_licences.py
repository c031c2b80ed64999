"""Listings: versions, hazardous goods and licences, documents checked by content."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.suppliers.domain.documents import MAX_DOCUMENT_BYTES, DocumentKind, check_document
from services.suppliers.domain.errors import (
    DocumentRejected,
    DocumentTooLarge,
    DuplicateListing,
    HazardousLicenceRequired,
    InvalidCasNumber,
    NotSelling,
)
from services.suppliers.domain.listing import ListingStatus
from tests.unit.suppliers.builders import (
    PDF,
    TODAY,
    acetone,
    active,
    registered,
    tips,
    with_hazardous_licence,
)


def test_price_changes_make_new_versions_and_identical_changes_none() -> None:
    s = active()
    listing = s.publish("RG-0002", acetone(2800), TODAY, None)
    assert listing.version == 1 and listing.listing_id == "SUP-002:RG-0002"
    assert s.change(listing, acetone(3100), TODAY) is True
    assert s.change(listing, acetone(3100), TODAY) is False
    assert listing.version == 2
    published, changed = s.events
    assert published.event_type == "suppliers.ListingPublished"
    assert (changed.listing_version, changed.price.amount_minor) == (2, 3100)  # type: ignore[attr-defined]
    assert changed.hazardous is True  # type: ignore[attr-defined]


def test_hazardous_goods_need_a_valid_licence() -> None:
    s = active(hazardous=False)
    with pytest.raises(HazardousLicenceRequired):
        s.publish("RG-0002", acetone(), TODAY, None)
    s.publish("CS-0002", tips(), TODAY, None)  # consumables need none


def test_licence_expiry_withdraws_hazardous_listings_and_renewal_restores_the_right() -> None:
    s = active()
    hazardous = s.publish("RG-0002", acetone(), TODAY, None)
    safe = s.publish("CS-0002", tips(), TODAY, None)
    s.events.clear()
    assert s.expire_hazardous_licence(date(2027, 6, 29), [hazardous, safe]) == []  # not yet
    withdrawn = s.expire_hazardous_licence(date(2027, 6, 30), [hazardous, safe])
    assert [w.sku for w in withdrawn] == ["RG-0002"]
    assert (hazardous.status, safe.status) == (ListingStatus.WITHDRAWN, ListingStatus.ACTIVE)
    assert [e.event_type for e in s.events] == ["suppliers.ListingWithdrawn", "suppliers.LicenceExpired"]
    assert s.events[1].withdrawn_listing_ids == ["SUP-002:RG-0002"]  # type: ignore[attr-defined]
    assert s.expire_hazardous_licence(date(2027, 7, 1), [hazardous, safe]) == []  # once only

    later = date(2027, 7, 2)
    with pytest.raises(HazardousLicenceRequired):
        s.publish("RG-0002", acetone(), later, hazardous)
    with_hazardous_licence(s, until=date(2028, 6, 30))
    again = s.publish("RG-0002", acetone(), later, hazardous)
    assert (again.status, again.version) == (ListingStatus.ACTIVE, 2)
    assert s.events[-2].event_type == "suppliers.LicenceRenewed"


def test_listing_rules() -> None:
    s = active()
    with pytest.raises(InvalidCasNumber):
        s.publish("RG-X", replace(acetone(), cas_number="67-64-2"), TODAY, None)
    with pytest.raises(InvalidCasNumber) as caught:
        s.publish("RG-X", replace(acetone(), cas_number=None), TODAY, None)
    assert caught.value.code == "cas_number_required"
    listing = s.publish("RG-0002", acetone(), TODAY, None)
    with pytest.raises(DuplicateListing):
        s.publish("RG-0002", acetone(), TODAY, listing)
    with pytest.raises(NotSelling):
        registered().publish("CS-0002", tips(), TODAY, None)


@pytest.mark.parametrize(
    ("declared", "content", "code"),
    [
        ("application/pdf", b"\x89PNG\r\n\x1a\nrest", "content_type_mismatch"),
        ("application/pdf", b"MZ\x90\x00 an executable", "unsupported_document"),
        ("image/jpeg", b"", "empty_document"),
    ],
)
def test_documents_are_checked_by_their_bytes(declared: str, content: bytes, code: str) -> None:
    with pytest.raises(DocumentRejected) as caught:
        check_document(
            DocumentKind.BUSINESS_LICENCE,
            declared,
            content,
            valid_until=None,
            licence_number=None,
            today=TODAY,
        )
    assert caught.value.code == code


def test_documents_are_capped_and_hazardous_licences_need_a_future_expiry() -> None:
    with pytest.raises(DocumentTooLarge):
        check_document(
            DocumentKind.BUSINESS_LICENCE,
            "application/pdf",
            PDF + b"0" * MAX_DOCUMENT_BYTES,
            valid_until=None,
            licence_number=None,
            today=TODAY,
        )
    with pytest.raises(DocumentRejected) as caught:
        check_document(
            DocumentKind.HAZARDOUS_LICENCE,
            "application/pdf",
            PDF,
            valid_until=TODAY,
            licence_number=None,
            today=TODAY,
        )
    assert caught.value.code == "licence_expired"
    doc = check_document(
        DocumentKind.HAZARDOUS_LICENCE,
        "application/pdf; charset=binary",
        PDF,
        valid_until=TODAY + timedelta(days=1),
        licence_number="L",
        today=TODAY,
    )
    assert doc.content_type == "application/pdf" and len(doc.sha256) == 64

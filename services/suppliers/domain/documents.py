"""Supplier documents: what kinds exist, and checking a file by its content, not its name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from plumbing import documents
from services.suppliers.domain.errors import DocumentRejected, DocumentTooLarge

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

ACCEPTED = frozenset({documents.PDF, documents.PNG, documents.JPEG})


class DocumentKind(StrEnum):
    BUSINESS_LICENCE = "business_licence"
    HAZARDOUS_LICENCE = "hazardous_licence"


@dataclass(frozen=True)
class Document:
    kind: DocumentKind
    content_type: str
    sha256: str
    size: int
    valid_until: date | None
    licence_number: str | None


def check_document(
    kind: DocumentKind,
    declared_type: str,
    content: bytes,
    *,
    valid_until: date | None,
    licence_number: str | None,
    today: date,
) -> Document:
    """A document whose bytes are what they claim; refuses anything else with a clear code."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"documents are limited to {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    if not content:
        raise DocumentRejected("the document is empty", code="empty_document")
    actual = documents.sniff(content)
    if actual not in ACCEPTED:
        raise DocumentRejected("only PDF, PNG and JPEG documents are accepted", code="unsupported_document")
    declared = declared_type.split(";")[0].strip().lower()
    if declared != actual:
        raise DocumentRejected(
            f"the file is {actual}, not {declared}",
            code="content_type_mismatch",
            details={"declared": declared, "actual": actual},
        )
    if kind is DocumentKind.HAZARDOUS_LICENCE:
        if valid_until is None:
            raise DocumentRejected(
                "a hazardous-chemicals licence needs its expiry date", code="expiry_required"
            )
        if valid_until <= today:
            raise DocumentRejected("this licence has already expired", code="licence_expired")
    return Document(
        kind=kind,
        content_type=actual,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        valid_until=valid_until,
        licence_number=licence_number,
    )

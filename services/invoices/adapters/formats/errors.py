"""Why a submitted invoice file is refused, each with a stable code; nothing of it is kept."""

from __future__ import annotations

from plumbing.errors import AppError, RuleViolation

MAX_BYTES = 1_000_000  # a 数电票 XML is some kilobytes; a thousand lines is well under this
MAX_LINES = 2_000


class InvoiceTooLarge(AppError):
    status_code = 413
    code = "invoice_too_large"


class InvoiceXmlRefused(RuleViolation):
    """A DTD, an entity or an external reference: never expanded, never fetched."""

    code = "invoice_xml_refused"


class MalformedInvoice(RuleViolation):
    code = "malformed_invoice"


class InvoiceEncoding(RuleViolation):
    """The bytes are not in the encoding the XML declaration names (or it names none we read)."""

    code = "invalid_invoice_encoding"

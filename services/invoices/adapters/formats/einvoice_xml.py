"""The fully digital invoice (数电票) XML as the national e-invoice service issues it, read safely.

An `<EInvoice>` has a `Header` (`EIid`: the invoice number), `EInvoiceData` with
`SellerInformation` (`SellerIdNum`, `SellerName`), `BuyerInformation` (`BuyerIdNum`,
`BuyerName`), `BasicInformation` (`TotalAmWithoutTax`, `TotalTaxAm`,
`TotalTax-includedAmount`, `RequestTime`), one `IssuItemInformation` per line (`ItemName`,
`SpecMod`, `MeaUnits`, `Quantity`, `UnPrice`, `Amount`, `TaxRate`, `ComTaxAm`), and for a
red-letter invoice `AdditionalInformation/OriginalEInvoiceNumber`; `TaxSupervisionInfo` repeats
the number (`InvoiceNumber`) with the issue time (`IssueTime`).

Parsed with defusedxml and no DTD at all (no entity expansion, nothing fetched), after the size
is checked. The bytes are decoded as the XML declaration says (UTF-8 when it says nothing;
GBK/GB18030 as Chinese systems declare); bytes that are not in that encoding are refused rather
than guessed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from plumbing.xml_paths import find_all, local, text
from services.invoices.adapters.formats.errors import (
    MAX_BYTES,
    MAX_LINES,
    InvoiceEncoding,
    InvoiceTooLarge,
    InvoiceXmlRefused,
    MalformedInvoice,
)
from services.invoices.domain.invoice import Invoice, InvoiceLine, Party, checked, invoice_number

MEDIA_TYPE = "application/xml"
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030"}


def decode(data: bytes) -> str:
    """The document's text without its declaration, decoded as the declaration says."""
    if len(data) > MAX_BYTES:
        raise InvoiceTooLarge(f"an invoice file is at most {MAX_BYTES} bytes, this one is {len(data)}")
    declared = _DECLARATION.match(data)
    name = "utf-8"
    if declared:
        found = _ENCODING.search(declared.group(0))
        if found:
            name = found.group(1).decode().lower()
    encoding = ENCODINGS.get(name)
    if encoding is None:
        raise InvoiceEncoding(f"the XML declares {name!r}: an invoice is UTF-8, GBK or GB18030")
    body = data[declared.end() :] if declared else data
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvoiceEncoding(
            f"the bytes are not {encoding} as the XML declares (at byte {exc.start})"
        ) from exc


def read(data: bytes) -> Invoice:
    text = decode(data)
    try:
        root = fromstring(text.encode(), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvoiceXmlRefused(f"the invoice's XML is refused: {type(exc).__name__}") from exc
    except (ET.ParseError, ValueError) as exc:
        raise MalformedInvoice(f"the invoice is not well-formed XML: {exc}") from exc
    if local(root.tag) != "EInvoice":
        raise MalformedInvoice("a fully digital invoice's XML is an <EInvoice>")
    try:
        return checked(_invoice(root))
    except (InvalidOperation, ValueError) as exc:
        raise MalformedInvoice(f"the invoice: {exc}") from exc


def _invoice(root: ET.Element) -> Invoice:
    number = text(root, "TaxSupervisionInfo/InvoiceNumber") or _required(root, "Header/EIid")
    kind, key = invoice_number(number)
    issued = text(root, "TaxSupervisionInfo/IssueTime") or _required(
        root, "EInvoiceData/BasicInformation/RequestTime"
    )
    items = find_all(root, "EInvoiceData/IssuItemInformation")
    if len(items) > MAX_LINES:
        raise MalformedInvoice(f"an invoice has at most {MAX_LINES} lines")
    basic = "EInvoiceData/BasicInformation/"
    return Invoice(
        kind=kind,
        number=key,
        issued_on=_date(issued),
        seller=Party(
            _required(root, "EInvoiceData/SellerInformation/SellerName"),
            _required(root, "EInvoiceData/SellerInformation/SellerIdNum"),
        ),
        buyer=Party(
            _required(root, "EInvoiceData/BuyerInformation/BuyerName"),
            _required(root, "EInvoiceData/BuyerInformation/BuyerIdNum"),
        ),
        lines=tuple(_line(item) for item in items),
        amount_fen=fen(_required(root, basic + "TotalAmWithoutTax")),
        tax_fen=fen(_required(root, basic + "TotalTaxAm")),
        total_fen=fen(_required(root, basic + "TotalTax-includedAmount")),
        offsets=text(root, "EInvoiceData/AdditionalInformation/OriginalEInvoiceNumber") or None,
        remark=text(root, "EInvoiceData/AdditionalInformation/Remark") or "",
    )


def _line(item: ET.Element) -> InvoiceLine:
    return InvoiceLine(
        name=_required(item, "ItemName"),
        specification=text(item, "SpecMod") or "",
        unit=text(item, "MeaUnits") or "",
        quantity=Decimal(text(item, "Quantity") or "0"),
        unit_price=Decimal(text(item, "UnPrice") or "0"),
        amount_fen=fen(_required(item, "Amount")),
        tax_rate=_rate(_required(item, "TaxRate")),
        tax_fen=fen(text(item, "ComTaxAm") or "0"),
    )


def fen(text: str) -> int:
    """Yuan with at most two decimals, as fen."""
    value = Decimal(text.strip())
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than two decimals")
    return int(value * 100)


def _rate(text: str) -> Decimal:
    """`0.13` or `13%`."""
    text = text.strip()
    return Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)


def _date(text: str) -> date:
    text = text.strip()
    for shape in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(text, shape).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not an issue time")


def _required(node: ET.Element, path: str) -> str:
    value = text(node, path)
    if not value:
        raise ValueError(f"{path} is missing")
    return value

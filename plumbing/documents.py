"""What a document's bytes are, whatever its name or declared type says: a PDF, a PNG, a JPEG,
or an OFD (GB/T 33190, China's fixed-layout format for e-invoices: a ZIP package whose entry
point is `OFD.xml`). Only the ZIP's directory is read, never an entry, so a crafted archive
cannot make this expand anything."""

from __future__ import annotations

import io
import zipfile

PDF, PNG, JPEG, OFD = "application/pdf", "image/png", "image/jpeg", "application/ofd"
_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))


def sniff(content: bytes) -> str | None:
    """The document's type, or None when it is none of these."""
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                return OFD if "OFD.xml" in package.namelist() else None
        except (zipfile.BadZipFile, ValueError):
            return None
    return None

"""A document is what its bytes are: a PDF, a PNG, a JPEG, or an OFD package (a ZIP whose entry
point is OFD.xml); a ZIP without it, or anything else, is none of them."""

from __future__ import annotations

import io
import zipfile

from plumbing.documents import JPEG, OFD, PDF, PNG, sniff


def package(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<ofd:OFD/>")
    return out.getvalue()


def test_each_kind_is_known_by_its_bytes() -> None:
    assert sniff(b"%PDF-1.7\n%%EOF\n") == PDF
    assert sniff(b"\x89PNG\r\n\x1a\n....") == PNG
    assert sniff(b"\xff\xd8\xff\xe0....") == JPEG
    assert sniff(package("OFD.xml", "Doc_0/Document.xml")) == OFD


def test_a_zip_that_is_not_an_ofd_package_or_a_broken_one_is_nothing() -> None:
    assert sniff(package("word/document.xml")) is None
    assert sniff(b"PK\x03\x04 not really a zip") is None
    assert sniff(b"<html>") is None
    assert sniff(b"") is None

"""Finding elements of an already parsed XML document by local name, whatever namespace (or
version of a namespace) it uses: `Stmt/Bal/Amt` finds every `Amt` under every `Bal` under every
`Stmt` child. Bank statements and tax invoices are read this way, so one reader serves every
version of a format."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if local(child.tag) == name)


def find_all(element: ET.Element, path: str) -> list[ET.Element]:
    found = [element]
    for name in path.split("/"):
        found = [child for parent in found for child in children(parent, name)]
    return found


def find(element: ET.Element, path: str) -> ET.Element | None:
    found = find_all(element, path)
    return found[0] if found else None


def text(element: ET.Element, path: str) -> str:
    """The first match's text, stripped ("" when there is none)."""
    found = find(element, path)
    return (found.text or "").strip() if found is not None else ""


def texts(element: ET.Element, path: str) -> list[str]:
    return [(e.text or "").strip() for e in find_all(element, path)]

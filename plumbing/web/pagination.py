"""Opaque cursors for keyset pagination: the last key of a page, base64url-encoded."""

from __future__ import annotations

import base64

from plumbing.errors import AppError


class InvalidCursor(AppError):
    code = "invalid_cursor"


def encode_cursor(last_key: str) -> str:
    return base64.urlsafe_b64encode(last_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str:
    """The key to continue after ("" for the first page); InvalidCursor for anything we did not give out."""
    if not cursor:
        return ""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        raise InvalidCursor("the cursor is not one this API gave out") from exc

"""Text that Postgres can store: no NUL character and no lone UTF-16 surrogate (JSON allows both;
a text column refuses the first, UTF-8 cannot encode the second). Request bodies and request
URLs are checked at the edge, so such input is a 422 `invalid_request`, never a database error.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from plumbing.errors import error_body

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: Any) -> bool:
    """Whether `value` (a string, or lists and dicts of them) holds text Postgres cannot store."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable(v) for v in value)
    return False


def _utf8(raw_path: bytes | None) -> bool:
    """Whether the path as sent decodes as UTF-8: the server has already replaced what does not
    with U+FFFD in `path`, which would make `SUP%FF` look like a name instead of invalid text."""
    try:
        unquote_to_bytes(raw_path or b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class StorableUrl:
    """Refuses a path or query string that decodes to unstorable text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            if (
                unstorable(scope["path"])
                or not _utf8(scope.get("raw_path"))
                or unstorable(unquote(query, errors="surrogateescape"))
            ):
                response = JSONResponse(
                    error_body("invalid_request", "the URL holds a NUL character or invalid text"), 422
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

"""A bound on request bodies, counted as they arrive whether or not a Content-Length is declared.

The body is read up to the limit before the route sees it; past the limit the rest is read and
dropped (so the client, still sending, gets the answer rather than a broken connection) and the
answer is 413 `payload_too_large` in the shared error shape — no route runs, nothing is written.
A body beyond `DRAIN_AT_MOST` is not drained: the connection is closed after the answer.

Routes that take documents or bank statements name a larger limit (`build_service(large_bodies=…)`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plumbing.errors import error_body

DRAIN_AT_MOST = 64 * 1024 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, default: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.larger = [(re.compile(pattern), limit) for pattern, limit in (larger or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > DRAIN_AT_MOST:
            await _too_large(limit, close=True)(scope, receive, send)
            return
        chunks, size, more, disconnected = [], 0, True, False
        while more:
            message = await receive()
            if message["type"] != "http.request":
                disconnected = True
                break
            body = message.get("body", b"")
            size += len(body)
            if size <= limit:
                chunks.append(body)
            more = message.get("more_body", False) and size <= DRAIN_AT_MOST
        if size > limit and not disconnected:
            await _too_large(limit, close=size > DRAIN_AT_MOST)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed and not disconnected:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_large(limit: int, *, close: bool) -> JSONResponse:
    return JSONResponse(
        error_body("payload_too_large", f"the request body is over {limit} bytes", {"limit_bytes": limit}),
        413,
        headers={"Connection": "close"} if close else None,
    )

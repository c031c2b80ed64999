"""A file sent as the request body (a licence, an invoice and its PDF), read up to a limit: refused
as soon as it passes the limit — by its declared length, or while it streams — never buffered
past it, with the caller's own error (its code says what was too large)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from plumbing.errors import AppError


async def read_capped(request: Request, limit: int, too_large: Callable[[], AppError]) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)

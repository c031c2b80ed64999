"""A per-client rate limit on changes: each authenticated client (university and subject, from its
verified token) has a token bucket that refills at `rate` per second up to `burst`. Reads are not
limited; requests without a valid token are not counted (they are refused with 401 anyway).

The buckets live in the process: with several instances of a service, a client's allowance is
per instance — the limit protects each instance, it is not a quota.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from plumbing.errors import AppError, error_body
from plumbing.web.auth import TokenCodec

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.max_clients, self.clock = rate, burst, max_clients, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, client: str) -> float:
        """Spend one token of `client`'s bucket: 0 when admitted, else seconds until one is back."""
        now = self.clock()
        bucket = self._buckets.pop(client, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[client] = bucket  # most recently used last; the oldest are forgotten first
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def client_of(authorization: str, codec: TokenCodec) -> str | None:
    """Who is asking, by their verified token (the `Authorization` header); None without a
    valid one. The codec remembers the verified token, so the route does not verify it again."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal = codec.verify(token.strip())
    except AppError:
        return None
    return f"{principal.tenant_id}/{principal.role.value}/{principal.subject}"


class LimitWrites:
    """ASGI middleware: a client over its allowance of changes gets 429 `rate_limited`."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, codec: TokenCodec) -> None:
        self.app, self.limiter, self.codec = app, limiter, codec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WRITES:
            authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            client = client_of(authorization.decode("latin-1"), self.codec)
            wait = self.limiter.take(client) if client is not None else 0.0
            if wait:
                seconds = max(1, round(wait + 0.5))
                refused = JSONResponse(
                    error_body(
                        "rate_limited",
                        "too many changes from this client; try again shortly",
                        {"retry_after_seconds": seconds},
                    ),
                    429,
                    headers={"Retry-After": str(seconds)},
                )
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

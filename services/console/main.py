"""Composition root of the console: a finance and operations console in the browser, built on
the same skeleton as the services, reading their APIs as the person signed in."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plumbing.clock import Clock
from plumbing.context import BaseContext
from plumbing.ops.status import LagReader
from plumbing.service import build_service, serve
from services.console import events, timers
from services.console.adapters.backend import Backend
from services.console.api import finance, invoices, ops, signin
from services.console.api.deps import PageError, render
from services.console.config import SERVICES, ConsoleSettings
from services.console.context import Context

HERE = Path(__file__).parent


def build(settings: ConsoleSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    async def context(base: BaseContext) -> Context:
        http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=50))
        backend = Backend(http, {s: settings.url(s) for s in SERVICES}, settings.stack.token_codec())
        # small pools: the operations view reads each service's outbox and dead letters
        databases = {s: await asyncpg.create_pool(settings.dsn(s), min_size=0, max_size=2) for s in SERVICES}
        lag = LagReader(settings.kafka("operator"))
        return Context.extending(base, backend=backend, settings=settings, lag=lag, databases=databases)

    app = build_service(
        "console",
        settings,
        context,
        routers=[signin.router, finance.router, invoices.router, ops.router],
        handlers=events.EVENTS,
        timers=timers.timers(),
        migrations=HERE / "migrations",
        clock=clock,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return render(request, "error.html", status=exc.status, error=exc)

    app.add_exception_handler(PageError, page_error)
    app.add_middleware(PageHeaders)
    return app


# Pages load only the console's own scripts and styles, cannot be framed, post only to the
# console, are not kept by caches (they show money), and send no referrer (a sign-in link's
# secret is in its path).
PAGE_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        b"form-action 'self'; base-uri 'none'; object-src 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class PageHeaders:
    """Pure ASGI middleware adding `PAGE_HEADERS` to every answer but the static files' (which
    may be cached) and the API's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith(("/static/", "/v1/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *PAGE_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


def main() -> None:
    settings = ConsoleSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

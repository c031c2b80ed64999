"""Composition root of the console: a finance and operations console in the browser, built on
the same skeleton as the services, reading their APIs as the person signed in."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from plumbing.clock import Clock
from plumbing.context import BaseContext
from plumbing.operations import LagReader
from plumbing.service import build_service, serve
from services.console import events, timers
from services.console.adapters.backend import Backend
from services.console.api import finance, ops, signin
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
        routers=[signin.router, finance.router, ops.router],
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
    return app


def main() -> None:
    settings = ConsoleSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

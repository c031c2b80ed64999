"""Composition root of the refunds service: its settings, context, API, events and timers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from plumbing.clock import Clock
from plumbing.context import BaseContext
from plumbing.service import build_service, serve
from services.refunds import events, timers
from services.refunds.api import cases, sla
from services.refunds.config import RefundsSettings
from services.refunds.context import Context


def build(settings: RefundsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or RefundsSettings()

    def context(base: BaseContext) -> Context:
        return Context.extending(base, deadlines=settings.deadlines())

    return build_service(
        "refunds",
        settings,
        context,
        routers=[sla.router, cases.router],
        handlers=events.EVENTS,
        timers=timers.timers(settings.timer_poll_seconds),
        migrations=Path(__file__).parent / "migrations",
        clock=clock,
    )


def main() -> None:
    settings = RefundsSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

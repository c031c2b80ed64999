"""Composition root of the refunds service: settings, database, consumers, deadlines and the API."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.clock import Clock, SystemClock
from plumbing.delivery import Handler
from plumbing.service import Background, ServiceSpec, create_app, drain_loop, serve
from services.refunds import handlers
from services.refunds.api import cases, guarantee
from services.refunds.config import RefundsSettings

CONSUMES = (Topic.ORDERS_EVENTS, Topic.SETTLEMENT_EVENTS)


def build(settings: RefundsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or RefundsSettings()
    clock = clock or SystemClock()

    async def setup(app: FastAPI) -> Sequence[Background]:
        ctx = handlers.Context(
            pool=app.state.pool, outbox=app.state.outbox, clock=clock, deadlines=settings.deadlines()
        )
        app.state.refunds = ctx

        return [
            drain_loop("deadlines", lambda: handlers.fire_due_deadlines(ctx), settings.timer_poll_seconds)
        ]

    def event_handlers(app: FastAPI) -> dict[str, Handler]:
        return handlers.handlers(app.state.refunds)

    return create_app(
        ServiceSpec(
            name="refunds",
            settings=settings,
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=event_handlers,
            routers=[guarantee.router, cases.router],
            setup=setup,
        )
    )


def main() -> None:
    settings = RefundsSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

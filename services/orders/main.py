"""Composition root of the orders service: settings, database, consumers, deadlines and the API."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.appliers import Applier
from plumbing.clock import Clock, SystemClock
from plumbing.notifications import Changes
from plumbing.service import Background, ServiceSpec, create_app, drain_loop, serve
from services.orders import handlers
from services.orders.api import actions, checkouts, orders
from services.orders.config import OrdersSettings

STATUS_CHANNEL = "order_status"  # notified by the orders table's trigger (migration 005)
CONSUMES = (Topic.SETTLEMENT_EVENTS, Topic.SUPPLIERS_EVENTS, Topic.REFUNDS_EVENTS, Topic.ORDERS_COMMANDS)


def build(settings: OrdersSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or OrdersSettings()
    clock = clock or SystemClock()

    async def setup(app: FastAPI) -> Sequence[Background]:
        ctx = handlers.Context(
            pool=app.state.pool,
            outbox=app.state.outbox,
            clock=clock,
            deadlines=settings.deadlines(),
            status_changes=Changes(settings.database_url, STATUS_CHANNEL),
        )
        app.state.orders = ctx
        return [
            drain_loop("deadlines", lambda: handlers.fire_due_deadlines(ctx), settings.timer_poll_seconds),
            ("status-changes", ctx.status_changes.run),
        ]

    def event_handlers(app: FastAPI) -> Applier:
        return handlers.handlers(app.state.orders)

    return create_app(
        ServiceSpec(
            name="orders",
            settings=settings,
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=event_handlers,
            routers=[checkouts.router, orders.router, actions.router],
            setup=setup,
        )
    )


def main() -> None:
    settings = OrdersSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

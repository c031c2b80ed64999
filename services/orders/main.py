"""Composition root of the orders service: its settings, context, API, events and timers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from plumbing.clock import Clock
from plumbing.context import BaseContext
from plumbing.db.notifications import Changes
from plumbing.service import build_service, serve
from services.orders import events, timers
from services.orders.api import actions, checkouts, delegations, orders, receipts
from services.orders.config import OrdersSettings
from services.orders.context import STATUS_CHANNEL, Context


def build(settings: OrdersSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or OrdersSettings()

    def context(base: BaseContext) -> Context:
        changes = Changes(settings.database_url, STATUS_CHANNEL)
        return Context.extending(base, deadlines=settings.deadlines(), status_changes=changes)

    return build_service(
        "orders",
        settings,
        context,
        routers=[checkouts.router, orders.router, actions.router, receipts.router, delegations.router],
        handlers=events.EVENTS,
        timers=timers.timers(settings.timer_poll_seconds),
        migrations=Path(__file__).parent / "migrations",
        clock=clock,
    )


def main() -> None:
    settings = OrdersSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

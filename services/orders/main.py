"""Composition root of the orders service: settings, database, consumers, relay and the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.service import ServiceSpec, create_app, serve
from services.orders.config import OrdersSettings
from services.orders.handlers import HANDLERS

CONSUMES = (
    Topic.SETTLEMENT_EVENTS,
    Topic.SUPPLIERS_EVENTS,
    Topic.REFUNDS_EVENTS,
    Topic.ORDERS_COMMANDS,
)


def build(settings: OrdersSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="orders",
            settings=settings or OrdersSettings(),
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=HANDLERS,
        )
    )


def main() -> None:
    settings = OrdersSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

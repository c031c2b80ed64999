"""Composition root of the refunds service: settings, database, consumers, relay and the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.service import ServiceSpec, create_app, serve
from services.refunds.config import RefundsSettings
from services.refunds.handlers import HANDLERS

CONSUMES = (Topic.ORDERS_EVENTS, Topic.SETTLEMENT_EVENTS)


def build(settings: RefundsSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="refunds",
            settings=settings or RefundsSettings(),
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=HANDLERS,
        )
    )


def main() -> None:
    settings = RefundsSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

"""Composition root of the settlement service: settings, database, consumers, relay and the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.service import ServiceSpec, create_app, serve
from services.settlement.config import SettlementSettings
from services.settlement.handlers import HANDLERS

CONSUMES = (Topic.ORDERS_EVENTS, Topic.REFUNDS_EVENTS, Topic.SUPPLIERS_EVENTS)


def build(settings: SettlementSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="settlement",
            settings=settings or SettlementSettings(),
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=HANDLERS,
        )
    )


def main() -> None:
    settings = SettlementSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

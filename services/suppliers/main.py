"""Composition root of the suppliers service: settings, database, consumers, relay and the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.service import ServiceSpec, create_app, serve
from services.suppliers.config import SuppliersSettings
from services.suppliers.handlers import HANDLERS

CONSUMES = (Topic.SETTLEMENT_EVENTS,)


def build(settings: SuppliersSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="suppliers",
            settings=settings or SuppliersSettings(),
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=HANDLERS,
        )
    )


def main() -> None:
    settings = SuppliersSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

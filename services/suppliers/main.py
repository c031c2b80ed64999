"""Composition root of the suppliers service: settings, database, bank, scheduled checks, API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.clock import Clock, SystemClock
from plumbing.logs import get_logger
from plumbing.service import Background, ServiceSpec, create_app, serve
from services.suppliers import handlers
from services.suppliers.adapters.bank import BankSimulator
from services.suppliers.api import bank_account, bank_simulator, documents, listings, suppliers
from services.suppliers.config import SuppliersSettings
from services.suppliers.domain.documents import MAX_DOCUMENT_BYTES

CONSUMES: tuple[Topic, ...] = ()  # suppliers reacts to no other service's events (yet)
log = get_logger(__name__)


def build(settings: SuppliersSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SuppliersSettings()
    clock = clock or SystemClock()

    async def setup(app: FastAPI) -> Sequence[Background]:
        bank = BankSimulator(
            app.state.pool,
            failure_rate=settings.bank_simulator_failure_rate,
            latency_seconds=settings.bank_simulator_latency_seconds,
        )
        ctx = handlers.Context(pool=app.state.pool, outbox=app.state.outbox, clock=clock, bank=bank)
        app.state.suppliers = ctx
        app.state.bank_simulator = bank

        async def licence_expiry() -> None:
            while True:
                expired = await handlers.expire_licences(ctx)
                if expired:
                    log.info("hazardous licences expired", suppliers=expired)
                await asyncio.sleep(settings.licence_check_interval_seconds)

        return [("licence-expiry", licence_expiry)]

    return create_app(
        ServiceSpec(
            name="suppliers",
            settings=settings,
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            routers=[
                suppliers.router,
                documents.router,
                bank_account.router,
                listings.router,
                bank_simulator.router,
            ],
            setup=setup,
            # past it the upload's own limit speaks (document_too_large)
            large_bodies={r"^/v1/suppliers/[^/]+/documents/": MAX_DOCUMENT_BYTES + 64 * 1024},
        )
    )


def main() -> None:
    settings = SuppliersSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

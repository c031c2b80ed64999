"""Composition root of the suppliers service: its settings, context (with the bank), API and
timers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from plumbing.clock import Clock
from plumbing.context import BaseContext
from plumbing.service import build_service, serve
from services.suppliers import events, timers
from services.suppliers.adapters.bank import BankSimulator
from services.suppliers.adapters.profiles import ProfileReader
from services.suppliers.api import bank_account, bank_simulator, documents, listings, profile, suppliers
from services.suppliers.config import SuppliersSettings
from services.suppliers.context import Context
from services.suppliers.domain.documents import MAX_DOCUMENT_BYTES


def build(settings: SuppliersSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SuppliersSettings()

    def context(base: BaseContext) -> Context:
        bank = BankSimulator(
            base.pool,
            failure_rate=settings.bank_simulator_failure_rate,
            latency_seconds=settings.bank_simulator_latency_seconds,
        )
        return Context.extending(base, bank=bank, profiles=ProfileReader(settings.profiles_url))

    return build_service(
        "suppliers",
        settings,
        context,
        routers=[
            suppliers.router,
            documents.router,
            bank_account.router,
            listings.router,
            bank_simulator.router,
            profile.router,
        ],
        handlers=events.EVENTS,
        timers=timers.timers(settings.licence_check_interval_seconds),
        migrations=Path(__file__).parent / "migrations",
        clock=clock,
        # past it the upload's own limit speaks (document_too_large)
        large_bodies={r"^/v1/suppliers/[^/]+/documents/": MAX_DOCUMENT_BYTES + 64 * 1024},
    )


def main() -> None:
    settings = SuppliersSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

"""Composition root of the invoices service: its settings, context (with the tax service's
simulator), API, events and timers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from plumbing.clock import Clock
from plumbing.context import BaseContext
from plumbing.service import build_service, serve
from services.invoices import events, timers
from services.invoices.adapters.formats.errors import MAX_BYTES
from services.invoices.adapters.tax_simulator import TaxSimulator
from services.invoices.api import documents, invoices, profile, tax_simulator
from services.invoices.commands.documents import MAX_BYTES as MAX_DOCUMENT_BYTES
from services.invoices.config import InvoicesSettings
from services.invoices.context import Context


def build(settings: InvoicesSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or InvoicesSettings()

    def context(base: BaseContext) -> Context:
        return Context.extending(base, tax=TaxSimulator(base.pool))

    return build_service(
        "invoices",
        settings,
        context,
        routers=[invoices.router, documents.router, profile.router, tax_simulator.router],
        handlers=events.EVENTS,
        timers=timers.timers(settings.recheck_interval_seconds),
        migrations=Path(__file__).parent / "migrations",
        clock=clock,
        # past it the invoice's own limit speaks (invoice_too_large)
        large_bodies={
            r"^/v1/suppliers/[^/]+/invoices$": MAX_BYTES + 64 * 1024,
            r"^/v1/invoices/[^/]+/document$": MAX_DOCUMENT_BYTES + 64 * 1024,
        },
    )


def main() -> None:
    settings = InvoicesSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

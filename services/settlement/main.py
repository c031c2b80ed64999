"""Composition root of the settlement service: settings, ledger database, consumers and the API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from contracts.topics import Topic
from plumbing.audit import Audited
from plumbing.clock import Clock, SystemClock
from plumbing.logs import get_logger
from plumbing.service import Background, ServiceSpec, create_app, serve
from services.settlement import handlers
from services.settlement.adapters.bank import PayoutBankSimulator
from services.settlement.api import escrow, grants, reconciliation, universities
from services.settlement.api import payouts as payouts_api
from services.settlement.commands import guarantee, payouts
from services.settlement.config import SettlementSettings
from services.settlement.context import Context

CONSUMES = (Topic.ORDERS_EVENTS, Topic.REFUNDS_EVENTS, Topic.SUPPLIERS_EVENTS)
log = get_logger(__name__)


SCHEDULER = Audited("payout_run", "scheduler", "system")


def build(settings: SettlementSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SettlementSettings()
    clock = clock or SystemClock()

    async def setup(app: FastAPI) -> Sequence[Background]:
        app.state.settlement = Context(
            pool=app.state.pool, outbox=app.state.outbox, clock=clock, fee_rate_bp=settings.fee_rate_bp
        )
        await guarantee.ensure_fund(app.state.pool, settings.guarantee_fund_capital_minor)
        bank = PayoutBankSimulator(
            app.state.pool,
            failure_rate=settings.bank_simulator_failure_rate,
            closed_accounts=frozenset(settings.bank_simulator_closed_accounts),
        )
        app.state.payout_bank = bank

        async def daily_payouts() -> None:
            while True:
                await asyncio.sleep(settings.payout_interval_hours * 3600)
                today = clock.now().date()
                report = await payouts.run(app.state.settlement, bank, f"daily-{today}", SCHEDULER)
                log.info("payout run", run_id=report.run_id, paid=len(report.paid), skipped=report.skipped)

        return [("payouts", daily_payouts)]

    def event_handlers(app: FastAPI) -> handlers.MoneyPath:
        return handlers.MoneyPath(app.state.settlement)

    return create_app(
        ServiceSpec(
            name="settlement",
            settings=settings,
            migrations=Path(__file__).parent / "migrations",
            consumes=CONSUMES,
            handlers=event_handlers,
            routers=[
                grants.router,
                universities.router,
                escrow.router,
                payouts_api.router,
                reconciliation.router,
            ],
            setup=setup,
            large_bodies={r"^/v1/reconciliation/statements$": reconciliation.MAX_STATEMENT_BYTES + 64 * 1024},
        )
    )


def main() -> None:
    settings = SettlementSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

"""Composition root of the settlement service: its settings, context (with the payout bank and
the guarantee fund), API, events and timers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from plumbing.clock import Clock, OffsetClock
from plumbing.context import BaseContext
from plumbing.service import build_service, serve
from services.settlement import events, timers
from services.settlement.books.adapters.finance_system import FinanceSystemSimulator
from services.settlement.books.api import books, finance_simulator
from services.settlement.config import SettlementSettings
from services.settlement.context import Context, EarlyPaymentTerms, ReconciliationRules
from services.settlement.early_payment.adapters.profile_scores import ProfileScores
from services.settlement.early_payment.api import early_payments
from services.settlement.early_payment.commands import early_payment
from services.settlement.early_payment.domain.terms import bands as early_payment_bands
from services.settlement.grants.api import grants, org_units, universities
from services.settlement.money_path.api import escrow
from services.settlement.money_path.commands import guarantee
from services.settlement.payouts.adapters.bank import PayoutBankSimulator
from services.settlement.payouts.api import payouts
from services.settlement.reconciliation.api import bank_simulator, reconciliation


def build(settings: SettlementSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SettlementSettings()
    if clock is None and settings.clock_offset_days:
        clock = OffsetClock(timedelta(days=settings.clock_offset_days))

    async def context(base: BaseContext) -> Context:
        await guarantee.ensure_fund(base.pool, settings.guarantee_fund_capital_minor)
        await early_payment.ensure_fund(base.pool, settings.early_payment_capital_minor)
        bank = PayoutBankSimulator(
            base.pool,
            failure_rate=settings.bank_simulator_failure_rate,
            closed_accounts=frozenset(settings.bank_simulator_closed_accounts),
            clock=base.clock,
            account=settings.bank_account,
            opening_balance_minor=settings.bank_simulator_opening_balance_minor,
        )
        rules = ReconciliationRules(
            settings.bank_account, settings.reconciliation_window_days, settings.suspense_flag_after_days
        )
        terms = EarlyPaymentTerms(
            settings.early_payment_apr_bp,
            settings.early_payment_limit_minor,
            timedelta(seconds=settings.early_payment_quote_valid_seconds),
            settings.early_payment_max_days,
            early_payment_bands(settings.early_payment_score_bands),
        )
        return Context.extending(
            base,
            fee_rate_bp=settings.fee_rate_bp,
            bank=bank,
            reconciliation=rules,
            early_payment=terms,
            scores=ProfileScores(settings.profiles_url) if terms.bands else None,
            finance_system=FinanceSystemSimulator(base.pool),
        )

    return build_service(
        "settlement",
        settings,
        context,
        routers=[
            grants.router,
            org_units.router,
            universities.router,
            escrow.router,
            payouts.router,
            reconciliation.router,
            bank_simulator.router,
            early_payments.router,
            books.router,
            finance_simulator.router,
        ],
        handlers=events.EVENTS,
        timers=timers.timers(settings.payout_interval_hours, settings.early_payment_sweep_seconds),
        migrations=Path(__file__).parent / "migrations",
        clock=clock,
        large_bodies={r"^/v1/reconciliation/statements$": reconciliation.MAX_STATEMENT_BYTES},
    )


def main() -> None:
    settings = SettlementSettings()
    serve(build(settings), settings)


if __name__ == "__main__":
    main()

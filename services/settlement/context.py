"""What settlement's commands, event handlers and timers share: the context and writing events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from plumbing.context import BaseContext
from plumbing.messaging.outbox import Outbox
from services.settlement.books.adapters.finance_system import FinanceSystem
from services.settlement.early_payment.adapters.profile_scores import ProfileScores
from services.settlement.early_payment.domain.terms import Band
from services.settlement.payouts.adapters.bank import PayoutBank

PRODUCER = "settlement"


@dataclass(frozen=True)
class ReconciliationRules:
    account: str  # the escrow bank account whose statements are reconciled
    window_days: int  # amount-and-date suggestions: how many days apart line and payout may be
    flag_after_days: int  # suspense items older than this are flagged


@dataclass(frozen=True)
class EarlyPaymentTerms:
    apr_bp: int  # the annual rate of an early payment's discount, in basis points
    limit_minor: int  # what one supplier may owe the financing fund at once
    quote_valid: timedelta
    max_days: int  # the longest wait an early payment saves (the longest auto-confirm)
    bands: tuple[Band, ...] = ()  # terms by profile score; none: the terms above for everyone


@dataclass
class Context(BaseContext):
    fee_rate_bp: int  # the platform's fee on released escrow, in basis points
    bank: PayoutBank  # the bank payouts are sent through
    reconciliation: ReconciliationRules
    early_payment: EarlyPaymentTerms = EarlyPaymentTerms(1_200, 2_000_000, timedelta(minutes=15), 30)
    scores: ProfileScores | None = None  # where a supplier's profile score is read, for its band
    finance_system: FinanceSystem | None = None  # each university's finance system vouchers post to


async def emit(
    conn: asyncpg.Connection,
    ctx: Context,
    *,
    aggregate_id: str,
    first_version: int,
    tenant_id: str,
    correlation_id: str,
    events: Sequence[EventPayload],
    causation_id: uuid.UUID | None = None,
) -> None:
    await append_events(
        conn,
        ctx.outbox,
        aggregate_id=aggregate_id,
        first_version=first_version,
        tenant_id=tenant_id,
        correlation_id=correlation_id,
        events=events,
        causation_id=causation_id,
    )


async def append_events(
    conn: asyncpg.Connection,
    outbox: Outbox,
    *,
    aggregate_id: str,
    first_version: int,
    tenant_id: str,
    correlation_id: str,
    events: Sequence[EventPayload],
    causation_id: uuid.UUID | None = None,
) -> None:
    """Settlement's events about one aggregate, numbered from `first_version`, to the outbox."""
    await outbox.append(
        conn,
        Envelope.numbered(
            events,
            producer=PRODUCER,
            aggregate_id=aggregate_id,
            after_version=first_version - 1,
            tenant_id=tenant_id,
            correlation_id=correlation_id,
            causation_ids=causation_id,
        ),
    )

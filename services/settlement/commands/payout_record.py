"""What the bank's answer to a payout records, whether a payout run's or an early payment's: the
payout's status and reference, and `PayoutSettled` or `PayoutFailed` on settlement.events."""

from __future__ import annotations

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.settlement import PayoutFailed, PayoutSettled
from contracts.money import Money
from plumbing.auth import PLATFORM_TENANT
from services.settlement.adapters.bank import BankOutcome
from services.settlement.context import Context, emit


async def record(
    conn: asyncpg.Connection,
    ctx: Context,
    *,
    payout_id: str,
    supplier_id: str,
    amount: int,
    outcome: BankOutcome,
    correlation_id: str,
) -> None:
    await conn.execute(
        """update payouts set status = $2, bank_reference = $3, failure = $4, resolved_at = $5
           where payout_id = $1""",
        payout_id,
        "settled" if outcome.settled else "failed",
        outcome.bank_reference,
        outcome.failure_code,
        ctx.clock.now(),
    )
    event: EventPayload = (
        PayoutSettled(
            payout_id=payout_id,
            supplier_id=supplier_id,
            amount=Money.cny(amount),
            bank_reference=outcome.bank_reference or "",
        )
        if outcome.settled
        else PayoutFailed(
            payout_id=payout_id,
            supplier_id=supplier_id,
            amount=Money.cny(amount),
            reason_code=outcome.failure_code or "bank_failed",
            detail=outcome.detail,
        )
    )
    await emit(
        conn,
        ctx,
        aggregate_id=payout_id,
        first_version=2,
        tenant_id=PLATFORM_TENANT,
        correlation_id=correlation_id,
        events=[event],
    )

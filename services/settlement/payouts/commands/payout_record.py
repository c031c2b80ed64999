"""A payout's record, whether a payout run's or an early payment's: its row and `PayoutInitiated`
when it leaves for the bank, the end-to-end id it carries there, and the bank's answer (its status
and reference, and `PayoutSettled` or `PayoutFailed`) on settlement.events."""

from __future__ import annotations

import hashlib

import asyncpg

from contracts.events.base import EventPayload
from contracts.events.settlement import PayoutFailed, PayoutInitiated, PayoutSettled
from contracts.money import Money
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context, emit
from services.settlement.payouts.adapters.bank import BankOutcome


def end_to_end_id(payout_id: str) -> str:
    """The id a payout carries through the bank and back on its statement (35 characters at most
    in ISO 20022; migration 009 derives the same for earlier payouts)."""
    return "USP" + hashlib.sha256(payout_id.encode()).hexdigest()[:24].upper()


async def started(
    conn: asyncpg.Connection,
    ctx: Context,
    *,
    payout_id: str,
    run_id: str,
    supplier_id: str,
    amount: int,
    payee: asyncpg.Record,
    kind: str,
    correlation_id: str,
) -> None:
    """The payout's row, pending until the bank answers, and `PayoutInitiated`."""
    await conn.execute(
        """insert into payouts (payout_id, run_id, supplier_id, amount, bank_account_id, status,
               created_at, end_to_end_id, kind)
           values ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)""",
        payout_id,
        run_id,
        supplier_id,
        amount,
        payee["bank_account_id"],
        ctx.clock.now(),
        end_to_end_id(payout_id),
        kind,
    )
    await emit(
        conn,
        ctx,
        aggregate_id=payout_id,
        first_version=1,
        tenant_id=PLATFORM_TENANT,
        correlation_id=correlation_id,
        events=[
            PayoutInitiated(
                payout_id=payout_id,
                run_id=run_id,
                supplier_id=supplier_id,
                amount=Money.cny(amount),
                bank_account_id=payee["bank_account_id"],
                account_masked=payee["account_masked"] or "",
            )
        ],
    )


async def answered(
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

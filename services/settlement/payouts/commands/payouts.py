"""Payout runs: each active supplier's posted balance goes to its verified bank account.

A payout is a pending transfer (supplier payable → bank) committed before the bank is asked;
the bank's answer posts it or voids it. Payouts left pending by a crash are asked again at the
next run: the bank answers the same way per reference, so nothing is paid twice."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from contracts.events.settlement import PayoutRunCompleted
from contracts.money import Money
from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context, emit
from services.settlement.early_payment.commands import early_payment
from services.settlement.invoice_cover.commands import gate as invoice_gate
from services.settlement.ledger.adapters.store import load_ledger, load_transfers, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind, transfer_id
from services.settlement.money_path.domain.escrow import recovery
from services.settlement.payouts.adapters import repository as repo
from services.settlement.payouts.commands import payout_record
from services.settlement.reconciliation.commands import reconciliation, suspense


@dataclass
class RunReport:
    run_id: str
    paid: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


async def run(ctx: Context, run_id: str, started_by: Audited) -> RunReport:
    """Pay every active supplier's posted balance; `started_by` is recorded in the audit trail
    (an operator, or the daily scheduler)."""
    report = RunReport(run_id)
    await resume_pending(ctx)
    await early_payment.sweep(ctx)  # releases repay early payments before anything is paid out
    async with ctx.pool.acquire() as conn:
        if not await repo.start_run(conn, run_id, started_by.actor_id):
            return await _report_of(conn, run_id)
        owed = await repo.suppliers_owed(conn)
    for sid in owed:
        payout = await _start(ctx, run_id, sid, report, started_by)
        if payout is not None:
            await _finish(ctx, *payout, report)
    async with ctx.pool.acquire() as conn, conn.transaction():
        total = sum(report.paid.values())
        await repo.run_done(conn, run_id, len(report.paid), total, report.skipped)
        await emit(
            conn,
            ctx,
            aggregate_id=run_id,
            first_version=1,
            tenant_id=PLATFORM_TENANT,
            correlation_id=run_id,
            events=[
                PayoutRunCompleted(
                    run_id=run_id, payouts=len(report.paid), total=Money.cny(total), skipped=report.skipped
                )
            ],
        )
        await audit.record(
            conn,
            started_by,
            tenant_id=PLATFORM_TENANT,
            subject=f"payout_run:{run_id}",
            before=None,
            after={"paid": report.paid, "failed": report.failed, "skipped": report.skipped, "total": total},
        )
    if report.paid:
        await reconciliation.rematch(ctx, f"payout run {run_id} paid")
    return report


async def _start(
    ctx: Context, run_id: str, supplier_id: str, report: RunReport, started_by: Audited
) -> tuple[str, str, int] | None:
    """Reserve the supplier's balance for a payout; None when it is skipped or owes nothing.

    Size: the payee's checks, early payments settled, the recovery, what invoices hold and the
    payout's transfer are one decision under one lock, written once."""
    payout_id = f"{run_id}:{supplier_id}"
    async with ctx.pool.acquire() as conn, conn.transaction():
        payee = await repo.payee(conn, supplier_id)
        if payee is None or not payee["active"] or not payee["account_verified"]:
            report.skipped[supplier_id] = (
                "bank_account_unverified" if payee and payee["active"] else "supplier_not_active"
            )
            return None
        payable = accounts.supplier_payable(supplier_id)
        ledger = await load_ledger(conn, _payout_accounts(supplier_id))
        await early_payment.settle(conn, ctx, ledger, supplier_id)  # a release since the sweep repays first
        available = ledger.available(payable) or 0
        recovering, recovered, _ = recovery(ledger, supplier_id, f"payout:{payout_id}", available)
        invoices = await invoice_gate.gate(conn, ctx, supplier_id)
        amount = available - recovered - invoices.held
        if invoices.overdue or amount <= 0:
            _skipped(report, supplier_id, invoices.why_not())
            return None
        ledger.apply_all(
            [
                *recovering,
                Transfer(
                    transfer_id(f"payout:{payout_id}"),
                    payable,
                    accounts.BANK,
                    amount,
                    TransferKind.PENDING,
                    TransferCode.PAYOUT,
                ),
            ]
        )
        await write_ledger(conn, ledger)
        await invoices.record(conn, payout_id, amount)
        await payout_record.started(
            conn,
            ctx,
            payout_id=payout_id,
            run_id=run_id,
            supplier_id=supplier_id,
            amount=amount,
            payee=payee,
            kind="run",
            correlation_id=run_id,
        )
        await audit.record(
            conn,
            Audited("payout.initiated", started_by.actor_id, started_by.actor_role),
            tenant_id=PLATFORM_TENANT,
            subject=f"supplier:{supplier_id}",
            before={"available_minor": available, "in_payout_minor": 0},
            after={
                "available_minor": available - recovered - amount,  # what invoices still hold
                "in_payout_minor": amount,
                "recovered_minor": recovered,  # owed to the guarantee fund, taken first
                "held_for_invoices_minor": invoices.held,
                "payout_id": payout_id,
                "account": payee["account_masked"],
            },
        )
        return payout_id, payee["bank_account_id"], amount


def _skipped(report: RunReport, supplier_id: str, why: str | None) -> None:
    if why:
        report.skipped[supplier_id] = why


async def _finish(
    ctx: Context,
    payout_id: str,
    bank_account_id: str,
    amount: int,
    report: RunReport | None = None,
) -> None:
    run_id = payout_id.rpartition(":")[0]
    outcome = await ctx.bank.pay(
        reference=payout_id,
        bank_account_id=bank_account_id,
        amount_minor=amount,
        end_to_end_id=payout_record.end_to_end_id(payout_id),
        remittance=f"UniSettle payout {payout_id}",
        batch_id=run_id,
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await repo.pending(conn, payout_id)
        if row is None:
            return
        supplier_id = row["supplier_id"]
        kind = TransferKind.POST_PENDING if outcome.settled else TransferKind.VOID_PENDING
        ledger = await load_ledger(conn, _payout_accounts(supplier_id))
        await load_transfers(conn, ledger, [transfer_id(f"payout:{payout_id}")])
        ledger.apply(
            Transfer(
                transfer_id(f"payout:{payout_id}:{'settle' if outcome.settled else 'fail'}"),
                accounts.supplier_payable(supplier_id),
                accounts.BANK,
                amount,
                kind,
                TransferCode.PAYOUT_SETTLED if outcome.settled else TransferCode.PAYOUT_FAILED,
                pending_id=transfer_id(f"payout:{payout_id}"),
            )
        )
        await write_ledger(conn, ledger)
        await payout_record.answered(
            conn,
            ctx,
            payout_id=payout_id,
            supplier_id=supplier_id,
            amount=amount,
            outcome=outcome,
            correlation_id=row["run_id"],
        )
    if report is not None:
        if outcome.settled:
            report.paid[supplier_id] = amount
        else:
            report.failed[supplier_id] = outcome.failure_code or "bank_failed"


def _payout_accounts(supplier_id: str) -> list[accounts.Opening]:
    """What a payout moves: the supplier's payable and receivable (recovery first), the guarantee
    fund's accounts, and the bank."""
    return [
        accounts.opening_payable(supplier_id),
        accounts.opening_receivable(supplier_id),
        *early_payment.accounts_of(supplier_id),
        *(
            accounts.PLATFORM[a]
            for a in (accounts.GUARANTEE_FUND, accounts.GUARANTEE_ADVANCED, accounts.BANK)
        ),
    ]


async def resume_pending(ctx: Context) -> int:
    """Ask the bank again about payouts and returns a crash left pending."""
    async with ctx.pool.acquire() as conn:
        pending = await repo.pending_of_runs(conn)
    for row in pending:
        await _finish(ctx, row["payout_id"], row["bank_account_id"], row["amount"])
    early = await early_payment.resume_pending(ctx)
    await suspense.resume_returns(ctx)
    if pending or early:
        await reconciliation.rematch(ctx, "payouts left pending were answered")
    return len(pending)


async def _report_of(conn: asyncpg.Connection, run_id: str) -> RunReport:
    rows, skipped = await repo.run_outcome(conn, run_id)
    return RunReport(
        run_id,
        paid={r["supplier_id"]: r["amount"] for r in rows if r["status"] == "settled"},
        failed={r["supplier_id"]: r["failure"] for r in rows if r["status"] == "failed"},
        skipped=skipped,
    )

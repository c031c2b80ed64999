"""Payout runs, payouts, supplier balances and the guarantee fund's exposure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from plumbing.aggregates.audit import Audited
from plumbing.errors import Forbidden, NotFound
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from services.settlement.deps import Ctx
from services.settlement.ledger.domain import accounts
from services.settlement.payouts.commands import payouts

router = APIRouter(tags=["payouts"])
SupplierIdPath = Annotated[str, Path(min_length=1, max_length=200)]
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
OpsOrSupplier = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS, Role.SUPPLIER))]


class RunOut(BaseModel):
    run_id: str
    paid: dict[str, int]
    failed: dict[str, str]
    skipped: dict[str, str]


class PayoutOut(BaseModel):
    payout_id: str
    run_id: str
    supplier_id: str
    amount: int
    status: str
    bank_reference: str | None
    failure: str | None
    created_at: datetime


class BalanceOut(BaseModel):
    supplier_id: str
    available: int
    in_payout: int
    paid_out: int
    receivable: int


class StatementEntryOut(BaseModel):
    transfer_id: str
    at: datetime
    code: str
    order_id: str | None
    credit: int
    debit: int
    pending: bool


class GuaranteeOut(BaseModel):
    capital: int
    advanced_outstanding: int
    can_still_advance: int
    receivables: dict[str, int]


@router.post("/v1/payouts/runs", response_model=RunOut)
async def start_run(ctx: Ctx, ops: Ops) -> RunOut:
    """Pay every active supplier's posted balance to its verified account, now."""
    report = await payouts.run(ctx, f"run-{uuid.uuid4().hex[:12]}", Audited.by(ops, "payout_run"))
    return RunOut(run_id=report.run_id, paid=report.paid, failed=report.failed, skipped=report.skipped)


def _scope(principal: Principal, supplier_id: str | None) -> str | None:
    if principal.role is Role.SUPPLIER:
        if supplier_id not in (None, principal.supplier_id):
            raise Forbidden("a supplier sees only its own payouts", code="not_your_supplier")
        return principal.supplier_id
    return supplier_id


@router.get("/v1/payouts", response_model=list[PayoutOut])
async def list_payouts(ctx: Ctx, principal: OpsOrSupplier, supplier_id: str | None = None) -> list[PayoutOut]:
    supplier_id = _scope(principal, supplier_id)
    async with ctx.pool.acquire() as conn:
        rows = await conn.fetch(
            """select payout_id, run_id, supplier_id, amount, status, bank_reference, failure, created_at
               from payouts where $1::text is null or supplier_id = $1 order by created_at desc limit 500""",
            supplier_id,
        )
    return [PayoutOut(**dict(r)) for r in rows]


async def known_supplier(conn: asyncpg.Connection, supplier_id: str) -> None:
    """Settlement learns every supplier from suppliers.events (or holds its money): any other is
    not found, rather than answered with zeros."""
    known = await conn.fetchval(
        """select exists (select 1 from payees where supplier_id = $1)
               or exists (select 1 from accounts where account_id = $2)""",
        supplier_id,
        accounts.supplier_payable(supplier_id),
    )
    if not known:
        raise NotFound(f"no supplier {supplier_id!r}", code="supplier_not_found")


@router.get("/v1/suppliers/{supplier_id}/balance", response_model=BalanceOut)
async def balance(supplier_id: SupplierIdPath, ctx: Ctx, principal: OpsOrSupplier) -> BalanceOut:
    _scope(principal, supplier_id)
    async with ctx.pool.acquire() as conn:
        await known_supplier(conn, supplier_id)
        payable = await conn.fetchrow(
            "select * from accounts where account_id = $1", accounts.supplier_payable(supplier_id)
        )
        receivable = await conn.fetchval(
            "select debits_posted - credits_posted from accounts where account_id = $1",
            accounts.supplier_receivable(supplier_id),
        )
        paid = await conn.fetchval(
            "select coalesce(sum(amount), 0) from payouts where supplier_id = $1 and status = 'settled'",
            supplier_id,
        )
    if payable is None:
        return BalanceOut(
            supplier_id=supplier_id, available=0, in_payout=0, paid_out=0, receivable=receivable or 0
        )
    return BalanceOut(
        supplier_id=supplier_id,
        available=payable["credits_posted"] - payable["debits_posted"] - payable["debits_pending"],
        in_payout=payable["debits_pending"],
        paid_out=paid,
        receivable=receivable or 0,
    )


@router.get("/v1/suppliers/{supplier_id}/statement", response_model=list[StatementEntryOut])
async def statement(
    supplier_id: SupplierIdPath, ctx: Ctx, principal: OpsOrSupplier
) -> list[StatementEntryOut]:
    """Every movement on the supplier's payable account, newest first: escrow releases, fees,
    refunds, receivable recoveries and payouts (those the bank has not answered yet flagged
    `pending`); the lines add up to the available balance."""
    _scope(principal, supplier_id)
    account = accounts.supplier_payable(supplier_id)
    async with ctx.pool.acquire() as conn:
        await known_supplier(conn, supplier_id)
        rows = await conn.fetch(
            # Posted movements, and payouts still on their way to the bank; a payout the bank
            # answered is its posted line only (or nothing, if voided). So the lines add up to what
            # is available; escrow the supplier does not have yet is not on it.
            """select t.transfer_id::text, t.created_at as at, t.code, t.order_id, t.kind,
                      case when t.credit_account = $1 then t.amount else 0 end as credit,
                      case when t.debit_account = $1 then t.amount else 0 end as debit
               from transfers t left join pending_transfers p using (transfer_id)
               where (t.debit_account = $1 or t.credit_account = $1)
                 and (t.kind in ('posted', 'post_pending')
                      or (t.kind = 'pending' and t.code <> 'escrow' and p.state = 'pending'))
               order by t.seq desc limit 1000""",
            account,
        )
    return [
        StatementEntryOut(
            transfer_id=r["transfer_id"],
            at=r["at"],
            code=r["code"],
            order_id=r["order_id"],
            credit=r["credit"],
            debit=r["debit"],
            pending=r["kind"] == "pending",
        )
        for r in rows
    ]


@router.get("/v1/guarantee", response_model=GuaranteeOut)
async def guarantee(ctx: Ctx, _: Ops) -> GuaranteeOut:
    """The guarantee fund: its capital, what it has advanced, and who owes it."""
    async with ctx.pool.acquire() as conn:
        fund = await conn.fetchrow("select * from accounts where account_id = $1", accounts.GUARANTEE_FUND)
        capital = await conn.fetchval(
            "select coalesce(sum(amount), 0) from transfers where code = 'guarantee_capital'"
        )
        owed = await conn.fetch(
            """select owner_id, debits_posted - credits_posted as owed from accounts
               where kind = 'supplier_receivable' and debits_posted > credits_posted order by owner_id"""
        )
    left = fund["credits_posted"] - fund["debits_posted"] if fund else 0
    receivables = {r["owner_id"]: r["owed"] for r in owed}
    return GuaranteeOut(
        capital=capital,
        advanced_outstanding=sum(receivables.values()),
        can_still_advance=left,
        receivables=receivables,
    )

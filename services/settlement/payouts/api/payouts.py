"""Payout runs, payouts, supplier balances and the guarantee fund's exposure."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from plumbing.aggregates.audit import Audited
from plumbing.errors import Forbidden
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from services.settlement.deps import Ctx
from services.settlement.invoice_cover.commands import gate as invoice_gate
from services.settlement.payouts.adapters import queries
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


class HeldOrderOut(BaseModel):
    order_id: str
    held: int  # fen of the order's released money a payout may not pay yet
    reason: str  # invoice_missing, invoice_variance, invoice_voided, invoice_rejected


class BalanceOut(BaseModel):
    supplier_id: str
    available: int  # all of it, held included
    in_payout: int
    paid_out: int
    receivable: int
    held: int = 0  # of `available`: what the next payout may not pay until invoices match
    held_orders: list[HeldOrderOut] = []
    red_letters_overdue: list[str] = []  # refunds whose red-letter invoice holds every payout


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
    async with ctx.pool.acquire() as conn:
        rows = await queries.payouts(conn, _scope(principal, supplier_id))
    return [PayoutOut(**dict(r)) for r in rows]


@router.get("/v1/suppliers/{supplier_id}/balance", response_model=BalanceOut)
async def balance(supplier_id: SupplierIdPath, ctx: Ctx, principal: OpsOrSupplier) -> BalanceOut:
    _scope(principal, supplier_id)
    async with ctx.pool.acquire() as conn:
        found = await queries.balance(conn, supplier_id)
        invoices = await invoice_gate.gate(conn, ctx, supplier_id)
    held = [
        HeldOrderOut(order_id=o.order_id, held=o.held(ctx.fee_rate_bp), reason=o.reason)
        for o in invoices.orders
        if o.held(ctx.fee_rate_bp) > 0
    ]
    return BalanceOut(
        supplier_id=supplier_id,
        **dataclasses.asdict(found),
        held=sum(h.held for h in held),
        held_orders=held,
        red_letters_overdue=invoices.overdue,
    )


@router.get("/v1/suppliers/{supplier_id}/statement", response_model=list[StatementEntryOut])
async def statement(
    supplier_id: SupplierIdPath, ctx: Ctx, principal: OpsOrSupplier
) -> list[StatementEntryOut]:
    """Every movement on the supplier's payable account, newest first: escrow releases, fees,
    refunds, receivable recoveries and payouts (those the bank has not answered yet flagged
    `pending`); the lines add up to the available balance."""
    _scope(principal, supplier_id)
    async with ctx.pool.acquire() as conn:
        rows = await queries.statement(conn, supplier_id)
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
        fund = await queries.guarantee(conn)
    return GuaranteeOut(
        capital=fund.capital,
        advanced_outstanding=sum(fund.receivables.values()),
        can_still_advance=fund.can_still_advance,
        receivables=fund.receivables,
    )

"""The supplier's bank account and its micro-deposit verification."""

from __future__ import annotations

from fastapi import APIRouter

from services.suppliers.api.deps import Ctx, Ops, SupplierIdPath, SupplierSelf
from services.suppliers.api.schemas import BankAccountIn, DepositAnswerIn, SupplierOut
from services.suppliers.commands import bank_account as commands

router = APIRouter(prefix="/v1/suppliers/{supplier_id}/bank-account", tags=["bank account"])


@router.put("", response_model=SupplierOut)
async def change_bank_account(
    supplier_id: SupplierIdPath, body: BankAccountIn, ctx: Ctx, supplier: SupplierSelf
) -> SupplierOut:
    """Give (or change) the payout account. The holder must be the legal name. A micro-deposit
    of 0.01 to 0.99 CNY is sent; payouts wait until the supplier confirms its amount."""
    return SupplierOut.of(
        await commands.change_bank_account(
            ctx, supplier_id, body.bank_name, body.account_number, body.holder_name, supplier
        )
    )


@router.post("/verification", response_model=SupplierOut)
async def confirm_deposit(
    supplier_id: SupplierIdPath, body: DepositAnswerIn, ctx: Ctx, supplier: SupplierSelf
) -> SupplierOut:
    """Confirm the amount that arrived, within 10 days; three wrong answers lock verification."""
    return SupplierOut.of(await commands.confirm_deposit(ctx, supplier_id, body.amount_minor, supplier))


@router.post("/verification/reset", response_model=SupplierOut)
async def reset_verification(supplier_id: SupplierIdPath, ctx: Ctx, ops: Ops) -> SupplierOut:
    """Operations: unlock verification and send a new micro-deposit."""
    return SupplierOut.of(await commands.reset_verification(ctx, supplier_id, ops))

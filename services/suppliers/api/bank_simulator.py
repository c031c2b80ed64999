"""The bank simulator's statement: what a supplier would see arrive in its account.
Mounted only when the bank adapter is the simulator."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from services.suppliers.adapters import repository as repo
from services.suppliers.adapters.bank import BankSimulator
from services.suppliers.api.deps import Ctx, SelfOrOps, SupplierIdPath
from services.suppliers.domain.errors import SupplierNotFound

router = APIRouter(tags=["bank simulator"])


class StatementLine(BaseModel):
    reference: str
    amount_minor: int
    holder_name: str


@router.get("/v1/bank-simulator/suppliers/{supplier_id}/statement", response_model=list[StatementLine])
async def statement(supplier_id: SupplierIdPath, ctx: Ctx, _: SelfOrOps) -> list[StatementLine]:
    """Credits to the supplier's current bank account, newest first (simulator only)."""
    async with ctx.pool.acquire() as conn:
        supplier = await repo.get(conn, supplier_id)
    if supplier is None or supplier.bank_account is None:
        raise SupplierNotFound(f"no bank account for supplier {supplier_id!r}")
    bank = ctx.bank
    assert isinstance(bank, BankSimulator)  # this router is mounted with the simulator only
    lines = await bank.statement(supplier.bank_account.account_number)
    return [
        StatementLine(reference=x.reference, amount_minor=x.amount_minor, holder_name=x.holder_name)
        for x in lines
    ]

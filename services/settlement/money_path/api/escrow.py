"""An order's escrow and every transfer that moved its money."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from plumbing.errors import NotFound
from plumbing.web.auth import Role
from services.settlement.deps import Ctx, EscrowReader
from services.settlement.grants.adapters import grants_repo
from services.settlement.grants.api.grants import OFFICERS, scope_tree, sees
from services.settlement.money_path.adapters import escrow_queries

router = APIRouter(prefix="/v1/orders", tags=["escrow"])


class TransferOut(BaseModel):
    transfer_id: uuid.UUID
    debit_account: str
    credit_account: str
    amount: int
    kind: str
    code: str
    pending_id: uuid.UUID | None
    created_at: datetime


class EscrowOut(BaseModel):
    order_id: str
    grant_id: str
    supplier_id: str
    amount: int
    by_category: dict[str, int]
    status: str
    reason: str | None
    fee: int
    released: int  # gross released so far, receipt by receipt
    receipts: list[int]  # the receipts released on it
    held: dict[str, int]  # what is still held, by category
    transfers: list[TransferOut]


@router.get("/{order_id}/escrow", response_model=EscrowOut)
async def escrow(order_id: Annotated[str, Path(max_length=200)], ctx: Ctx, reader: EscrowReader) -> EscrowOut:
    async with ctx.pool.acquire() as conn:
        row = await escrow_queries.escrow(conn, order_id)
        transfers = await escrow_queries.transfers(conn, order_id)
        # only a researcher's access depends on the grant (its PI and buyers): load it for them alone
        researcher = row is not None and reader.role is Role.RESEARCHER
        grant = (
            await grants_repo.get(conn, row["tenant_id"], row["grant_id"])
            if row is not None and researcher
            else None
        )
        tree = await scope_tree(conn, reader, reader.tenant_id) if row is not None else None
    visible = row is not None and (
        reader.role is Role.PLATFORM_OPS
        or (reader.role is Role.SUPPLIER and row["supplier_id"] == reader.supplier_id)
        or (
            reader.role in OFFICERS
            and row["tenant_id"] == reader.tenant_id
            and sees(reader, tree, row["grant_id"], ctx.today)
        )
        or (  # a researcher: the grant's PI or one of its buyers
            reader.role is Role.RESEARCHER
            and grant is not None
            and grant.tenant_id == reader.tenant_id
            and reader.subject in (grant.pi_id, *grant.authorised_buyers)
        )
    )
    if row is None or not visible:
        raise NotFound(f"no escrow for order {order_id!r}", code="escrow_not_found")
    return EscrowOut(
        order_id=order_id,
        grant_id=row["grant_id"],
        supplier_id=row["supplier_id"],
        amount=row["amount"],
        by_category=json.loads(row["by_category"]),
        status=row["status"],
        reason=row["reason"],
        fee=row["fee"],
        released=row["released"],
        receipts=list(row["receipts"]),
        held=json.loads(row["held"]),
        transfers=[TransferOut(**dict(t)) for t in transfers],
    )

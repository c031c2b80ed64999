"""Receiving goods by line, undoing a receipt, and each university's receipt rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from plumbing.errors import Forbidden
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles, require_tenant
from plumbing.web.request_bodies import RequestBody
from services.orders.api.deps import Ctx, OrderIdPath
from services.orders.api.schemas import OrderOut
from services.orders.commands import receiving
from services.orders.domain.receipt import ReceiptPolicy

router = APIRouter(tags=["receipts"])

ReceiverRole = Annotated[Principal, Depends(require_roles(Role.RESEARCHER, Role.LAB_MEMBER, Role.RECEIVER))]
FinanceRole = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE))]
MAX_WINDOW_SECONDS = 7 * 24 * 3600


class ReceiptLineIn(RequestBody):
    line_no: Annotated[int, Field(strict=True, ge=1, le=500)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=1_000_000)]


class ReceiptIn(RequestBody):
    lines: Annotated[list[ReceiptLineIn] | None, Field(max_length=500)] = None  # None: all outstanding


class ReceiptPolicyIn(RequestBody):
    receiver_must_differ: bool = False
    undo_window_seconds: Annotated[int, Field(strict=True, ge=0, le=MAX_WINDOW_SECONDS)] = 0


class ReceiptPolicyOut(BaseModel):
    tenant_id: str
    receiver_must_differ: bool
    undo_window_seconds: int


@router.post("/v1/orders/{order_id}/receipts", response_model=OrderOut, status_code=201)
async def receive(order_id: OrderIdPath, body: ReceiptIn, ctx: Ctx, receiver: ReceiverRole) -> OrderOut:
    """Record what arrived, line by line (`line_no` counts the order's lines from 1; no lines:
    everything outstanding). The requester, the grant's PI and lab members, and designated
    receivers (`receiver`, within their unit) may receive; a university may require that the
    receiver is not the requester (403 `receiver_is_requester`). More than is outstanding is 409
    `quantity_exceeds_outstanding`. The receipt is final when the university's undo window
    closes (at once without one); then settlement releases the escrow of its lines."""
    asked: dict[int, int] | None = None
    if body.lines is not None:
        asked = {}
        for line in body.lines:
            asked[line.line_no] = asked.get(line.line_no, 0) + line.quantity
    order = await receiving.receive(ctx, order_id, receiver, asked)
    return OrderOut.of(order)


@router.post("/v1/orders/{order_id}/receipts/{receipt_no}/undo", response_model=OrderOut)
async def undo(
    order_id: OrderIdPath,
    receipt_no: Annotated[int, Path(ge=1, le=10_000)],
    ctx: Ctx,
    receiver: ReceiverRole,
) -> OrderOut:
    """Take back a receipt you recorded while its undo window is open (409 `receipt_final`
    after: escrow is released on it)."""
    return OrderOut.of(await receiving.undo(ctx, order_id, receiver, receipt_no))


@router.get("/v1/universities/{tenant_id}/receipt-policy", response_model=ReceiptPolicyOut)
async def get_policy(tenant_id: str, ctx: Ctx, finance: FinanceRole) -> ReceiptPolicyOut:
    require_tenant(finance, tenant_id)
    policy = await receiving.policy(ctx, tenant_id)
    return ReceiptPolicyOut(tenant_id=tenant_id, **policy.view())


@router.put("/v1/universities/{tenant_id}/receipt-policy", response_model=ReceiptPolicyOut)
async def put_policy(
    tenant_id: str, body: ReceiptPolicyIn, ctx: Ctx, finance: FinanceRole
) -> ReceiptPolicyOut:
    """The university's receipt rules (audited): whether the receiver must not be the requester,
    and how long a receiver may undo a receipt (0 to 7 days; 0: final at once)."""
    require_tenant(finance, tenant_id)
    if finance.org_unit_id is not None:
        raise Forbidden("the receipt rules are the whole university's", code="outside_scope")
    policy = ReceiptPolicy.of(body.receiver_must_differ, body.undo_window_seconds)
    await receiving.set_policy(ctx, finance, tenant_id, policy)
    return ReceiptPolicyOut(tenant_id=tenant_id, **policy.view())

"""Registration, review and the supplier record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from plumbing.web.auth import Role
from plumbing.web.pagination import decode_cursor, encode_cursor
from plumbing.web.request_bodies import ReasonIn
from services.suppliers.adapters import queries
from services.suppliers.adapters import repository as repo
from services.suppliers.api.deps import (
    Ctx,
    ListReader,
    Ops,
    SupplierIdPath,
    SupplierReader,
    SupplierRole,
    SupplierSelf,
)
from services.suppliers.api.schemas import RegistrationIn, SupplierOut, SupplierPage
from services.suppliers.commands import suppliers as commands
from services.suppliers.domain.errors import SupplierNotFound
from services.suppliers.domain.supplier import SupplierState

router = APIRouter(prefix="/v1/suppliers", tags=["suppliers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SupplierOut)
async def register(
    body: RegistrationIn, ctx: Ctx, principal: SupplierRole, response: Response
) -> SupplierOut:
    """Self-service registration. The supplier id is the one in the caller's token; sending the
    same registration again returns 200 with the record unchanged."""
    assert principal.supplier_id is not None
    supplier, created = await commands.register(
        ctx, principal.supplier_id, body.legal_name, body.credit_code, body.contact, body.categories
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return SupplierOut.of(supplier)


@router.get("", response_model=SupplierPage)
async def list_suppliers(
    ctx: Ctx,
    principal: ListReader,
    state: SupplierState | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="part of the legal name, or a credit code")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> SupplierPage:
    """Operations see every supplier; integrations only ACTIVE ones; a supplier only itself."""
    if principal.role is Role.INTEGRATION:
        state = SupplierState.ACTIVE
    async with ctx.pool.acquire() as conn:
        if principal.role is Role.SUPPLIER:
            ids = [principal.supplier_id] if principal.supplier_id else []
        else:
            ids = await queries.supplier_ids(
                conn,
                state=state.value if state else None,
                name_contains=q,
                after=decode_cursor(cursor),
                limit=limit + 1,
            )
        suppliers = [s for s in [await repo.get(conn, i) for i in ids[:limit]] if s is not None]
    next_cursor = encode_cursor(ids[limit - 1]) if len(ids) > limit else None
    return SupplierPage(items=[SupplierOut.of(s) for s in suppliers], next_cursor=next_cursor)


@router.get("/{supplier_id}", response_model=SupplierOut)
async def get_supplier(supplier_id: SupplierIdPath, ctx: Ctx, principal: SupplierReader) -> SupplierOut:
    async with ctx.pool.acquire() as conn:
        supplier = await repo.get(conn, supplier_id)
    if supplier is None or (
        principal.role is Role.INTEGRATION and supplier.state is not SupplierState.ACTIVE
    ):
        raise SupplierNotFound(f"no supplier {supplier_id!r}")
    return SupplierOut.of(supplier)


@router.post("/{supplier_id}/submit", response_model=SupplierOut)
async def submit_for_review(supplier_id: SupplierIdPath, ctx: Ctx, _: SupplierSelf) -> SupplierOut:
    """Ask operations to review the registration (again, after a rejection)."""
    return SupplierOut.of(await commands.submit_for_review(ctx, supplier_id))


@router.post("/{supplier_id}/approve", response_model=SupplierOut)
async def approve(supplier_id: SupplierIdPath, ctx: Ctx, ops: Ops) -> SupplierOut:
    return SupplierOut.of(await commands.approve(ctx, supplier_id, ops))


@router.post("/{supplier_id}/reject", response_model=SupplierOut)
async def reject(supplier_id: SupplierIdPath, body: ReasonIn, ctx: Ctx, ops: Ops) -> SupplierOut:
    return SupplierOut.of(await commands.reject(ctx, supplier_id, ops, body.reason))


@router.post("/{supplier_id}/suspend", response_model=SupplierOut)
async def suspend(supplier_id: SupplierIdPath, body: ReasonIn, ctx: Ctx, ops: Ops) -> SupplierOut:
    return SupplierOut.of(await commands.suspend(ctx, supplier_id, ops, body.reason))


@router.post("/{supplier_id}/reinstate", response_model=SupplierOut)
async def reinstate(supplier_id: SupplierIdPath, body: ReasonIn, ctx: Ctx, ops: Ops) -> SupplierOut:
    return SupplierOut.of(await commands.reinstate(ctx, supplier_id, ops, body.reason))

"""Early payment for suppliers (账期融资): a quote for orders whose escrow is held or released and
not yet paid out, its acceptance (paid at once through the bank), the supplier's early payments,
and the financing fund as the bank's account managers see it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from plumbing.aggregates.audit import Audited
from plumbing.errors import Forbidden
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from plumbing.web.request_bodies import RequestBody
from services.settlement.deps import Ctx
from services.settlement.early_payment.adapters import repository as repo
from services.settlement.early_payment.commands import early_payment
from services.settlement.early_payment.domain import acceptance
from services.settlement.ledger.domain import accounts
from services.settlement.payouts.adapters.queries import known_supplier

router = APIRouter(tags=["early payment"])
SupplierIdPath = Annotated[str, Path(min_length=1, max_length=200)]
QuotePath = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^EQ-[0-9a-f]+$")]
Supplier = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
OpsOrSupplier = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS, Role.SUPPLIER))]
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
OrderId = Annotated[str, Field(min_length=1, max_length=200)]


def _own(principal: Principal, supplier_id: str) -> None:
    if principal.role is Role.SUPPLIER and principal.supplier_id != supplier_id:
        raise Forbidden("a supplier finances only its own orders", code="not_your_supplier")


class QuoteIn(RequestBody):
    order_ids: list[OrderId] = Field(min_length=1, max_length=acceptance.MAX_ORDERS)


@router.post("/v1/suppliers/{supplier_id}/early-payment/quotes", status_code=201)
async def quote(supplier_id: SupplierIdPath, body: QuoteIn, ctx: Ctx, principal: Supplier) -> dict[str, Any]:
    """What paying these orders now would cost: per order its face (what the release credits),
    days early, discount (face * APR * days / 365, rounded half up) and advance; valid until
    `valid_until`. Refused whole, with every order's reason, if any order is not eligible
    (`order_not_shipped`, `refund_open`, `already_financed`, `already_paid_out`, …) or the
    supplier's limit would be passed (`financing_limit_exceeded`). Nothing moves."""
    _own(principal, supplier_id)
    return await early_payment.quote(ctx, ctx.early_payment, supplier_id, body.order_ids)


@router.post("/v1/suppliers/{supplier_id}/early-payment/quotes/{quote_id}/accept")
async def accept(
    supplier_id: SupplierIdPath, quote_id: QuotePath, ctx: Ctx, principal: Supplier
) -> dict[str, Any]:
    """Take the quote: the financing fund pays the advance now through the bank; the orders'
    releases repay it. Accepting again answers the same; an expired quote is `quote_expired`."""
    _own(principal, supplier_id)
    by = Audited.by(principal, "early_payment.accepted")
    return await early_payment.accept(ctx, ctx.early_payment, supplier_id, quote_id, by)


@router.get("/v1/suppliers/{supplier_id}/early-payment/quotes/{quote_id}")
async def quote_of(
    supplier_id: SupplierIdPath, quote_id: QuotePath, ctx: Ctx, principal: OpsOrSupplier
) -> dict[str, Any]:
    _own(principal, supplier_id)
    return await early_payment.quote_view(ctx, supplier_id, quote_id)


@router.get("/v1/suppliers/{supplier_id}/early-payments")
async def early_payments(supplier_id: SupplierIdPath, ctx: Ctx, principal: OpsOrSupplier) -> dict[str, Any]:
    """The supplier's early payments, what it owes the fund now, and its limit."""
    _own(principal, supplier_id)
    async with ctx.pool.acquire() as conn:
        await known_supplier(conn, supplier_id)
    offered = await early_payment.terms_of(ctx, ctx.early_payment, supplier_id)
    async with ctx.pool.acquire() as conn:
        rows = await repo.early_payments_of(conn, supplier_id)
        owed = await repo.debt(
            conn,
            supplier_id,
            [accounts.supplier_financed(supplier_id), accounts.supplier_financing_receivable(supplier_id)],
        )
    return {
        "supplier_id": supplier_id,
        "owed_minor": owed["financed"] + owed["receivable"],
        "advances_owed_minor": owed["financed"],
        "receivable_minor": owed["receivable"],
        "limit_minor": offered.limit_minor,
        "apr_bp": offered.apr_bp,
        "score": offered.score,
        "early_payments": [
            {
                "order_id": r["order_id"],
                "quote_id": r["quote_id"],
                "face_minor": r["face"],
                "discount_minor": r["discount"],
                "advance_minor": r["advance"],
                "days": r["days"],
                "status": r["status"],
                "repaid_minor": r["repaid"],
                "created_at": r["created_at"].isoformat(),
            }
            for r in rows
        ],
    }


@router.get("/v1/financing")
async def fund(ctx: Ctx, _: Ops) -> dict[str, Any]:
    """The financing fund for the bank's account managers: capital, what it has out, its income,
    and each supplier that owes it something, against the limit."""
    async with ctx.pool.acquire() as conn:
        platform = await repo.fund_accounts(conn)
        capital = await repo.fund_capital(conn)
        suppliers = await repo.debtors(conn)

    def net(account_id: str, *, credit: bool) -> int:
        a = platform.get(account_id)
        if a is None:
            return 0
        return int(
            a["credits_posted"] - a["debits_posted"] if credit else a["debits_posted"] - a["credits_posted"]
        )

    return {
        "capital_minor": capital,
        "available_minor": net(accounts.FINANCING_FUND, credit=True),
        "advanced_minor": -net(accounts.FINANCING_ADVANCED, credit=False),
        "income_minor": net(accounts.FINANCING_INCOME, credit=True),
        "apr_bp": ctx.early_payment.apr_bp,
        "limit_minor": ctx.early_payment.limit_minor,
        "suppliers": [
            {
                "supplier_id": r["owner_id"],
                "owed_minor": (r["financed"] or 0) + (r["receivable"] or 0),
                "receivable_minor": r["receivable"] or 0,
            }
            for r in suppliers
        ],
    }

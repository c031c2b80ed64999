"""What the invoices API reads: lists of invoices and red-letter invoices, an invoice's
timeline, and an order's invoice state."""

from __future__ import annotations

import json

import asyncpg

from plumbing.errors import NotFound
from plumbing.web.auth import Principal, Role
from services.invoices.adapters.repository import record_of
from services.invoices.api.schemas import OrderInvoicesOut, RedLetterOut
from services.invoices.domain.access import may_see
from services.invoices.domain.record import InvoiceRecord

LIMIT = 500


async def known_supplier(conn: asyncpg.Connection, supplier_id: str) -> None:
    """Invoices learns every supplier from suppliers.events: any other is not found."""
    if not await conn.fetchval("select 1 from suppliers_view where supplier_id = $1", supplier_id):
        raise NotFound(f"no supplier {supplier_id!r}", code="supplier_not_found")


async def invoices(
    conn: asyncpg.Connection,
    *,
    supplier_id: str | None = None,
    tenant_id: str | None = None,
    status: str | None = None,
) -> list[InvoiceRecord]:
    rows = await conn.fetch(
        """select * from invoices where ($1::text is null or supplier_id = $1)
               and ($2::text is null or tenant_id = $2) and ($3::text is null or status = $3)
           order by submitted_at desc, invoice_id desc limit $4""",
        supplier_id,
        tenant_id,
        status,
        LIMIT,
    )
    return [record_of(r) for r in rows]


async def red_letters(
    conn: asyncpg.Connection,
    *,
    supplier_id: str | None = None,
    tenant_id: str | None = None,
    open_only: bool = False,
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """select * from red_letters where ($1::text is null or supplier_id = $1)
                   and ($2::text is null or tenant_id = $2) and (not $3 or red_letter_id is null)
               order by owed_since, refund_id limit $4""",
            supplier_id,
            tenant_id,
            open_only,
            LIMIT,
        )
    )


async def steps(conn: asyncpg.Connection, invoice_id: str) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """select at, action, actor_id, actor_role, status, reason from invoice_steps
               where invoice_id = $1 order by seq""",
            invoice_id,
        )
    )


def _may_see_order(principal: Principal, order: asyncpg.Record) -> bool:
    if principal.role in (Role.RESEARCHER, Role.LAB_MEMBER):
        return principal.tenant_id == order["tenant_id"] and (
            principal.subject == order["buyer_id"] or order["grant_id"] in principal.grant_ids
        )
    return may_see(principal, order["tenant_id"], order["supplier_id"])


async def order_invoices(
    conn: asyncpg.Connection, principal: Principal, order_id: str
) -> OrderInvoicesOut | None:
    """The order's invoice state, or None when there is no such order `principal` may see."""
    order = await conn.fetchrow("select * from orders_view where order_id = $1", order_id)
    if order is None or not _may_see_order(principal, order):
        return None
    rows = await conn.fetch(
        """select invoice_id, status, reasons, total_minor, (covers ->> $1)::bigint as covered
           from invoices where $1 = any(order_ids) order by submitted_at, invoice_id""",
        order_id,
    )
    owed = await conn.fetch("select * from red_letters where order_id = $1 order by owed_since", order_id)
    ordered = sum(x["quantity"] * x["unit_price_minor"] for x in json.loads(order["lines"]))
    invoiced = sum(r["covered"] or 0 for r in rows if r["status"] in ("matched", "red_letter"))
    if any(r["red_letter_id"] is None for r in owed):
        state = "red_letter_owed"
    elif any(r["status"] == "held" for r in rows):
        state = "held"
    elif invoiced <= 0:
        state = "not_invoiced"
    elif invoiced + sum(r["amount_minor"] for r in owed) < ordered:
        state = "partly_invoiced"
    else:
        state = "invoiced"
    return OrderInvoicesOut(
        order_id=order_id,
        state=state,
        ordered_minor=ordered,
        invoiced_minor=invoiced,
        invoices=[
            {
                "invoice_id": r["invoice_id"],
                "status": r["status"],
                "reasons": list(r["reasons"]),
                "total_minor": r["total_minor"],
                "covers_minor": r["covered"] or 0,
            }
            for r in rows
        ],
        red_letters=[RedLetterOut.of(r) for r in owed],
    )

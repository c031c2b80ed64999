"""Red-letter invoices (红字发票): a refund on an invoiced order reaches the grant at once (the
guarantee), and the supplier then owes a red-letter invoice offsetting the refunded amount. The
debt is recorded when settlement reports the refund paid, shown to finance and the supplier, and
cleared when the supplier submits a red-letter invoice for that amount against the invoice."""

from __future__ import annotations

import asyncpg

from contracts.events.invoices import RedLetterOwed, RedLetterReceived
from contracts.events.settlement import RefundSettled
from contracts.money import Money
from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import NotFound, RuleViolation
from plumbing.web.auth import Principal, Role
from services.invoices.adapters import repository as repo
from services.invoices.context import Context
from services.invoices.domain.invoice import Invoice
from services.invoices.domain.record import InvoiceRecord, InvoiceStatus, Step, already_used


class RedLetterNotOwed(RuleViolation):
    code = "red_letter_not_owed"


class RedLetterUnverified(RuleViolation):
    code = "verification_failed"


async def owed_on_refund(conn: asyncpg.Connection, ctx: Context, settled: RefundSettled) -> None:
    """A refund paid on an order a matched invoice covers: a red-letter invoice is owed for it
    (up to what the order's invoices cover; a replay changes nothing)."""
    order = await conn.fetchrow("select tenant_id from orders_view where order_id = $1", settled.order_id)
    if order is None:
        return
    invoiced = await conn.fetch(
        """select invoice_id, (covers ->> $1)::bigint as covered from invoices
           where $1 = any(order_ids) and status = 'matched' order by invoice_id desc""",
        settled.order_id,
    )
    covered = sum(r["covered"] or 0 for r in invoiced)
    already = await conn.fetchval(
        """select coalesce(sum(amount_minor), 0)::bigint from red_letters
           where order_id = $1 and refund_id <> $2""",
        settled.order_id,
        settled.refund_id,
    )
    amount = min(settled.amount.amount_minor, covered - already)
    if amount <= 0:
        return  # not invoiced: the invoice still to come bills what was kept
    since = ctx.clock.now()
    inserted = await conn.fetchval(
        """insert into red_letters (refund_id, order_id, supplier_id, tenant_id, invoice_id,
               amount_minor, owed_since) values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (refund_id) do nothing returning refund_id""",
        settled.refund_id,
        settled.order_id,
        settled.supplier_id,
        order["tenant_id"],
        invoiced[0]["invoice_id"],
        amount,
        since,
    )
    if inserted is None:
        return
    await repo.emit(
        conn,
        ctx.outbox,
        RedLetterOwed(
            refund_id=settled.refund_id,
            order_id=settled.order_id,
            supplier_id=settled.supplier_id,
            amount=Money.cny(amount),
            invoice_id=invoiced[0]["invoice_id"],
            owed_since=since,
        ),
        aggregate_id=f"red-letter:{settled.refund_id}",
        tenant_id=order["tenant_id"],
    )
    await audit.record(
        conn,
        Audited.by_deadline("red_letter.owed", f"refund {settled.refund_id} on an invoiced order"),
        tenant_id=order["tenant_id"],
        subject=f"refund:{settled.refund_id}",
        before=None,
        after={"order_id": settled.order_id, "invoice_id": invoiced[0]["invoice_id"], "amount_minor": amount},
    )


async def submit(ctx: Context, by: Principal, supplier_id: str, red: Invoice) -> InvoiceRecord:
    """The supplier's red-letter invoice against one of its invoices: verified with the tax
    service, it clears the debt of the same amount on an order that invoice covers."""
    assert red.offsets is not None
    async with ctx.pool.acquire() as conn:
        original = await repo.get(conn, red.offsets)
        outside = by.role is Role.INTEGRATION and original is not None and original.tenant_id != by.tenant_id
        if original is None or original.supplier_id != supplier_id or outside:
            raise NotFound(f"no invoice {red.offsets} of this supplier", code="invoice_not_found")
        if await repo.exists(conn, red.number):
            raise already_used(red.number)
    verification = await ctx.tax.verify(red)
    if not verification.valid:
        raise RedLetterUnverified(
            f"the tax service: {verification.detail}", details={"status": verification.status.value}
        )
    async with ctx.pool.acquire() as conn, conn.transaction():
        debt = await _debt(conn, original.invoice_id, -red.total_fen)
        now = ctx.clock.now()
        rec = InvoiceRecord(
            invoice=red,
            supplier_id=supplier_id,
            tenant_id=original.tenant_id,
            allocations=(),
            status=InvoiceStatus.RED_LETTER,
            verification=verification.status.value,
            covers={debt["order_id"]: red.total_fen},
        )
        rec.steps.append(
            Step(now, "red_letter_submitted", by.actor, rec.status, f"refund {debt['refund_id']}")
        )
        await repo.save(conn, rec, ctx.outbox, new=True, submitted=(now, by.subject))
        await conn.execute(
            "update red_letters set red_letter_id = $2, received_at = $3 where refund_id = $1",
            debt["refund_id"],
            red.number,
            now,
        )
        await repo.emit(
            conn,
            ctx.outbox,
            RedLetterReceived(
                refund_id=debt["refund_id"],
                order_id=debt["order_id"],
                supplier_id=supplier_id,
                amount=Money.cny(debt["amount_minor"]),
                red_letter_id=red.number,
                invoice_id=original.invoice_id,
            ),
            aggregate_id=f"red-letter:{debt['refund_id']}",
            tenant_id=original.tenant_id,
            version=2,
        )
        await audit.record(
            conn,
            Audited.by(by, "red_letter.received"),
            tenant_id=original.tenant_id,
            subject=f"refund:{debt['refund_id']}",
            before={"owed_minor": debt["amount_minor"]},
            after={"owed_minor": 0, "red_letter_id": red.number},
        )
    return rec


async def _debt(conn: asyncpg.Connection, invoice_id: str, amount: int) -> asyncpg.Record:
    """The oldest open red-letter debt of `amount` against the invoice, locked; else refused."""
    owed = await conn.fetch(
        """select * from red_letters where invoice_id = $1 and red_letter_id is null
           order by owed_since, refund_id for update""",
        invoice_id,
    )
    debt = next((r for r in owed if r["amount_minor"] == amount), None)
    if debt is None:
        raise RedLetterNotOwed(
            f"no red-letter invoice of {amount} fen is owed against {invoice_id}",
            details={"owed_minor": [r["amount_minor"] for r in owed]},
        )
    return debt


async def offset_in_full(conn: asyncpg.Connection, rec: InvoiceRecord) -> bool:
    """Whether the red-letter invoices taken against `rec` offset its whole total."""
    taken = await conn.fetchval(
        """select coalesce(sum(amount_minor), 0)::bigint from red_letters
           where invoice_id = $1 and red_letter_id is not null""",
        rec.invoice_id,
    )
    return bool(taken >= rec.invoice.total_fen)

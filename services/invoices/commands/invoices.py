"""Invoices from submission to payment's gate: a supplier submits one (verified with the tax
service, then matched three ways under the orders' lock), finance accepts a variance or rejects
it, a receipt matches the held invoices that waited for it, and the tax service's later word
(voided, offset) un-matches one. Each step is one transaction: the invoice, its timeline, its
events and an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from contracts.events.invoices import InvoiceSubmitted
from contracts.money import Money
from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import Conflict, NotFound, RuleViolation
from plumbing.web.auth import Principal, Role
from services.invoices.adapters import profiles
from services.invoices.adapters import repository as repo
from services.invoices.adapters.profiles import Profile
from services.invoices.commands import red_letters
from services.invoices.context import Context
from services.invoices.domain.access import may_see
from services.invoices.domain.invoice import Invoice
from services.invoices.domain.matching import Allocation, OrderedLine, Parties, Reason, match
from services.invoices.domain.record import SYSTEM, InvoiceRecord, InvoiceStatus, already_used
from services.invoices.domain.verification import Status

# A held invoice whose only reasons are these may match once more goods are received.
WAITS_FOR_GOODS = frozenset({Reason.NOT_RECEIVED.value, Reason.QUANTITY_VARIANCE.value})


class InvoicingNotSetUp(Conflict):
    code = "invoicing_not_set_up"


class AllocationMismatch(RuleViolation):
    code = "allocation_mismatch"


class SeveralUniversities(RuleViolation):
    code = "orders_of_several_universities"


class NotInvoiceable(Conflict):
    code = "order_not_invoiceable"


async def submit(
    ctx: Context, by: Principal, supplier_id: str, invoice: Invoice, allocations: Sequence[Allocation]
) -> InvoiceRecord:
    """Verify `invoice` with the tax service and match it against the order lines `allocations`
    name (one per invoice line, in order)."""
    if len(allocations) != len(invoice.lines):
        raise AllocationMismatch(
            f"the invoice has {len(invoice.lines)} lines; {len(allocations)} order lines are named",
            details={"invoice_lines": len(invoice.lines), "allocations": len(allocations)},
        )
    async with ctx.pool.acquire() as conn:
        if await repo.exists(conn, invoice.number):
            raise already_used(invoice.number)
    verification = await ctx.tax.verify(invoice)  # outside any transaction: the tax service is remote
    async with ctx.pool.acquire() as conn, conn.transaction():
        profile, ordered = await _billed(conn, supplier_id, allocations, _university_of(by))
        seller = await repo.supplier_tax_id(conn, supplier_id) or ""
        result = match(
            invoice,
            allocations,
            ordered,
            Parties(profile.buyer_tax_id, seller),
            profile.tolerance,
            verification.valid,
        )
        rec = InvoiceRecord(
            invoice=invoice,
            supplier_id=supplier_id,
            tenant_id=profile.tenant_id,
            allocations=tuple(allocations),
            status=InvoiceStatus.HELD,
            verification=verification.status.value,
            variance_minor=result.variance_fen,
        )
        rec.events.append(
            InvoiceSubmitted(
                invoice_id=invoice.number,
                supplier_id=supplier_id,
                issued_on=invoice.issued_on,
                total=Money.cny(invoice.total_fen),
                order_ids=rec.order_ids,
                submitted_by=by.actor,
            )
        )
        rec.matched_as(result, ctx.clock.now(), by.actor, "submitted")
        try:
            await repo.save(conn, rec, ctx.outbox, new=True, submitted=(ctx.clock.now(), by.subject))
        except asyncpg.UniqueViolationError:
            raise already_used(invoice.number) from None
        await audit.record(
            conn,
            Audited.by(by, "invoice.submitted"),
            tenant_id=rec.tenant_id,
            subject=f"invoice:{rec.invoice_id}",
            before=None,
            after=_state(rec) | {"verification": verification.status.value, "detail": verification.detail},
        )
    return rec


def _university_of(by: Principal) -> str | None:
    """A procurement platform submits for its own university's orders only; a supplier for any."""
    return by.tenant_id if by.role is Role.INTEGRATION else None


async def _billed(
    conn: asyncpg.Connection, supplier_id: str, allocations: Sequence[Allocation], university: str | None
) -> tuple[Profile, dict[tuple[str, int], OrderedLine]]:
    """The profile of the university whose orders the invoice bills, and those orders' lines,
    locked; refused unless they are the supplier's live orders of one university under a profile."""
    order_ids = sorted({a.order_id for a in allocations})
    rows = await repo.orders(conn, order_ids, for_update=True)
    mine = {
        r["order_id"]: r
        for r in rows
        if r["supplier_id"] == supplier_id and university in (None, r["tenant_id"])
    }
    missing = [o for o in order_ids if o not in mine]
    if missing:
        raise NotFound(f"no order {missing[0]!r} of this supplier", code="order_not_found")
    tenants = sorted({r["tenant_id"] for r in mine.values()})
    if len(tenants) > 1:
        raise SeveralUniversities("an invoice bills the orders of one university")
    ended = [o for o, r in mine.items() if r["ended"]]
    if ended:
        raise NotInvoiceable(f"order {ended[0]} was cancelled or closed: there is nothing to invoice")
    profile = await profiles.profile(conn, tenants[0])
    if profile is None:
        raise InvoicingNotSetUp("the university has not set up invoicing yet")
    ordered = await repo.ordered_lines(conn, rows, None)
    unknown = [a for a in allocations if (a.order_id, a.line_no) not in ordered]
    if unknown:
        raise RuleViolation(
            f"order {unknown[0].order_id} has no line {unknown[0].line_no}", code="unknown_order_line"
        )
    return profile, ordered


async def resolve(
    ctx: Context, by: Principal, invoice_id: str, *, accept: bool, reason: str
) -> InvoiceRecord:
    """Finance accepts a held invoice's variance (within the university's authority, never for
    orders it requested itself) or rejects it back to the supplier."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        rec = await visible(conn, by, invoice_id, for_update=True)
        before = _state(rec)
        if accept:
            profile = await profiles.profile(conn, rec.tenant_id)
            assert profile is not None  # an invoice is submitted only under a profile
            requesters = {r["buyer_id"] for r in await repo.orders(conn, rec.order_ids)}
            rec.accept(
                by.actor,
                reason,
                ctx.clock.now(),
                authority_minor=profile.variance_authority_minor,
                requesters=requesters,
            )
        else:
            rec.reject(by.actor, reason, ctx.clock.now())
        await repo.save(conn, rec, ctx.outbox)
        await audit.record(
            conn,
            Audited.by(by, "invoice.accepted" if accept else "invoice.rejected", reason),
            tenant_id=rec.tenant_id,
            subject=f"invoice:{rec.invoice_id}",
            before=before,
            after=_state(rec),
        )
    return rec


async def visible(
    conn: asyncpg.Connection, by: Principal, invoice_id: str, *, for_update: bool = False
) -> InvoiceRecord:
    """The invoice, if `by` may see it (finance of its university, its supplier, operations);
    else not found, whether or not it exists."""
    rec = await repo.get(conn, invoice_id, for_update=for_update)
    if rec is None or not may_see(by, rec.tenant_id, rec.supplier_id):
        raise NotFound(f"no invoice {invoice_id}", code="invoice_not_found")
    return rec


async def rematch_after_receipt(conn: asyncpg.Connection, ctx: Context, order_id: str) -> int:
    """Held invoices of the order that waited only for goods are matched again (verification as
    it was: the recheck timer asks the tax service again)."""
    rematched = 0
    for row in await conn.fetch(
        """select invoice_id from invoices where $1 = any(order_ids) and status = 'held'
           order by invoice_id for update""",
        order_id,
    ):
        rec = await repo.get(conn, row["invoice_id"])
        assert rec is not None
        if not set(rec.reasons) <= WAITS_FOR_GOODS:
            continue
        rows = await repo.orders(conn, rec.order_ids)
        profile = await profiles.profile(conn, rec.tenant_id)
        seller = await repo.supplier_tax_id(conn, rec.supplier_id) or ""
        assert profile is not None
        result = match(
            rec.invoice,
            rec.allocations,
            await repo.ordered_lines(conn, rows, rec.invoice_id),
            Parties(profile.buyer_tax_id, seller),
            profile.tolerance,
            rec.verification == Status.VALID.value,
        )
        if result.matched:
            before = _state(rec)
            rec.variance_minor = result.variance_fen
            rec.matched_as(result, ctx.clock.now(), SYSTEM, "matched_on_receipt")
            await repo.save(conn, rec, ctx.outbox)
            await audit.record(
                conn,
                Audited.by_deadline("invoice.matched_on_receipt", f"order {order_id} received"),
                tenant_id=rec.tenant_id,
                subject=f"invoice:{rec.invoice_id}",
                before=before,
                after=_state(rec),
            )
            rematched += 1
    return rematched


async def recheck(ctx: Context, every: timedelta, limit: int = 200) -> int:
    """Ask the tax service again about matched and held invoices not asked about for `every`, the
    longest unchecked first; one it now reports voided or offset covers nothing any more. Returns
    how many it asked about (the timer runs again at once while there are more)."""
    async with ctx.pool.acquire() as conn:
        rows = await conn.fetch(
            """select invoice_id from invoices where status in ('matched', 'held')
                   and (checked_at is null or checked_at <= $2)
               order by checked_at nulls first, invoice_id limit $1""",
            limit,
            ctx.clock.now() - every,
        )
    for row in rows:
        async with ctx.pool.acquire() as conn:
            rec = await repo.get(conn, row["invoice_id"])
        if rec is None:
            continue
        answer = await ctx.tax.verify(rec.invoice)
        async with ctx.pool.acquire() as conn:
            await conn.execute(
                "update invoices set checked_at = $2 where invoice_id = $1", rec.invoice_id, ctx.clock.now()
            )
            offset_by_refunds = answer.status is Status.OFFSET and await red_letters.offset_in_full(conn, rec)
        if answer.status not in (Status.VOIDED, Status.OFFSET) or offset_by_refunds:
            continue  # offset by the red-letter invoices refunds called for: settlement knows them
        async with ctx.pool.acquire() as conn, conn.transaction():
            rec = await repo.get(conn, row["invoice_id"], for_update=True)
            if rec is None or rec.status not in (InvoiceStatus.MATCHED, InvoiceStatus.HELD):
                continue
            before = _state(rec)
            rec.verification = answer.status.value
            rec.voided(answer.status.value, answer.detail, ctx.clock.now())
            await repo.save(conn, rec, ctx.outbox)
            await audit.record(
                conn,
                Audited.by_deadline(f"invoice.{answer.status.value}", answer.detail),
                tenant_id=rec.tenant_id,
                subject=f"invoice:{rec.invoice_id}",
                before=before,
                after=_state(rec),
            )
    return len(rows)


def _state(rec: InvoiceRecord) -> dict[str, object]:
    return {
        "status": rec.status.value,
        "reasons": rec.reasons,
        "covers": rec.covers,
        "total_minor": rec.invoice.total_fen,
    }

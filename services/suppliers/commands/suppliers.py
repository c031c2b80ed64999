"""Onboarding a supplier: register, documents, review by operations, suspension. Each change
runs in one transaction: load the supplier (locked), apply the rule, save state and events —
audited where operations decide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import asyncpg

from contracts.events.common import BudgetCategory
from contracts.events.suppliers import Contact
from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import PLATFORM_TENANT, Principal
from services.suppliers.adapters import repository as repo
from services.suppliers.context import Context
from services.suppliers.domain.documents import Document, DocumentKind, check_document
from services.suppliers.domain.errors import AlreadyRegistered, CreditCodeTaken
from services.suppliers.domain.supplier import Supplier

T = TypeVar("T")


def correlation(supplier_id: str) -> str:
    return f"supplier:{supplier_id}"


async def change(
    ctx: Context,
    supplier_id: str,
    change: Callable[[Supplier, asyncpg.Connection], T],
    audited: Audited | None = None,
) -> tuple[Supplier, T]:
    """Run `change` on the locked supplier and save state and events in one transaction; an
    `audited` change is recorded in the audit trail with the supplier before and after."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        supplier = await repo.existing(conn, supplier_id, for_update=True)
        before = audit_view(supplier)
        result = change(supplier, conn)
        await repo.save(conn, supplier, ctx.outbox, correlation_id=correlation(supplier_id))
        if audited is not None:
            await audit.record(
                conn,
                audited,
                tenant_id=PLATFORM_TENANT,
                subject=f"supplier:{supplier_id}",
                before=before,
                after=audit_view(supplier),
                at=ctx.clock.now(),
            )
        return supplier, result


def audit_view(supplier: Supplier) -> dict[str, object]:
    """What the audit trail keeps of a supplier: its standing and its payout account, masked."""
    account = supplier.bank_account
    return {
        "state": supplier.state.value,
        "state_reason": supplier.state_reason,
        "bank_account": None
        if account is None
        else {
            "account_id": account.account_id,
            "bank_name": account.bank_name,
            "account": account.masked,
            "status": account.status.value,
            "wrong_answers": account.wrong_answers,
        },
    }


async def register(
    ctx: Context,
    supplier_id: str,
    legal_name: str,
    credit_code: str,
    contact: Contact,
    categories: list[BudgetCategory],
) -> tuple[Supplier, bool]:
    """Register; the same registration again returns the supplier unchanged (created=False)."""
    supplier = Supplier.register(supplier_id, legal_name, credit_code, contact, categories)
    async with ctx.pool.acquire() as conn, conn.transaction():
        if await repo.add(conn, supplier):
            await repo.save(conn, supplier, ctx.outbox, correlation_id=correlation(supplier_id))
            return supplier, True
        existing = await repo.get(conn, supplier_id)
    if existing is None:
        raise CreditCodeTaken("another supplier is registered with this credit code")
    same = (existing.legal_name, existing.credit_code, existing.contact, existing.categories) == (
        supplier.legal_name,
        supplier.credit_code,
        supplier.contact,
        supplier.categories,
    )
    if not same:
        raise AlreadyRegistered("this supplier is already registered with other details")
    return existing, False


async def upload_document(
    ctx: Context,
    supplier_id: str,
    kind: DocumentKind,
    content_type: str,
    content: bytes,
    valid_until: date | None,
    licence_number: str | None,
) -> tuple[Document, bool]:
    """Store a checked document; uploading the same bytes again changes nothing (created=False)."""
    doc = check_document(
        kind, content_type, content, valid_until=valid_until, licence_number=licence_number, today=ctx.today
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        supplier = await repo.existing(conn, supplier_id, for_update=True)
        created = await repo.add_document(conn, supplier_id, doc, content)
        if created:
            supplier.attach(doc, ctx.today)
            await repo.save(conn, supplier, ctx.outbox, correlation_id=correlation(supplier_id))
    return doc, created


async def submit_for_review(ctx: Context, supplier_id: str) -> Supplier:
    supplier, _ = await change(ctx, supplier_id, lambda s, _: s.submit_for_review())
    return supplier


async def approve(ctx: Context, supplier_id: str, by: Principal) -> Supplier:
    audited = Audited.by(by, "supplier.approved")
    supplier, _ = await change(ctx, supplier_id, lambda s, _: s.approve(by.actor), audited)
    return supplier


async def reject(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.rejected", reason)
    supplier, _ = await change(ctx, supplier_id, lambda s, _: s.reject(by.actor, reason), audited)
    return supplier


async def suspend(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.suspended", reason)
    supplier, _ = await change(ctx, supplier_id, lambda s, _: s.suspend(by.actor, reason), audited)
    return supplier


async def reinstate(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.reinstated", reason)
    supplier, _ = await change(ctx, supplier_id, lambda s, _: s.reinstate(by.actor, reason), audited)
    return supplier

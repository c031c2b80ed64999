"""Onboarding a supplier: register, documents, review by operations, suspension. Each change
runs in one transaction: load the supplier (locked), apply the rule, save state and events —
audited where operations decide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from contracts.events.common import BudgetCategory
from contracts.events.suppliers import Contact
from plumbing.aggregates.acting import Aggregate
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import PLATFORM_TENANT, Principal
from services.suppliers.adapters import repository as repo
from services.suppliers.context import Context
from services.suppliers.domain.documents import Document, DocumentKind, check_document
from services.suppliers.domain.errors import AlreadyRegistered, CreditCodeTaken, SupplierNotFound
from services.suppliers.domain.supplier import Supplier


def correlation(supplier_id: str) -> str:
    return f"supplier:{supplier_id}"


async def act(
    ctx: Context, supplier_id: str, action: Callable[[Supplier], object], audited: Audited | None = None
) -> Supplier:
    """Apply `action` to the locked supplier and save state and events in one transaction; an
    `audited` change is recorded in the audit trail with the supplier before and after."""
    return await SUPPLIERS.act(ctx, supplier_id, action, lambda _: True, audited)


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


SUPPLIERS = Aggregate(
    store=repo,
    view=audit_view,
    subject=lambda s: f"supplier:{s.supplier_id}",
    tenant=lambda _: PLATFORM_TENANT,
    not_found=lambda supplier_id: SupplierNotFound(f"no supplier {supplier_id!r}"),
)


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
    return await act(ctx, supplier_id, lambda s: s.submit_for_review())


async def approve(ctx: Context, supplier_id: str, by: Principal) -> Supplier:
    audited = Audited.by(by, "supplier.approved")
    return await act(ctx, supplier_id, lambda s: s.approve(by.actor), audited)


async def reject(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.rejected", reason)
    return await act(ctx, supplier_id, lambda s: s.reject(by.actor, reason), audited)


async def suspend(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.suspended", reason)
    return await act(ctx, supplier_id, lambda s: s.suspend(by.actor, reason), audited)


async def reinstate(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.reinstated", reason)
    return await act(ctx, supplier_id, lambda s: s.reinstate(by.actor, reason), audited)

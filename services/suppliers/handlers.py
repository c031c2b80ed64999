"""The suppliers service's commands, one function each; the API calls them. Each runs in one
transaction: load the supplier (locked), apply the rule, save state and events together."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import asyncpg

from contracts.events.common import BudgetCategory
from contracts.events.suppliers import Contact
from plumbing import audit
from plumbing.audit import Audited
from plumbing.auth import PLATFORM_TENANT, Principal
from plumbing.clock import Clock
from plumbing.outbox import Outbox
from services.suppliers.adapters import repository as repo
from services.suppliers.adapters.bank import BankPort
from services.suppliers.domain.bank_account import MAX_DEPOSIT_MINOR, MIN_DEPOSIT_MINOR, Answer, BankAccount
from services.suppliers.domain.documents import Document, DocumentKind, check_document
from services.suppliers.domain.errors import (
    AlreadyRegistered,
    CreditCodeTaken,
    IllegalTransition,
    ListingNotFound,
    VerificationFailed,
)
from services.suppliers.domain.listing import Listing, ListingDetails
from services.suppliers.domain.supplier import Supplier

T = TypeVar("T")


@dataclass
class Context:
    pool: asyncpg.Pool
    outbox: Outbox
    clock: Clock
    bank: BankPort

    @property
    def today(self) -> date:
        return self.clock.now().date()


def _correlation(supplier_id: str) -> str:
    return f"supplier:{supplier_id}"


async def _change(
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
        await repo.save(conn, supplier, ctx.outbox, correlation_id=_correlation(supplier_id))
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


# ---------------------------------------------------------------- onboarding


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
            await repo.save(conn, supplier, ctx.outbox, correlation_id=_correlation(supplier_id))
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
            await repo.save(conn, supplier, ctx.outbox, correlation_id=_correlation(supplier_id))
    return doc, created


async def submit_for_review(ctx: Context, supplier_id: str) -> Supplier:
    supplier, _ = await _change(ctx, supplier_id, lambda s, _: s.submit_for_review())
    return supplier


async def approve(ctx: Context, supplier_id: str, by: Principal) -> Supplier:
    audited = Audited.by(by, "supplier.approved")
    supplier, _ = await _change(ctx, supplier_id, lambda s, _: s.approve(by.actor), audited)
    return supplier


async def reject(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.rejected", reason)
    supplier, _ = await _change(ctx, supplier_id, lambda s, _: s.reject(by.actor, reason), audited)
    return supplier


async def suspend(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.suspended", reason)
    supplier, _ = await _change(ctx, supplier_id, lambda s, _: s.suspend(by.actor, reason), audited)
    return supplier


async def reinstate(ctx: Context, supplier_id: str, by: Principal, reason: str) -> Supplier:
    audited = Audited.by(by, "supplier.reinstated", reason)
    supplier, _ = await _change(ctx, supplier_id, lambda s, _: s.reinstate(by.actor, reason), audited)
    return supplier


# ---------------------------------------------------------------- bank account


def _deposit_amount() -> int:
    return MIN_DEPOSIT_MINOR + secrets.randbelow(MAX_DEPOSIT_MINOR - MIN_DEPOSIT_MINOR + 1)


async def change_bank_account(
    ctx: Context, supplier_id: str, bank_name: str, account_number: str, holder_name: str, by: Principal
) -> Supplier:
    """Check the holder, send the micro-deposit, then record the new (pending) account.

    The bank is called outside any transaction; if recording fails afterwards the supplier
    simply asks again and gets a new deposit.
    """
    async with ctx.pool.acquire() as conn:
        supplier = await repo.existing(conn, supplier_id)
    account = BankAccount.open(
        account_id=str(uuid.uuid4()),
        bank_name=bank_name,
        account_number=account_number,
        holder_name=holder_name,
        legal_name=supplier.legal_name,
        deposit_minor=_deposit_amount(),
        sent_at=ctx.clock.now(),
    )
    await ctx.bank.send_micro_deposit(
        reference=f"verify:{account.account_id}",
        account_number=account_number,
        holder_name=holder_name,
        amount_minor=account.deposit_minor,
    )
    supplier, _ = await _change(
        ctx, supplier_id, lambda s, _: s.change_bank_account(account), Audited.by(by, "bank_account.changed")
    )
    return supplier


async def confirm_deposit(ctx: Context, supplier_id: str, amount_minor: int, by: Principal) -> Supplier:
    """A wrong answer is counted (committed, and audited) before it is refused."""
    supplier, answer = await _change(
        ctx,
        supplier_id,
        lambda s, _: s.answer_deposit(amount_minor, ctx.clock.now()),
        Audited.by(by, "bank_account.verification_answered"),
    )
    if answer is not Answer.VERIFIED:
        account = supplier.bank_account
        assert account is not None
        left = max(0, 3 - account.wrong_answers)
        raise VerificationFailed(
            "that is not the amount we sent" + ("; verification is now locked" if left == 0 else ""),
            details={"attempts_left": left},
        )
    return supplier


async def reset_verification(ctx: Context, supplier_id: str, by: Principal) -> Supplier:
    """Operations unlock verification: a new micro-deposit to the same account."""
    async with ctx.pool.acquire() as conn:
        supplier = await repo.existing(conn, supplier_id)
    if supplier.bank_account is None:
        raise IllegalTransition("no bank account to verify", code="no_pending_verification")
    account, amount = supplier.bank_account, _deposit_amount()
    await ctx.bank.send_micro_deposit(
        reference=f"verify:{account.account_id}:{uuid.uuid4()}",
        account_number=account.account_number,
        holder_name=account.holder_name,
        amount_minor=amount,
    )
    supplier, _ = await _change(
        ctx,
        supplier_id,
        lambda s, _: s.restart_verification(amount, ctx.clock.now()),
        Audited.by(by, "bank_account.verification_reset"),
    )
    return supplier


# ---------------------------------------------------------------- listings


async def publish_listing(ctx: Context, supplier_id: str, sku: str, details: ListingDetails) -> Listing:
    async with ctx.pool.acquire() as conn, conn.transaction():
        supplier = await repo.existing(conn, supplier_id, for_update=True)
        existing = await repo.get_listing(conn, supplier_id, sku)
        listing = supplier.publish(sku, details, ctx.today, existing)
        await repo.save_listing(conn, listing)
        await repo.save(conn, supplier, ctx.outbox, correlation_id=_correlation(supplier_id))
        return listing


async def change_listing(ctx: Context, supplier_id: str, sku: str, details: ListingDetails) -> Listing:
    return await _on_listing(ctx, supplier_id, sku, lambda s, listing: s.change(listing, details, ctx.today))


async def withdraw_listing(ctx: Context, supplier_id: str, sku: str) -> Listing:
    return await _on_listing(ctx, supplier_id, sku, lambda s, listing: s.withdraw(listing))


async def _on_listing(
    ctx: Context, supplier_id: str, sku: str, act: Callable[[Supplier, Listing], object]
) -> Listing:
    async with ctx.pool.acquire() as conn, conn.transaction():
        supplier = await repo.existing(conn, supplier_id, for_update=True)
        listing = await repo.get_listing(conn, supplier_id, sku)
        if listing is None:
            raise ListingNotFound(f"supplier {supplier_id!r} has no listing {sku!r}")
        act(supplier, listing)
        await repo.save_listing(conn, listing)
        await repo.save(conn, supplier, ctx.outbox, correlation_id=_correlation(supplier_id))
        return listing


# ---------------------------------------------------------------- scheduled


async def expire_licences(ctx: Context) -> list[str]:
    """Withdraw hazardous listings of every supplier whose licence expired; returns their ids."""
    today = ctx.today
    async with ctx.pool.acquire() as conn:
        due = [
            r["supplier_id"]
            for r in await conn.fetch(
                """select supplier_id from suppliers where hazardous_licence_until <= $1
                   and not hazardous_licence_expired order by supplier_id""",
                today,
            )
        ]
    expired: list[str] = []
    for supplier_id in due:
        async with ctx.pool.acquire() as conn, conn.transaction():
            supplier = await repo.get(conn, supplier_id, for_update=True)
            if supplier is None:
                continue
            withdrawn = supplier.expire_hazardous_licence(today, await repo.listings_of(conn, supplier_id))
            for listing in withdrawn:
                await repo.save_listing(conn, listing)
            if supplier.events:
                await repo.save(conn, supplier, ctx.outbox, correlation_id=f"licence-expiry:{today}")
                expired.append(supplier_id)
    return expired

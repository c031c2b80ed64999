"""A university's invoicing profile: who the buyer on its invoices is, its match tolerance, the
variance finance may accept, when overdue red-letter invoices hold payouts, and whether payouts
need invoices at all. Setting it is audited and announced (settlement holds payouts by it)."""

from __future__ import annotations

from contracts.events.invoices import InvoicingProfileSet
from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import Principal
from services.invoices.adapters import profiles
from services.invoices.adapters import repository as repo
from services.invoices.adapters.profiles import Profile
from services.invoices.context import Context


async def set_profile(ctx: Context, by: Principal, profile: Profile) -> Profile:
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await profiles.profile(conn, profile.tenant_id)
        version = await profiles.save_profile(conn, profile, ctx.clock.now(), by.subject)
        await repo.emit(
            conn,
            ctx.outbox,
            InvoicingProfileSet(
                university_id=profile.tenant_id,
                buyer_name=profile.buyer_name,
                buyer_tax_id=profile.buyer_tax_id,
                payouts_need_invoices=profile.payouts_need_invoices,
                red_letter_hold_days=profile.red_letter_hold_days,
                set_by=by.actor,
            ),
            aggregate_id=f"invoicing-profile:{profile.tenant_id}",
            tenant_id=profile.tenant_id,
            version=version,
        )
        await audit.record(
            conn,
            Audited.by(by, "invoicing_profile.set"),
            tenant_id=profile.tenant_id,
            subject=f"invoicing_profile:{profile.tenant_id}",
            before=before,
            after=profile,
        )
    return profile


async def get_profile(ctx: Context, tenant_id: str) -> Profile | None:
    async with ctx.pool.acquire() as conn:
        return await profiles.profile(conn, tenant_id)

"""Each university's invoicing profile in Postgres (`commands.profile`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from services.invoices.domain.matching import Tolerance


@dataclass(frozen=True)
class Profile:
    """A university's invoicing profile (`api.profile`)."""

    tenant_id: str
    buyer_name: str
    buyer_tax_id: str
    tolerance: Tolerance
    variance_authority_minor: int
    red_letter_hold_days: int | None
    payouts_need_invoices: bool


async def profile(conn: asyncpg.Connection, tenant_id: str) -> Profile | None:
    r = await conn.fetchrow("select * from invoicing_profiles where tenant_id = $1", tenant_id)
    if r is None:
        return None
    return Profile(
        r["tenant_id"],
        r["buyer_name"],
        r["buyer_tax_id"],
        Tolerance(r["tolerance_bp"], r["tolerance_minor"]),
        r["variance_authority_minor"],
        r["red_letter_hold_days"],
        r["payouts_need_invoices"],
    )


async def save_profile(conn: asyncpg.Connection, p: Profile, at: Any, by: str) -> int:
    """Set the profile; its version (how many times it was set)."""
    version: int = await conn.fetchval(
        """insert into invoicing_profiles (tenant_id, buyer_name, buyer_tax_id, tolerance_bp, tolerance_minor,
               variance_authority_minor, red_letter_hold_days, payouts_need_invoices, updated_at, updated_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           on conflict (tenant_id) do update set buyer_name = $2, buyer_tax_id = $3, tolerance_bp = $4,
               tolerance_minor = $5, variance_authority_minor = $6, red_letter_hold_days = $7,
               payouts_need_invoices = $8, updated_at = $9, updated_by = $10,
               version = invoicing_profiles.version + 1
           returning version""",
        p.tenant_id,
        p.buyer_name,
        p.buyer_tax_id,
        p.tolerance.percent_bp,
        p.tolerance.absolute_fen,
        p.variance_authority_minor,
        p.red_letter_hold_days,
        p.payouts_need_invoices,
        at,
        by,
    )
    return version

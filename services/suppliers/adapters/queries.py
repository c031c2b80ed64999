"""Read-side queries for the suppliers API: lists with filters and keyset (cursor) pagination."""

from __future__ import annotations

import asyncpg


async def supplier_ids(
    conn: asyncpg.Connection, *, state: str | None, name_contains: str | None, after: str, limit: int
) -> list[str]:
    rows = await conn.fetch(
        """select supplier_id from suppliers
           where supplier_id > $1 and ($2::text is null or state = $2)
             and ($3::text is null or legal_name ilike '%' || $3 || '%' or credit_code = upper($3))
           order by supplier_id limit $4""",
        after,
        state,
        name_contains,
        limit,
    )
    return [r["supplier_id"] for r in rows]


async def active_listings(
    conn: asyncpg.Connection, *, category: str | None, hazardous: bool | None, after: str, limit: int
) -> list[asyncpg.Record]:
    """Listings on sale now: active listings of ACTIVE suppliers."""
    return await conn.fetch(  # type: ignore[no-any-return]
        """select l.listing_id, l.supplier_id, l.sku, l.version, v.name, v.unit, v.price_minor, v.category,
                  v.hazard_class, v.cas_number, v.hazardous
           from listings l
           join listing_versions v on v.listing_id = l.listing_id and v.version = l.version
           join suppliers s on s.supplier_id = l.supplier_id and s.state = 'ACTIVE'
           where l.status = 'active' and l.listing_id > $1
             and ($2::text is null or v.category = $2) and ($3::boolean is null or v.hazardous = $3)
           order by l.listing_id limit $4""",
        after,
        category,
        hazardous,
        limit,
    )


async def listing_version(conn: asyncpg.Connection, listing_id: str, version: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """select listing_id, version, name, unit, price_minor, category, hazard_class, cas_number,
                  hazardous, created_at from listing_versions where listing_id = $1 and version = $2""",
        listing_id,
        version,
    )

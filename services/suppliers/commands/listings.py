"""A supplier's listings: publish, change, withdraw — each with the supplier locked, so that a
suspension or an expired licence and a listing change never cross."""

from __future__ import annotations

from collections.abc import Callable

from services.suppliers.adapters import repository as repo
from services.suppliers.commands.suppliers import correlation
from services.suppliers.context import Context
from services.suppliers.domain.errors import ListingNotFound
from services.suppliers.domain.listing import Listing, ListingDetails
from services.suppliers.domain.supplier import Supplier


async def publish_listing(ctx: Context, supplier_id: str, sku: str, details: ListingDetails) -> Listing:
    async with ctx.pool.acquire() as conn, conn.transaction():
        supplier = await repo.existing(conn, supplier_id, for_update=True)
        existing = await repo.get_listing(conn, supplier_id, sku)
        listing = supplier.publish(sku, details, ctx.today, existing)
        await repo.save_listing(conn, listing)
        await repo.save(conn, supplier, ctx.outbox, correlation_id=correlation(supplier_id))
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
        await repo.save(conn, supplier, ctx.outbox, correlation_id=correlation(supplier_id))
        return listing

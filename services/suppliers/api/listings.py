"""Catalog listings: the supplier's own, and the catalog on sale for integrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from contracts.events.common import BudgetCategory
from plumbing.web.auth import Role
from plumbing.web.pagination import decode_cursor, encode_cursor
from services.suppliers.adapters import queries
from services.suppliers.adapters import repository as repo
from services.suppliers.api.deps import CatalogReader, Ctx, SupplierIdPath, SupplierReader, SupplierSelf
from services.suppliers.api.schemas import ListingIn, ListingOut, ListingPage, NewListingIn
from services.suppliers.commands import listings as commands
from services.suppliers.domain.errors import ListingNotFound, SupplierNotFound
from services.suppliers.domain.listing import Listing
from services.suppliers.domain.supplier import SupplierState

router = APIRouter(tags=["listings"])
Sku = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/v1/suppliers/{supplier_id}/listings", response_model=ListingOut, status_code=status.HTTP_201_CREATED
)
async def publish(supplier_id: SupplierIdPath, body: NewListingIn, ctx: Ctx, _: SupplierSelf) -> ListingOut:
    """Put a product on sale. Hazardous goods need a valid hazardous-chemicals licence; reagents
    need a CAS number with a valid check digit."""
    return ListingOut.of(await commands.publish_listing(ctx, supplier_id, body.sku, body.details()))


@router.put("/v1/suppliers/{supplier_id}/listings/{sku}", response_model=ListingOut)
async def change(
    supplier_id: SupplierIdPath, sku: Sku, body: ListingIn, ctx: Ctx, _: SupplierSelf
) -> ListingOut:
    """Change price or details: a new version; orders keep the version they were placed at."""
    return ListingOut.of(await commands.change_listing(ctx, supplier_id, sku, body.details()))


@router.delete("/v1/suppliers/{supplier_id}/listings/{sku}", response_model=ListingOut)
async def withdraw(supplier_id: SupplierIdPath, sku: Sku, ctx: Ctx, _: SupplierSelf) -> ListingOut:
    return ListingOut.of(await commands.withdraw_listing(ctx, supplier_id, sku))


@router.get("/v1/suppliers/{supplier_id}/listings", response_model=list[ListingOut])
async def supplier_listings(
    supplier_id: SupplierIdPath, ctx: Ctx, principal: SupplierReader
) -> list[ListingOut]:
    async with ctx.pool.acquire() as conn:
        supplier = await repo.get(conn, supplier_id)
        if supplier is None or (
            principal.role is Role.INTEGRATION and supplier.state is not SupplierState.ACTIVE
        ):
            raise SupplierNotFound(f"no supplier {supplier_id!r}")
        listings = await repo.listings_of(conn, supplier_id)
    return [ListingOut.of(listing) for listing in listings]


@router.get("/v1/suppliers/{supplier_id}/listings/{sku}/versions/{version}", response_model=ListingOut)
async def listing_version(
    supplier_id: SupplierIdPath,
    sku: Sku,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ctx: Ctx,
    _: SupplierReader,
) -> ListingOut:
    """A listing as it was at one version: the price an order was placed at."""
    listing_id = Listing.listing_id_for(supplier_id, sku)
    async with ctx.pool.acquire() as conn:
        row = await queries.listing_version(conn, listing_id, version)
    if row is None:
        raise ListingNotFound(f"no version {version} of listing {listing_id!r}")
    return ListingOut(
        supplier_id=supplier_id,
        sku=sku,
        status="version",
        **{
            k: row[k]
            for k in (
                "listing_id",
                "version",
                "name",
                "unit",
                "price_minor",
                "category",
                "hazard_class",
                "cas_number",
                "hazardous",
            )
        },
    )


@router.get("/v1/listings", response_model=ListingPage)
async def catalog(
    ctx: Ctx,
    _: CatalogReader,
    category: BudgetCategory | None = None,
    hazardous: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ListingPage:
    """Everything on sale now: active listings of ACTIVE suppliers."""
    async with ctx.pool.acquire() as conn:
        rows = await queries.active_listings(
            conn,
            category=category.value if category else None,
            hazardous=hazardous,
            after=decode_cursor(cursor),
            limit=limit + 1,
        )
    items = [ListingOut(status="active", **dict(r)) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1]["listing_id"]) if len(rows) > limit else None
    return ListingPage(items=items, next_cursor=next_cursor)

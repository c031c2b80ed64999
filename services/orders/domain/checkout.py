"""Turning a cart into one order per supplier, checked against the catalog and the grant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.events.common import Actor, BudgetCategory
from contracts.events.orders import ApprovalStep, OrderLine
from plumbing.errors import RuleViolation
from plumbing.org.tree import OrgTree
from services.orders.domain import approvals
from services.orders.domain.errors import (
    AmountTooLarge,
    HazardousNotLicensed,
    NotAuthorisedOnGrant,
    StalePrice,
    SupplierNotSelling,
    UnknownGrant,
    UnknownSku,
)
from services.orders.domain.policy import MAX_ORDER_MINOR


@dataclass(frozen=True)
class CartLine:
    supplier_id: str
    sku: str
    quantity: int
    unit_price_minor: int  # the price the buyer saw; it must still be the current price


@dataclass(frozen=True)
class CatalogSupplier:
    supplier_id: str
    active: bool
    hazardous_licence_until: date | None


@dataclass(frozen=True)
class CatalogListing:
    listing_id: str
    supplier_id: str
    sku: str
    version: int
    name: str
    unit: str
    price_minor: int
    category: BudgetCategory
    hazardous: bool
    cas_number: str | None
    active: bool


@dataclass(frozen=True)
class GrantInfo:
    grant_id: str
    tenant_id: str
    pi_id: str
    authorised_buyers: frozenset[str]
    approval_threshold_minor: int
    open: bool


@dataclass(frozen=True)
class SupplierShare:
    supplier_id: str
    lines: list[OrderLine]
    approvals: list[ApprovalStep]


def split_cart(
    cart: list[CartLine],
    grant: GrantInfo | None,
    buyer: Actor,
    tenant_id: str,
    suppliers: dict[str, CatalogSupplier],
    listings: dict[tuple[str, str], CatalogListing],
    today: date,
    tree: OrgTree | None = None,
) -> list[SupplierShare]:
    """One share per supplier, in the order suppliers first appear in the cart, each with the
    approvals it waits for (the grant's, and the rules of the units above the grant in `tree`).

    Size: one pass over the cart checks each line against the catalogue and groups it by
    supplier, collecting every refusal so the buyer sees them all at once."""
    if grant is None or grant.tenant_id != tenant_id:
        raise UnknownGrant("no such grant at this university")
    if buyer.user_id != grant.pi_id and buyer.user_id not in grant.authorised_buyers:
        raise NotAuthorisedOnGrant(f"{buyer.user_id} may not buy on grant {grant.grant_id}")
    if not grant.open:
        raise RuleViolation(f"grant {grant.grant_id} is closed", code="grant_closed")
    if not cart:
        raise RuleViolation("the cart is empty", code="empty_cart")
    by_supplier: dict[str, list[OrderLine]] = {}
    for index, item in enumerate(cart):
        where = {"line": index, "supplier_id": item.supplier_id, "sku": item.sku}
        if item.quantity < 1:
            raise RuleViolation("quantity must be at least 1", code="invalid_quantity", details=where)
        supplier = suppliers.get(item.supplier_id)
        if supplier is None or not supplier.active:
            raise SupplierNotSelling(f"supplier {item.supplier_id!r} is not selling", details=where)
        listing = listings.get((item.supplier_id, item.sku))
        if listing is None or not listing.active:
            raise UnknownSku(f"{item.supplier_id!r} does not list {item.sku!r}", details=where)
        if item.unit_price_minor != listing.price_minor:
            raise StalePrice(
                f"the price of {item.sku!r} is now {listing.price_minor} fen",
                details={
                    **where,
                    "current_price_minor": listing.price_minor,
                    "listing_version": listing.version,
                },
            )
        if listing.hazardous and not (
            supplier.hazardous_licence_until is not None and supplier.hazardous_licence_until > today
        ):
            raise HazardousNotLicensed(
                f"{item.supplier_id!r} may not sell hazardous {item.sku!r}", details=where
            )
        total = item.quantity * listing.price_minor
        if total > MAX_ORDER_MINOR:
            raise AmountTooLarge("the line amount is beyond what an order may hold", details=where)
        by_supplier.setdefault(item.supplier_id, []).append(
            OrderLine(
                listing_id=listing.listing_id,
                sku=listing.sku,
                listing_version=listing.version,
                name=listing.name,
                category=listing.category,
                unit=listing.unit,
                quantity=item.quantity,
                unit_price_minor=listing.price_minor,
                line_total_minor=total,
                hazardous=listing.hazardous,
                cas_number=listing.cas_number,
            )
        )
    shares = []
    org = tree or OrgTree({})
    rules, path = org.rules_for(grant.grant_id, today), org.grant_path(grant.grant_id, today)
    for supplier_id, lines in by_supplier.items():
        total = sum(line.line_total_minor for line in lines)
        if total > MAX_ORDER_MINOR:
            raise AmountTooLarge(
                "the order amount is beyond what an order may hold", details={"supplier_id": supplier_id}
            )
        waits = approvals.steps(
            total=total,
            lines=lines,
            buyer=buyer,
            pi_id=grant.pi_id,
            grant_threshold_minor=grant.approval_threshold_minor,
            rules=rules,
            path=path,
        )
        shares.append(SupplierShare(supplier_id, lines, waits))
    return shares

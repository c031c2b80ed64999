"""Catalog listings: versioned prices and details, and who may list hazardous chemicals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from contracts.events.common import BudgetCategory
from plumbing.errors import RuleViolation
from services.suppliers.domain.errors import InvalidCasNumber
from services.suppliers.domain.identifiers import is_valid_cas_number

# GHS-derived hazard tags used in the catalog. Selling anything with the first group needs a
# hazardous-chemicals business licence (危险化学品经营许可证).
LICENSED_HAZARDS = frozenset({"flammable", "toxic", "corrosive", "oxidizer", "explosive-precursor"})
OTHER_HAZARDS = frozenset({"health", "irritant", "environmental"})


class ListingStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ListingDetails:
    name: str
    unit: str
    price_minor: int
    category: BudgetCategory
    hazard_class: str | None
    cas_number: str | None

    @property
    def hazards(self) -> frozenset[str]:
        return frozenset(h for h in (self.hazard_class or "").split(",") if h)

    @property
    def needs_hazardous_licence(self) -> bool:
        return bool(self.hazards & LICENSED_HAZARDS)


def checked_details(details: ListingDetails) -> ListingDetails:
    """Normalised details, or a clear refusal of a bad CAS number, price or hazard tag."""
    if details.price_minor <= 0:
        raise RuleViolation("a listing needs a positive price in fen", code="invalid_price")
    hazards = sorted({h.strip().lower() for h in (details.hazard_class or "").split(",") if h.strip()})
    unknown = set(hazards) - LICENSED_HAZARDS - OTHER_HAZARDS
    if unknown:
        raise RuleViolation(
            f"unknown hazard class {sorted(unknown)}",
            code="invalid_hazard_class",
            details={"known": sorted(LICENSED_HAZARDS | OTHER_HAZARDS)},
        )
    cas = details.cas_number.strip() if details.cas_number else None
    if cas is not None and not is_valid_cas_number(cas):
        raise InvalidCasNumber(f"{cas!r} is not a valid CAS registry number (check digit)")
    if details.category is BudgetCategory.REAGENTS and cas is None:
        raise InvalidCasNumber("a reagent listing needs its CAS registry number", code="cas_number_required")
    return replace(details, hazard_class=",".join(hazards) or None, cas_number=cas)


@dataclass
class Listing:
    listing_id: str
    supplier_id: str
    sku: str
    status: ListingStatus
    version: int
    details: ListingDetails
    withdrawn_reason: str | None = None

    @classmethod
    def listing_id_for(cls, supplier_id: str, sku: str) -> str:
        return f"{supplier_id}:{sku}"

"""The supplier aggregate: onboarding state machine, licences, bank account and listings.

Every change appends an event to `events`; the unit of work writes them to the outbox in the
same transaction as the state. All of a supplier's events — listings included — form one
stream keyed by the supplier id, so consumers see them in order.

One aggregate, one module (over 300 lines): onboarding, licences, the bank account and listings
are transitions of one state guarded by the same rules (an unapproved or suspended supplier
lists nothing); the value types it uses live beside it (bank_account, listing, documents).

Size: one aggregate, the supplier, with each step of onboarding, review, suspension and its
payout account, read top to bottom."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory
from contracts.events.suppliers import (
    BankAccountChanged,
    BankAccountVerified,
    Contact,
    LicenceExpired,
    LicenceRenewed,
    LicenceType,
    ListingChanged,
    ListingPublished,
    ListingWithdrawn,
    SupplierActivated,
    SupplierApproved,
    SupplierRegistered,
    SupplierReinstated,
    SupplierRejected,
    SupplierSuspended,
)
from contracts.money import Money
from services.suppliers.domain.bank_account import AccountStatus, Answer, BankAccount
from services.suppliers.domain.documents import Document, DocumentKind
from services.suppliers.domain.errors import (
    DuplicateListing,
    HazardousLicenceRequired,
    IllegalTransition,
    InvalidCreditCode,
    NoPendingVerification,
    NotSelling,
)
from services.suppliers.domain.identifiers import is_valid_credit_code
from services.suppliers.domain.listing import (
    LICENSED_HAZARDS,
    Listing,
    ListingDetails,
    ListingStatus,
    checked_details,
)


class SupplierState(StrEnum):
    REGISTERED = "REGISTERED"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


# Which states each command may start from; anything else is an illegal transition.
ALLOWED_FROM: dict[str, frozenset[SupplierState]] = {
    "submit": frozenset({SupplierState.REGISTERED, SupplierState.REJECTED}),
    "approve": frozenset({SupplierState.UNDER_REVIEW}),
    "reject": frozenset({SupplierState.UNDER_REVIEW}),
    "suspend": frozenset({SupplierState.ACTIVE}),
    "reinstate": frozenset({SupplierState.SUSPENDED}),
    "list": frozenset({SupplierState.APPROVED, SupplierState.ACTIVE}),
}


@dataclass
class Supplier:
    supplier_id: str
    legal_name: str
    credit_code: str
    contact: Contact
    categories: list[BudgetCategory]
    state: SupplierState = SupplierState.REGISTERED
    state_reason: str | None = None
    has_business_licence: bool = False
    hazardous_licence_until: date | None = None
    hazardous_licence_expired: bool = False
    bank_account: BankAccount | None = None
    version: int = 0
    events: list[EventPayload] = field(default_factory=list)

    # ---------------------------------------------------------------- onboarding
    @classmethod
    def register(
        cls,
        supplier_id: str,
        legal_name: str,
        credit_code: str,
        contact: Contact,
        categories: list[BudgetCategory],
    ) -> Supplier:
        code = credit_code.strip().upper()
        if not is_valid_credit_code(code):
            raise InvalidCreditCode(f"{credit_code!r} is not a valid unified social credit code")
        supplier = cls(supplier_id, legal_name.strip(), code, contact, sorted(set(categories)))
        supplier._record(
            SupplierRegistered(
                supplier_id=supplier_id,
                legal_name=supplier.legal_name,
                credit_code=code,
                contact=contact,
                categories=supplier.categories,
            )
        )
        return supplier

    def attach(self, document: Document, today: date) -> None:
        if document.kind is DocumentKind.BUSINESS_LICENCE:
            self.has_business_licence = True
            return
        assert document.valid_until is not None
        if document.valid_until == self.hazardous_licence_until and not self.hazardous_licence_expired:
            return
        self.hazardous_licence_until = document.valid_until
        self.hazardous_licence_expired = False
        self._record(
            LicenceRenewed(
                supplier_id=self.supplier_id,
                licence_id=f"{self.supplier_id}:hazardous",
                licence_type=LicenceType.HAZARDOUS_CHEMICALS,
                valid_until=document.valid_until,
            )
        )

    def submit_for_review(self) -> None:
        self._require("submit")
        if not self.has_business_licence:
            raise IllegalTransition(
                "upload the business licence before asking for review", code="business_licence_required"
            )
        self.state, self.state_reason = SupplierState.UNDER_REVIEW, None

    def approve(self, by: Actor) -> None:
        self._require("approve")
        self.state, self.state_reason = SupplierState.APPROVED, None
        self._record(SupplierApproved(supplier_id=self.supplier_id, reviewed_by=by))
        self._activate_if_ready()

    def reject(self, by: Actor, reason: str) -> None:
        self._require("reject")
        self.state, self.state_reason = SupplierState.REJECTED, reason
        self._record(SupplierRejected(supplier_id=self.supplier_id, reviewed_by=by, reason=reason))

    def suspend(self, by: Actor, reason: str) -> None:
        self._require("suspend")
        self.state, self.state_reason = SupplierState.SUSPENDED, reason
        self._record(SupplierSuspended(supplier_id=self.supplier_id, suspended_by=by, reason=reason))

    def reinstate(self, by: Actor, reason: str) -> None:
        self._require("reinstate")
        self.state, self.state_reason = SupplierState.ACTIVE, None
        self._record(SupplierReinstated(supplier_id=self.supplier_id, reinstated_by=by, reason=reason))

    # ---------------------------------------------------------------- bank account
    def change_bank_account(self, account: BankAccount) -> None:
        """A new account replaces the old one; payouts wait until it is verified."""
        self.bank_account = account
        self._record(
            BankAccountChanged(
                supplier_id=self.supplier_id,
                bank_account_id=account.account_id,
                bank_name=account.bank_name,
                holder_name=account.holder_name,
                account_masked=account.masked,
            )
        )

    def answer_deposit(self, amount_minor: int, now: datetime) -> Answer:
        account = self._pending_account()
        answer = account.answer(amount_minor, now)
        if answer is Answer.VERIFIED:
            self._record(
                BankAccountVerified(
                    supplier_id=self.supplier_id,
                    bank_account_id=account.account_id,
                    account_masked=account.masked,
                )
            )
            self._activate_if_ready()
        return answer

    def restart_verification(self, deposit_minor: int, sent_at: datetime) -> None:
        self._pending_account().restart(deposit_minor, sent_at)

    def _pending_account(self) -> BankAccount:
        if self.bank_account is None:
            raise NoPendingVerification("no bank account has been given")
        return self.bank_account

    @property
    def bank_verified(self) -> bool:
        return self.bank_account is not None and self.bank_account.status is AccountStatus.VERIFIED

    def _activate_if_ready(self) -> None:
        if self.state is SupplierState.APPROVED and self.bank_verified:
            self.state = SupplierState.ACTIVE
            self._record(
                SupplierActivated(
                    supplier_id=self.supplier_id,
                    legal_name=self.legal_name,
                    hazardous_licence_valid_until=self.hazardous_licence_until
                    if not self.hazardous_licence_expired
                    else None,
                )
            )

    # ---------------------------------------------------------------- licences
    def may_sell_hazardous(self, today: date) -> bool:
        return (
            self.hazardous_licence_until is not None
            and not self.hazardous_licence_expired
            and self.hazardous_licence_until > today
        )

    def expire_hazardous_licence(self, today: date, listings: list[Listing]) -> list[Listing]:
        """On expiry, withdraw every active hazardous listing; returns those withdrawn."""
        if self.hazardous_licence_until is None or self.hazardous_licence_expired:
            return []
        if self.hazardous_licence_until > today:
            return []
        self.hazardous_licence_expired = True
        withdrawn = [
            self.withdraw(listing, reason="licence_expired")
            for listing in listings
            if listing.status is ListingStatus.ACTIVE and listing.details.needs_hazardous_licence
        ]
        self._record(
            LicenceExpired(
                supplier_id=self.supplier_id,
                licence_id=f"{self.supplier_id}:hazardous",
                licence_type=LicenceType.HAZARDOUS_CHEMICALS,
                expired_on=self.hazardous_licence_until,
                withdrawn_listing_ids=[w.listing_id for w in withdrawn],
            )
        )
        return withdrawn

    # ---------------------------------------------------------------- listings
    def publish(self, sku: str, details: ListingDetails, today: date, existing: Listing | None) -> Listing:
        self._require("list", error=NotSelling)
        details = checked_details(details)
        self._check_hazardous(details, today)
        if existing is not None and existing.status is ListingStatus.ACTIVE:
            raise DuplicateListing(f"SKU {sku!r} is already listed; change it instead")
        listing = Listing(
            listing_id=Listing.listing_id_for(self.supplier_id, sku),
            supplier_id=self.supplier_id,
            sku=sku,
            status=ListingStatus.ACTIVE,
            version=(existing.version + 1) if existing else 1,
            details=details,
        )
        self._record_listing(listing, first=existing is None)
        return listing

    def change(self, listing: Listing, details: ListingDetails, today: date) -> bool:
        """Apply new details as a new version; returns False when nothing changed."""
        self._require("list", error=NotSelling)
        details = checked_details(details)
        if listing.status is not ListingStatus.ACTIVE:
            raise IllegalTransition("a withdrawn listing cannot change; publish it again")
        if details == listing.details:
            return False
        self._check_hazardous(details, today)
        listing.details = details
        listing.version += 1
        self._record_listing(listing, first=False)
        return True

    def withdraw(self, listing: Listing, reason: str = "supplier_withdrew") -> Listing:
        if listing.status is ListingStatus.WITHDRAWN:
            raise IllegalTransition("the listing is already withdrawn")
        listing.status, listing.withdrawn_reason = ListingStatus.WITHDRAWN, reason
        self._record(
            ListingWithdrawn(
                supplier_id=self.supplier_id,
                listing_id=listing.listing_id,
                sku=listing.sku,
                reason_code=reason,
            )
        )
        return listing

    def _check_hazardous(self, details: ListingDetails, today: date) -> None:
        if details.needs_hazardous_licence and not self.may_sell_hazardous(today):
            raise HazardousLicenceRequired(
                f"listing {sorted(details.hazards & LICENSED_HAZARDS)} goods needs a valid "
                "hazardous-chemicals business licence"
            )

    def _record_listing(self, listing: Listing, *, first: bool) -> None:
        d = listing.details
        fields = dict(
            supplier_id=self.supplier_id,
            listing_id=listing.listing_id,
            sku=listing.sku,
            name=d.name,
            unit=d.unit,
            price=Money.cny(d.price_minor),
            category=d.category,
            hazard_class=d.hazard_class,
            cas_number=d.cas_number,
            hazardous=d.needs_hazardous_licence,
            listing_version=listing.version,
        )
        self._record(ListingPublished(**fields) if first else ListingChanged(**fields))

    # ---------------------------------------------------------------- plumbing
    def _require(
        self, command: str, error: type[IllegalTransition] | type[NotSelling] = IllegalTransition
    ) -> None:
        if self.state not in ALLOWED_FROM[command]:
            raise error(
                f"cannot {command} a supplier in state {self.state.value}",
                details={
                    "state": self.state.value,
                    "allowed_from": sorted(s.value for s in ALLOWED_FROM[command]),
                },
            )

    def _record(self, event: EventPayload) -> None:
        self.events.append(event)

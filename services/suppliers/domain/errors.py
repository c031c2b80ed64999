"""What the suppliers rules refuse, each with a stable code. HTTP statuses are chosen at the edge."""

from __future__ import annotations

from plumbing.aggregates.lifecycle import IllegalTransition as IllegalTransition
from plumbing.errors import AppError, Conflict, Forbidden, NotFound, RuleViolation


class InvalidCreditCode(RuleViolation):
    code = "invalid_credit_code"


class InvalidCasNumber(RuleViolation):
    code = "invalid_cas_number"


class DocumentRejected(RuleViolation):
    code = "document_rejected"


class DocumentTooLarge(AppError):
    status_code = 413
    code = "document_too_large"


class HolderNameMismatch(RuleViolation):
    code = "holder_name_mismatch"


class VerificationFailed(RuleViolation):
    code = "wrong_deposit_amount"


class VerificationLocked(Conflict):
    code = "verification_locked"


class VerificationExpired(Conflict):
    code = "verification_expired"


class NoPendingVerification(Conflict):
    code = "no_pending_verification"


class HazardousLicenceRequired(RuleViolation):
    code = "hazardous_licence_required"


class SupplierNotFound(NotFound):
    code = "supplier_not_found"


class ListingNotFound(NotFound):
    code = "listing_not_found"


class DuplicateListing(Conflict):
    code = "listing_exists"


class AlreadyRegistered(Conflict):
    code = "already_registered"


class CreditCodeTaken(Conflict):
    code = "credit_code_taken"


class NotYourSupplier(Forbidden):
    code = "not_your_supplier"


class NotSelling(Conflict):
    code = "supplier_not_active"

"""What the order rules refuse, each with a stable code."""

from __future__ import annotations

from plumbing.aggregates.lifecycle import IllegalTransition as IllegalTransition
from plumbing.errors import AppError, Conflict, Forbidden, NotFound, RuleViolation


class OrderNotFound(NotFound):
    code = "order_not_found"


class NotYourOrder(Forbidden):
    code = "not_your_order"


class UnknownGrant(RuleViolation):
    code = "unknown_grant"


class NotAuthorisedOnGrant(Forbidden):
    code = "not_authorised_on_grant"


class SupplierNotSelling(RuleViolation):
    code = "supplier_not_active"


class UnknownSku(RuleViolation):
    code = "unknown_sku"


class StalePrice(Conflict):
    code = "stale_price"


class HazardousNotLicensed(RuleViolation):
    code = "supplier_not_licensed_for_hazardous"


class AmountTooLarge(RuleViolation):
    code = "amount_too_large"


class IdempotencyKeyReused(AppError):
    status_code = 422
    code = "idempotency_key_reused"


class NotAnApprover(Forbidden):
    code = "not_an_approver"


class SelfApproval(Forbidden):
    """Whoever requested an order never approves it: another approver must."""

    code = "self_approval"


class ApprovalOutOfOrder(Conflict):
    """Approvals are given in order: a later approver waits for the earlier ones."""

    code = "approval_out_of_order"

"""What settlement refuses, each with a stable code."""

from __future__ import annotations

from plumbing.errors import AppError, Conflict, NotFound, RuleViolation


class TransferMismatch(AppError):
    """The same transfer id arrived with different contents: never overwritten."""

    status_code = 409
    code = "transfer_id_reused"


class PendingAlreadyResolved(Conflict):
    code = "pending_already_resolved"


class LimitExceeded(RuleViolation):
    code = "insufficient_funds"


class GrantNotFound(NotFound):
    code = "grant_not_found"


class GrantExists(Conflict):
    code = "grant_exists"


class BudgetBelowCommitted(Conflict):
    code = "budget_below_committed"


class GrantClosedError(Conflict):
    code = "grant_closed"


class InvalidGrant(RuleViolation):
    code = "invalid_grant"

"""What the ledger refuses, each with a stable code."""

from __future__ import annotations

from plumbing.errors import AppError, Conflict, RuleViolation


class TransferMismatch(AppError):
    """The same transfer id arrived with different contents: never overwritten."""

    status_code = 409
    code = "transfer_id_reused"


class PendingAlreadyResolved(Conflict):
    code = "pending_already_resolved"


class LimitExceeded(RuleViolation):
    code = "insufficient_funds"

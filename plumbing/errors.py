"""The errors a user may see, free of any web framework: domain errors subclass AppError beside
their model and carry a stable `code` and the HTTP status their class maps to at the edge
(`plumbing.web.http_errors`), in one JSON shape: {"error": {"code", "message", "details"}}.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a user may see. `code` is stable and machine-readable."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class RuleViolation(AppError):
    status_code = 422
    code = "rule_violation"


class Unauthenticated(AppError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}

"""One JSON error shape for every 4xx/5xx: {"error": {"code", "message", "details"}}.

Domain errors subclass AppError beside their model and carry a stable `code`; the HTTP status
is chosen here, at the edge, per class.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from plumbing.logs import get_logger
from plumbing.retry import TRANSIENT

log = get_logger(__name__)


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


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status_code in (401, 403):  # who was turned away, for security monitoring
        log.warning(
            "request refused",
            status=exc.status_code,
            code=exc.code,
            method=request.method,
            path=request.url.path,
            client=request.client.host if request.client else None,
        )
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    body = jsonable_encoder(
        error_body(exc.code, exc.message, exc.details)
    )  # details may hold dates, decimals
    return JSONResponse(body, exc.status_code, headers=headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
    ]
    return JSONResponse(error_body("invalid_request", "the request is not valid", details), 422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


UNAVAILABLE_RETRY_AFTER_SECONDS = 1


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database (or the broker) is out of reach for a moment, e.g. while it restarts: the
    client may retry; the pool reconnects by itself."""
    log.warning("dependency unavailable", error=repr(exc), method=request.method, path=request.url.path)
    return JSONResponse(
        error_body(
            "unavailable", "UniSettle cannot reach its database or broker right now; try again shortly"
        ),
        503,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", error=repr(exc))
    return JSONResponse(error_body("internal_error", "an internal error occurred"), 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for transient in TRANSIENT:  # lost connections, a restarting database, deadlocks: retry later
        app.add_exception_handler(transient, _unavailable)
    app.add_exception_handler(Exception, _unexpected)

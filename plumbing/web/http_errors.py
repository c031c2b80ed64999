"""The edge of the error shape: every AppError, validation error, HTTP error, transient failure
and crash answered as {"error": {"code", "message", "details"}} with its status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from plumbing.errors import AppError, error_body
from plumbing.ops.logs import get_logger
from plumbing.retry import TRANSIENT

log = get_logger(__name__)

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


# What FastAPI answers (400) when reading a JSON body fails other than as malformed JSON: an integer
# of more digits than Python reads (4,300), or bytes that are not UTF-8. Such a body is an invalid
# request like any other JSON the API cannot take (422).
_UNREADABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        details = [
            {
                "loc": ["body"],
                "msg": "the body cannot be read: a number too long, or bytes that are not UTF-8",
                "type": "json_invalid",
            }
        ]
        return JSONResponse(error_body("invalid_request", "the request is not valid", details), 422)
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

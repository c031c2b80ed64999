"""Schemathesis hooks for the fuzzing run (`SCHEMATHESIS_HOOKS=tests.fuzz_hooks`): every error
answer must be in the shared error shape, and long polls are kept short so the run stays fast."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

# Files sent as the body (an invoice's PDF or OFD): a real PDF's first bytes, or any bytes at all.
schemathesis.openapi.media_type(
    "application/pdf", st.sampled_from([b"%PDF-1.7\n%%EOF\n", b"%PDF-"]) | st.binary()
)
schemathesis.openapi.media_type("application/ofd", st.binary(max_size=2048))


@schemathesis.check
def shared_error_shape(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx and 5xx is JSON {"error": {"code": ..., "message": ...}} with a stable code."""
    if response.status_code < 400:
        return
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AssertionError(
            f"{response.status_code} is not in the shared error shape: {response.text[:200]}"
        ) from exc
    if not (isinstance(error.get("code"), str) and error["code"] and isinstance(error.get("message"), str)):
        raise AssertionError(f"{response.status_code} error without a code and a message: {error}")


@schemathesis.hook
def map_query(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    """`wait_for` long-polls up to `timeout` seconds: fuzz it, but do not wait for it."""
    if query and "timeout" in query:
        query["timeout"] = 0.1
    return query

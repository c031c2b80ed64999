"""The demo's client side: where the services are, who acts (tokens), and how a step that waits
for events to arrive is retried (tenacity, with the project's rule for transient failures)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, retry_if_result, stop_after_delay, wait_fixed

from plumbing.retry import is_transient
from plumbing.settings import StackSettings
from plumbing.web.auth import Principal, Role

HERE = Path(__file__).parent.parent / "seed" / "reference"
URL = {
    "orders": "http://127.0.0.1:8001",
    "settlement": "http://127.0.0.1:8002",
    "suppliers": "http://127.0.0.1:8003",
    "refunds": "http://127.0.0.1:8004",
    "invoices": "http://127.0.0.1:8007",
    "console": "http://127.0.0.1:8005",
}
UNI = "tsinghua"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
codec = StackSettings().token_codec()


def auth(
    role: Role, sub: str, tenant: str = UNI, supplier_id: str | None = None, org_unit: str | None = None
) -> dict[str, str]:
    principal = Principal(
        subject=sub, role=role, tenant_id=tenant, supplier_id=supplier_id, org_unit_id=org_unit
    )
    return {"Authorization": f"Bearer {codec.issue(principal)}"}


OPS = auth(Role.PLATFORM_OPS, "ops-demo", "platform")
FINANCE = auth(Role.UNIVERSITY_FINANCE, "finance-office")
SCHOOL_FINANCE = auth(Role.UNIVERSITY_FINANCE, "chem-finance", org_unit="S-CHEM")  # 化学学院's office
DEAN = auth(Role.UNIT_APPROVER, "dean-chen", org_unit="S-CHEM")
ALICE = auth(Role.RESEARCHER, "alice")
PI = auth(Role.RESEARCHER, "prof-wang")
OFFICER = auth(Role.SAFETY_OFFICER, "officer-zhao")
BUYERS = {  # who buys on which grant, and who leads it
    "G-NSFC-2026-001": ([ALICE, auth(Role.RESEARCHER, "bob")], PI),
    "G-MOST-2026-017": ([auth(Role.RESEARCHER, "carol")], auth(Role.RESEARCHER, "prof-li")),
}
STRETCH = 36  # carts in the simulated stretch of trading


def supplier_auth(sid: str) -> dict[str, str]:
    return auth(Role.SUPPLIER, f"{sid.lower()}-admin", "platform", sid)


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise SystemExit(f"seed failed: {response.request.method} {response.request.url}: {response.text}")
    return response.json()


async def until_accepted(
    what: str, send: Callable[[], Awaitable[httpx.Response]], accepted: tuple[int, ...] = (200, 201)
) -> httpx.Response:
    """Send until the answer is accepted — another service learns of what this step needs from
    events, a moment later — for at most a minute; transient failures are retried too."""
    retrying = AsyncRetrying(
        stop=stop_after_delay(60),
        wait=wait_fixed(0.5),
        retry=retry_if_result(lambda r: r.status_code not in accepted) | retry_if_exception(is_transient),
        retry_error_callback=lambda state: (
            state.outcome.result() if state.outcome is not None and not state.outcome.failed else None
        ),
    )

    async def once() -> httpx.Response:
        return await send()

    response: httpx.Response | None = await retrying(once)
    if response is None or response.status_code not in accepted:
        raise SystemExit(f"seed failed: {what}: {response.text if response is not None else 'no answer'}")
    return response

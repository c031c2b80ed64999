"""No one approves a purchase they asked for: a PI's own order over the grant's threshold waits
for the university's finance office, through the running services."""

from __future__ import annotations

from typing import Any

import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import GRANT, Flow
from tests.e2e.test_money_flow import FINANCE, auth, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e
PI = auth(Role.RESEARCHER, "prof-wang")


async def pi_order(flow: Flow, order_id: str, wait_for: str) -> Any:
    order = ok(
        await flow.http.get(
            f"{flow.orders}/v1/orders/{order_id}", headers=PI, params={"wait_for": wait_for, "timeout": 30}
        )
    )
    assert order["status"] == wait_for, order
    return order


async def test_a_pi_cannot_approve_his_own_purchase(flow: Flow) -> None:
    placed: dict[str, Any] = {}

    async def checked_out() -> bool:
        response = await flow.http.post(
            f"{flow.orders}/v1/checkouts",
            headers={**PI, "Idempotency-Key": "pi-buys-1"},
            json={
                "grant_id": GRANT,
                "lines": [
                    {"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 20, "unit_price_minor": 2800}
                ],
            },
        )
        placed.update(response.json())
        return response.status_code == 201

    await eventually(checked_out, timeout=60, what="orders to learn the catalog and the grant")
    order_id = placed["orders"][0]["order_id"]  # 56,000 fen: over the 50,000 threshold
    order = await pi_order(flow, order_id, "PENDING_APPROVAL")
    assert order["approvals_pending"] == ["over_threshold"]

    own = await flow.http.post(f"{flow.orders}/v1/orders/{order_id}/approve", headers=PI)
    assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"
    own_denial = await flow.http.post(
        f"{flow.orders}/v1/orders/{order_id}/deny", headers=PI, json={"reason": "changed my mind"}
    )
    assert own_denial.status_code == 403 and own_denial.json()["error"]["code"] == "self_approval"
    elsewhere = await flow.http.post(
        f"{flow.orders}/v1/orders/{order_id}/approve", headers=auth(Role.UNIVERSITY_FINANCE, "fo-9", "fudan")
    )
    assert elsewhere.status_code in (403, 404)
    await pi_order(flow, order_id, "PENDING_APPROVAL")

    approved = ok(await flow.http.post(f"{flow.orders}/v1/orders/{order_id}/approve", headers=FINANCE))
    assert approved["approvals_pending"] == []
    await pi_order(flow, order_id, "PAID")

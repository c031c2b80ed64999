"""While PostgreSQL is down, every request is answered 503 `unavailable` in the shared error shape
with `Retry-After` (never a 500), and once it is back the services serve again by themselves."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, ok
from tests.stack import eventually, stack_sh

pytestmark = pytest.mark.e2e


async def test_requests_while_the_database_restarts_are_told_to_retry(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    order_id = await flow.completed_order(quantity=1)
    checkout = {
        "grant_id": GRANT,
        "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
    }
    refund = {"order_id": order_id, "amount_minor": 100, "reason_code": "damaged", "reason": "dented"}
    requests = [
        ("POST", f"{flow.orders}/v1/checkouts", {**ALICE, "Idempotency-Key": "outage-1"}, checkout),
        ("GET", f"{flow.orders}/v1/orders/{order_id}", ALICE, None),
        ("GET", f"{flow.settlement}/v1/grants/{GRANT}/execution", FINANCE, None),
        ("GET", f"{flow.settlement}/v1/suppliers/SUP-004/balance", OPS, None),
        ("POST", f"{flow.refunds}/v1/refunds", ALICE, refund),
        ("GET", f"{flow.suppliers}/v1/suppliers/SUP-004", OPS, None),
    ]

    await stack_sh("kill", "postgres")
    try:
        answers = [await flow.http.request(m, url, headers=h, json=body) for m, url, h, body in requests]
    finally:
        await stack_sh("up")
    wrong = [
        f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:200]}"
        for r in answers
        if r.status_code != 503
        or r.json()["error"]["code"] != "unavailable"
        or r.headers.get("Retry-After") != "1"
    ]
    assert wrong == []

    async def serving() -> bool:  # the pools reconnect on their own: nothing is restarted
        try:
            return (
                await flow.http.get(f"{flow.orders}/v1/orders/{order_id}", headers=ALICE)
            ).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(serving, timeout=60, what="orders to serve again")
    again = await flow.http.post(
        f"{flow.orders}/v1/checkouts", headers={**ALICE, "Idempotency-Key": "outage-1"}, json=checkout
    )
    new_order = ok(again, 201)["orders"][0]["order_id"]
    await flow.order(new_order, "PAID")
    await checks_pass(services)

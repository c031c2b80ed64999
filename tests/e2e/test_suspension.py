"""A supplier suspended while its orders are open: no new sales, open orders still complete,
payouts wait until it is reinstated."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, OPS, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e


async def test_suspension_stops_new_sales_and_payouts_but_not_open_orders(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    http = flow.http
    order_id = await flow.paid_order()
    ok(
        await http.post(
            f"{flow.suppliers}/v1/suppliers/SUP-004/suspend",
            headers=OPS,
            json={"reason": "quality complaints under investigation"},
        )
    )
    cart = {
        "grant_id": GRANT,
        "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
    }

    async def refused() -> bool:
        response = await http.post(
            f"{flow.orders}/v1/checkouts",
            json=cart,
            headers={**ALICE, "Idempotency-Key": f"after-suspension-{uuid.uuid4()}"},
        )
        return response.status_code == 422 and response.json()["error"]["code"] == "supplier_not_active"

    await eventually(refused, what="orders to learn of the suspension")

    await flow.ship(order_id, "SF9")
    ok(await http.post(f"{flow.orders}/v1/orders/{order_id}/confirm-receipt", headers=ALICE))
    await flow.order(order_id, "COMPLETED")

    async def skipped() -> bool:
        run = ok(await http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))
        return bool(run["skipped"] == {"SUP-004": "supplier_not_active"} and run["paid"] == {})

    await eventually(skipped, what="settlement to learn of the suspension")
    ok(
        await http.post(
            f"{flow.suppliers}/v1/suppliers/SUP-004/reinstate",
            headers=OPS,
            json={"reason": "investigation closed"},
        )
    )

    async def paid() -> bool:
        run = ok(await http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))
        return bool(run["paid"] == {"SUP-004": 8_400 - 50})

    await eventually(paid, what="the reinstated supplier to be paid")
    await checks_pass(services)

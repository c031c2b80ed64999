"""Deadlines across the running services (shortened by settings): an order the supplier does not
ship cancels itself and settlement returns the escrow; an order nobody confirms confirms itself
and settlement pays the supplier."""

from __future__ import annotations

import pytest

from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import FINANCE, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e
SECONDS = 1 / 3600  # one second, in the hours the settings take


@pytest.mark.service_env(ORDERS_SHIP_WINDOW_HOURS=3 * SECONDS, ORDERS_TIMER_POLL_SECONDS=0.2)
async def test_an_unshipped_order_cancels_itself_and_the_grant_gets_its_money_back(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    http = flow.http
    order_id = await flow.paid_order()
    cancelled = await flow.order(order_id, "CANCELLED")

    async def voided() -> bool:
        escrow = ok(await http.get(f"{flow.settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
        order = await flow.order(order_id, "CANCELLED")
        return bool(escrow["status"] == "voided" and order["funds"] == "voided")

    await eventually(voided, what="settlement to void the escrow, and the order to hear of it")
    timeline = ok(await http.get(f"{flow.orders}/v1/orders/{order_id}/timeline", headers=FINANCE))
    assert [(t["action"], t["reason"]) for t in timeline[-2:]] == [
        ("cancelled", "not_shipped_in_time: the supplier did not ship in time"),
        ("escrow voided", "the money is back on the grant"),
    ]
    assert cancelled["status"] == "CANCELLED"
    assert (await flow.execution())["encumbered"] == 0
    await checks_pass(services)


@pytest.mark.service_env(ORDERS_AUTO_CONFIRM_HOURS=3 * SECONDS, ORDERS_TIMER_POLL_SECONDS=0.2)
async def test_an_unconfirmed_receipt_confirms_itself_and_the_supplier_is_paid(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    http = flow.http
    order_id = await flow.paid_order()
    await flow.ship(order_id, "SF7")
    await flow.order(order_id, "COMPLETED")
    timeline = ok(await http.get(f"{flow.orders}/v1/orders/{order_id}/timeline", headers=FINANCE))
    assert [t["action"] for t in timeline][-2:] == ["receipt auto-confirmed", "escrow released"]
    assert (await flow.execution())["expended"] == 8_400
    await checks_pass(services)

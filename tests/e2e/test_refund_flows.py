"""Refunds across the four services as separate processes: the grant is made whole on every
path, the order reflects it, and the SLA report says when and from where each refund was paid."""

from __future__ import annotations

import pytest

from plumbing.auth import Role
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import FINANCE, OPS, auth, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e


async def test_a_full_refund_before_shipping_returns_the_escrow_and_closes_the_order(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    http = flow.http
    order_id = await flow.paid_order()
    case = await flow.refund(order_id, 8_400)
    assert case["source"] == "escrow" and case["settled_at"] <= case["pay_by"]
    closed = await flow.order(order_id, "CLOSED")
    assert (closed["refund_state"], closed["refunded_minor"]) == ("fully_refunded", 8_400)
    total = await flow.execution()
    assert (total["encumbered"], total["expended"], total["refunded"], total["available"]) == (
        0,
        0,
        8_400,
        100_000,
    )
    escrow = ok(await http.get(f"{flow.settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
    assert escrow["status"] == "refunded"
    await checks_pass(services)


async def test_a_partial_refund_after_receipt_comes_back_from_the_supplier(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    http = flow.http
    order_id = await flow.completed_order()
    case = await flow.refund(order_id, 2_800)
    assert case["source"] == "supplier_balance"

    async def reflected() -> bool:
        order = await flow.order(order_id, "COMPLETED")
        return bool(order["refunded_minor"] == 2_800 and order["refund_state"] == "partially_refunded")

    await eventually(reflected, what="the order to show the refund")
    total = await flow.execution()
    assert (total["expended"], total["refunded"], total["available"]) == (5_600, 2_800, 94_400)
    report = ok(
        await http.get(f"{flow.refunds}/v1/refunds/sla/report", headers=auth(Role.PLATFORM_OPS, "ops"))
    )
    assert report == [
        {
            "supplier_id": "SUP-004",
            "agreed": 1,
            "paid": 1,
            "paid_within_sla": 1,
            "overdue_unpaid": 0,
            "average_seconds_to_pay": report[0]["average_seconds_to_pay"],
            "by_source": {"supplier_balance": 1},
        }
    ]
    await checks_pass(services)


async def test_after_a_payout_the_guarantee_advances_the_refund_and_recovers_it_from_the_next_sale(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    http = flow.http
    first = await flow.completed_order()
    run = ok(await http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))
    assert run["paid"] == {"SUP-004": 8_400 - 50}  # 60 bp fee

    case = await flow.refund(first, 4_000)
    assert case["source"] == "guarantee_advance"
    balance = ok(await http.get(f"{flow.settlement}/v1/suppliers/SUP-004/balance", headers=OPS))
    assert balance["receivable"] == 4_000
    assert (await flow.execution())["refunded"] == 4_000

    await flow.completed_order(quantity=5)  # 14,000 fen: the next release repays the fund

    async def recovered() -> bool:
        got = ok(await http.get(f"{flow.settlement}/v1/suppliers/SUP-004/balance", headers=OPS))
        return bool(got["receivable"] == 0)

    await eventually(recovered, what="the receivable to be recovered")
    balance = ok(await http.get(f"{flow.settlement}/v1/suppliers/SUP-004/balance", headers=OPS))
    assert balance["available"] == 14_000 - 84 - 4_000
    guarantee = ok(await http.get(f"{flow.settlement}/v1/guarantee", headers=OPS))
    assert guarantee["advanced_outstanding"] == 0
    await checks_pass(services)

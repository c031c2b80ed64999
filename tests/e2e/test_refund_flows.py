"""Refunds across the four services as separate processes: the grant is made whole on every
path, the order reflects it, and the SLA report says when and from where each refund was paid."""

from __future__ import annotations

import pytest

from plumbing.web.auth import Role
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


async def test_the_sla_report_shows_each_university_only_its_own_refunds(
    flow: Flow,
    services: dict[str, ServiceProcess],
) -> None:
    """Two universities buy from the same supplier and are refunded from escrow, one of them also
    from the supplier's balance: each university's figures count its own refunds only."""
    fudan_finance, chen = (
        auth(Role.UNIVERSITY_FINANCE, "fo-2", "fudan"),
        auth(Role.RESEARCHER, "chen", "fudan"),
    )
    await flow.register_grant("G-FUDAN-2026-7", fudan_finance, buyers=["chen"], pi="prof-li")
    held = await flow.paid_order()
    assert (await flow.refund(held, 1_000))["source"] == "escrow"
    fudan_held = await flow.paid_order(buyer=chen, grant="G-FUDAN-2026-7")
    assert (await flow.refund(fudan_held, 1_500, buyer=chen))["source"] == "escrow"
    completed = await flow.completed_order(buyer=chen, grant="G-FUDAN-2026-7")
    assert (await flow.refund(completed, 2_000, buyer=chen))["source"] == "supplier_balance"

    def line(by_source: dict[str, int]) -> list[dict[str, object]]:
        agreed = sum(by_source.values())
        return [
            {
                "supplier_id": "SUP-004",
                "agreed": agreed,
                "paid": agreed,
                "paid_within_sla": agreed,
                "overdue_unpaid": 0,
                "by_source": by_source,
            }
        ]

    async def report(headers: dict[str, str]) -> list[dict[str, object]]:
        rows = ok(await flow.http.get(f"{flow.refunds}/v1/refunds/sla/report", headers=headers))
        return [{k: v for k, v in r.items() if k != "average_seconds_to_pay"} for r in rows]

    assert await report(FINANCE) == line({"escrow": 1})
    assert await report(fudan_finance) == line({"escrow": 1, "supplier_balance": 1})
    assert await report(OPS) == line({"escrow": 2, "supplier_balance": 1})
    supplier = auth(Role.SUPPLIER, "jinling-admin", "platform", "SUP-004")
    assert await report(supplier) == line({"escrow": 2, "supplier_balance": 1})  # its own, everywhere
    for stranger in (chen, auth(Role.LAB_MEMBER, "lab-1"), auth(Role.RESEARCHER, "alice")):
        refused = await flow.http.get(f"{flow.refunds}/v1/refunds/sla/report", headers=stranger)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    await checks_pass(services)

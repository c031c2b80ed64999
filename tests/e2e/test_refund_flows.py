"""Refunds across the four services as separate processes: the grant is made whole on every
path, the order reflects it, and the SLA report says when and from where each refund was paid."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from plumbing.auth import Role
from services.settlement.agreement import disagreements
from services.settlement.check import run_checks
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, SUPPLIER, auth, ok, onboard_supplier
from tests.stack import eventually

pytestmark = pytest.mark.e2e
GRANT = "G-NSFC-2026-001"


class Flow:
    def __init__(self, http: httpx.AsyncClient, services: dict[str, ServiceProcess]) -> None:
        self.http = http
        self.orders, self.settlement, self.suppliers, self.refunds = (
            services[n].url for n in ("orders", "settlement", "suppliers", "refunds")
        )
        self.keys = 0

    async def setup(self) -> None:
        await onboard_supplier(self.http, self.suppliers)
        ok(
            await self.http.post(
                f"{self.settlement}/v1/grants",
                headers=FINANCE,
                json={
                    "grant_id": GRANT,
                    "code": "NSFC-22375001",
                    "title": "Single-cell proteomics",
                    "pi_id": "prof-wang",
                    "authorised_buyers": ["alice"],
                    "budget_by_category": {"consumables": 100_000},
                    "period_start": "2026-01-01",
                    "period_end": "2028-12-31",
                    "approval_threshold_minor": 50_000,
                },
            ),
            201,
        )

    async def paid_order(self, quantity: int = 3) -> str:
        self.keys += 1
        body = {
            "grant_id": GRANT,
            "lines": [
                {"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": quantity, "unit_price_minor": 2800}
            ],
        }
        placed: dict[str, Any] = {}

        async def checked_out() -> bool:
            response = await self.http.post(
                f"{self.orders}/v1/checkouts",
                json=body,
                headers={**ALICE, "Idempotency-Key": f"refund-flow-{self.keys:04d}"},
            )
            placed.update(response.json())
            return response.status_code == 201

        await eventually(checked_out, timeout=60, what="orders to learn the catalog and the grant")
        order_id: str = placed["orders"][0]["order_id"]
        await self.order(order_id, "PAID")
        return order_id

    async def order(self, order_id: str, wait_for: str) -> Any:
        order = ok(
            await self.http.get(
                f"{self.orders}/v1/orders/{order_id}",
                headers=ALICE,
                params={"wait_for": wait_for, "timeout": 30},
            )
        )
        assert order["status"] == wait_for, order
        return order

    async def completed_order(self, quantity: int = 3) -> str:
        order_id = await self.paid_order(quantity)
        ok(
            await self.http.post(
                f"{self.orders}/v1/orders/{order_id}/ship",
                headers=SUPPLIER,
                json={"carrier": "SF Express", "tracking_number": "SF1"},
            )
        )
        ok(await self.http.post(f"{self.orders}/v1/orders/{order_id}/confirm-receipt", headers=ALICE))
        await self.order(order_id, "COMPLETED")
        return order_id

    async def refund(self, order_id: str, amount: int) -> Any:
        async def refundable() -> bool:  # refunds learns the order's status from orders.events
            response = await self.http.post(
                f"{self.refunds}/v1/refunds",
                headers=ALICE,
                json={
                    "order_id": order_id,
                    "amount_minor": amount,
                    "reason_code": "damaged",
                    "reason": "box crushed",
                },
            )
            case.update(response.json())
            return response.status_code == 201

        case: dict[str, Any] = {}
        await eventually(refundable, timeout=30, what="the refund request to be accepted")
        ok(await self.http.post(f"{self.refunds}/v1/refunds/{case['refund_id']}/agree", headers=SUPPLIER))

        async def paid() -> bool:
            got = ok(await self.http.get(f"{self.refunds}/v1/refunds/{case['refund_id']}", headers=ALICE))
            case.update(got)
            return bool(got["status"] == "COMPLETED")

        await eventually(paid, timeout=30, what="settlement to pay the refund")
        return case

    async def execution(self) -> Any:
        return ok(await self.http.get(f"{self.settlement}/v1/grants/{GRANT}/execution", headers=FINANCE))[
            "total"
        ]


async def checks_pass(services: dict[str, ServiceProcess]) -> None:
    conn = await asyncpg.connect(services["settlement"].dsn)
    orders = await asyncpg.connect(services["orders"].dsn)
    try:
        failed = [f"{r.name}: {r.detail}" for r in await run_checks(conn) if not r.ok]
        failed += await disagreements(orders, conn)  # invariant 8: the flows above ended quiet
    finally:
        await conn.close()
        await orders.close()
    assert failed == []


async def test_a_full_refund_before_shipping_returns_the_escrow_and_closes_the_order(
    services: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        flow = Flow(http, services)
        await flow.setup()
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
    services: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        flow = Flow(http, services)
        await flow.setup()
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
    services: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        flow = Flow(http, services)
        await flow.setup()
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

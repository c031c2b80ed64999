"""A walk through the running services as their users take it, shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from services.settlement.checks.invariants import run_checks
from services.settlement.invoice_cover.checks.agreement import disagreements as invoice_disagreements
from services.settlement.money_path.checks.orders_and_escrows import disagreements
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, SUPPLIER, ok, onboard_supplier
from tests.stack import eventually

GRANT = "G-NSFC-2026-001"


class Flow:
    def __init__(self, http: httpx.AsyncClient, services: dict[str, ServiceProcess]) -> None:
        self.http = http
        self.orders, self.settlement, self.suppliers, self.refunds, self.invoices = (
            services[n].url for n in ("orders", "settlement", "suppliers", "refunds", "invoices")
        )
        self.keys = 0

    async def setup(self) -> None:
        await onboard_supplier(self.http, self.suppliers)
        await self.register_grant(GRANT, FINANCE, buyers=["alice"])

    async def register_grant(
        self,
        grant_id: str,
        finance: dict[str, str],
        *,
        buyers: list[str],
        pi: str = "prof-wang",
        budget: int = 100_000,
        code: str = "NSFC-22375001",
    ) -> None:
        """A grant with `budget` (1,000.00) of consumables and a 500.00 approval threshold."""
        ok(
            await self.http.post(
                f"{self.settlement}/v1/grants",
                headers=finance,
                json={
                    "grant_id": grant_id,
                    "code": code,
                    "title": "Single-cell proteomics",
                    "pi_id": pi,
                    "authorised_buyers": buyers,
                    "budget_by_category": {"consumables": budget},
                    "period_start": "2026-01-01",
                    "period_end": "2028-12-31",
                    "approval_threshold_minor": 50_000,
                },
            ),
            201,
        )

    async def paid_order(self, quantity: int = 3, buyer: dict[str, str] = ALICE, grant: str = GRANT) -> str:
        self.keys += 1
        body = {
            "grant_id": grant,
            "lines": [
                {"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": quantity, "unit_price_minor": 2800}
            ],
        }
        placed: dict[str, Any] = {}

        async def checked_out() -> bool:
            response = await self.http.post(
                f"{self.orders}/v1/checkouts",
                json=body,
                headers={**buyer, "Idempotency-Key": f"refund-flow-{self.keys:04d}"},
            )
            placed.update(response.json())
            return response.status_code == 201

        await eventually(checked_out, timeout=60, what="orders to learn the catalog and the grant")
        order_id: str = placed["orders"][0]["order_id"]
        await self.order(order_id, "PAID", buyer)
        return order_id

    async def order(self, order_id: str, wait_for: str, buyer: dict[str, str] = ALICE) -> Any:
        order = ok(
            await self.http.get(
                f"{self.orders}/v1/orders/{order_id}",
                headers=buyer,
                params={"wait_for": wait_for, "timeout": 30},
            )
        )
        assert order["status"] == wait_for, order
        return order

    async def ship(self, order_id: str, tracking_number: str = "SF1") -> None:
        ok(
            await self.http.post(
                f"{self.orders}/v1/orders/{order_id}/ship",
                headers=SUPPLIER,
                json={"carrier": "SF Express", "tracking_number": tracking_number},
            )
        )

    async def completed_order(
        self, quantity: int = 3, buyer: dict[str, str] = ALICE, grant: str = GRANT
    ) -> str:
        order_id = await self.paid_order(quantity, buyer, grant)
        await self.ship(order_id)
        ok(await self.http.post(f"{self.orders}/v1/orders/{order_id}/confirm-receipt", headers=buyer))
        await self.order(order_id, "COMPLETED", buyer)
        return order_id

    async def refund(self, order_id: str, amount: int, buyer: dict[str, str] = ALICE) -> Any:
        async def refundable() -> bool:  # refunds learns the order's status from orders.events
            response = await self.http.post(
                f"{self.refunds}/v1/refunds",
                headers=buyer,
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
            got = ok(await self.http.get(f"{self.refunds}/v1/refunds/{case['refund_id']}", headers=buyer))
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
    invoices = await asyncpg.connect(services["invoices"].dsn)
    try:
        failed = [f"{r.name}: {r.detail}" for r in await run_checks(conn) if not r.ok]
        failed += await disagreements(orders, conn)  # invariant 8: the flows above ended quiet
        agreeing: list[str] = []

        async def invoices_agree() -> bool:  # invariant 12, once settlement has heard the last
            agreeing[:] = await invoice_disagreements(invoices, conn)
            return not agreeing

        try:
            await eventually(invoices_agree, timeout=30, what="settlement to hear every invoice")
        except AssertionError:
            failed += agreeing
    finally:
        await conn.close()
        await orders.close()
        await invoices.close()
    assert failed == [], failed

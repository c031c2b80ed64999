"""The four services as separate processes: a supplier onboards, finance registers a grant, a
researcher checks out, settlement holds the money in escrow, the supplier ships, the researcher
confirms, and the money reaches the supplier — every hop a real event on the real broker."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from plumbing.settings import StackSettings
from plumbing.web.auth import Principal, Role
from services.settlement.checks.invariants import run_checks
from tests.e2e.processes import ServiceProcess
from tests.stack import eventually

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.7\n%%EOF\n"
LEGAL = "Nanjing Jinling Laboratory Supplies Co., Ltd."
codec = StackSettings().token_codec()


def auth(
    role: Role,
    sub: str,
    tenant: str = "tsinghua",
    supplier_id: str | None = None,
    org_unit: str | None = None,
) -> dict[str, str]:
    principal = Principal(
        subject=sub, role=role, tenant_id=tenant, supplier_id=supplier_id, org_unit_id=org_unit
    )
    return {"Authorization": f"Bearer {codec.issue(principal)}"}


SUPPLIER = auth(Role.SUPPLIER, "jinling-admin", "platform", "SUP-004")
OPS = auth(Role.PLATFORM_OPS, "ops-1", "platform")
RECONCILER = auth(Role.RECONCILIATION, "recon-1", "platform")
FINANCE = auth(Role.UNIVERSITY_FINANCE, "fo-1")
ALICE = auth(Role.RESEARCHER, "alice")


def token_of(headers: dict[str, str]) -> str:
    """The bearer token in `auth`'s headers, for the command line's `--token`."""
    return headers["Authorization"].removeprefix("Bearer ")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def onboard_supplier(http: httpx.AsyncClient, url: str) -> None:
    ok(
        await http.post(
            f"{url}/v1/suppliers",
            headers=SUPPLIER,
            json={
                "legal_name": LEGAL,
                "credit_code": "91320102JUCCNBB65D",
                "categories": ["consumables"],
                "contact": {
                    "name": "Zhou Min",
                    "email": "zhou.min@jinling.example",
                    "phone": "+86 25 5555 0199",
                },
            },
        ),
        201,
    )
    ok(
        await http.put(
            f"{url}/v1/suppliers/SUP-004/documents/business_licence",
            content=PDF,
            headers={**SUPPLIER, "Content-Type": "application/pdf"},
        ),
        201,
    )
    ok(await http.post(f"{url}/v1/suppliers/SUP-004/submit", headers=SUPPLIER))
    ok(await http.post(f"{url}/v1/suppliers/SUP-004/approve", headers=OPS))
    ok(
        await http.put(
            f"{url}/v1/suppliers/SUP-004/bank-account",
            headers=SUPPLIER,
            json={
                "bank_name": "Bank of Nanjing",
                "account_number": "6228480402564890018",
                "holder_name": LEGAL,
            },
        )
    )
    seen = ok(await http.get(f"{url}/v1/bank-simulator/suppliers/SUP-004/statement", headers=SUPPLIER))
    active = ok(
        await http.post(
            f"{url}/v1/suppliers/SUP-004/bank-account/verification",
            headers=SUPPLIER,
            json={"amount_minor": seen[0]["amount_minor"]},
        )
    )
    assert active["state"] == "ACTIVE"
    ok(
        await http.post(
            f"{url}/v1/suppliers/SUP-004/listings",
            headers=SUPPLIER,
            json={
                "sku": "CS-0002",
                "name": "Pipette tips 200 uL, sterile",
                "unit": "box of 96",
                "price_minor": 2800,
                "category": "consumables",
            },
        ),
        201,
    )


async def test_a_checkout_settles_to_the_supplier_across_all_services(
    services: dict[str, ServiceProcess],
) -> None:
    orders, settlement, suppliers = (services[n].url for n in ("orders", "settlement", "suppliers"))
    async with httpx.AsyncClient(timeout=30) as http:
        await onboard_supplier(http, suppliers)
        ok(
            await http.post(
                f"{settlement}/v1/grants",
                headers=FINANCE,
                json={
                    "grant_id": "G-NSFC-2026-001",
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

        cart = {
            "grant_id": "G-NSFC-2026-001",
            "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 3, "unit_price_minor": 2800}],
        }
        placed: dict[str, Any] = {}

        async def checked_out() -> (
            bool
        ):  # the catalog and grant reach orders by events: retry until they have
            response = await http.post(
                f"{orders}/v1/checkouts", json=cart, headers={**ALICE, "Idempotency-Key": "e2e-checkout-0001"}
            )
            placed.update(response.json())
            return response.status_code == 201

        await eventually(checked_out, timeout=60, what="orders to learn the catalog and the grant")
        order_id = placed["orders"][0]["order_id"]
        paid = ok(
            await http.get(
                f"{orders}/v1/orders/{order_id}", params={"wait_for": "PAID", "timeout": 30}, headers=ALICE
            )
        )
        assert paid["status"] == "PAID" and paid["funds"] == "reserved"

        ok(
            await http.post(
                f"{orders}/v1/orders/{order_id}/ship",
                headers=SUPPLIER,
                json={"carrier": "SF Express", "tracking_number": "SF1402345678"},
            )
        )
        ok(await http.post(f"{orders}/v1/orders/{order_id}/confirm-receipt", headers=ALICE))
        done = ok(
            await http.get(
                f"{orders}/v1/orders/{order_id}",
                headers=ALICE,
                params={"wait_for": "COMPLETED", "timeout": 30},
            )
        )
        assert done["status"] == "COMPLETED"

        escrow = ok(await http.get(f"{settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
        assert (escrow["status"], escrow["amount"], escrow["fee"]) == ("released", 8_400, 50)
        execution = ok(await http.get(f"{settlement}/v1/grants/G-NSFC-2026-001/execution", headers=FINANCE))
        assert (execution["total"]["expended"], execution["total"]["encumbered"]) == (8_400, 0)
        timeline = ok(await http.get(f"{orders}/v1/orders/{order_id}/timeline", headers=ALICE))
        assert [t["to_status"] for t in timeline] == [
            "AWAITING_FUNDS",
            "PAID",
            "SHIPPED",
            "RECEIVED",
            "COMPLETED",
        ]

    conn = await asyncpg.connect(services["settlement"].dsn)
    try:
        assert all(r.ok for r in await run_checks(conn))
    finally:
        await conn.close()

"""What finance offices and suppliers read adds up, computed by hand: a grant's months add up to
its categories after a refund, a supplier's statement adds up to its balance after a payout, and a
cancelled order says its money went back to the grant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, SUPPLIER, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e


async def test_months_statement_and_funds_add_up(flow: Flow, services: dict[str, ServiceProcess]) -> None:
    http = flow.http
    completed = await flow.completed_order(quantity=3)  # 8,400 fen
    await flow.refund(completed, 2_000)  # after release: from the supplier's balance

    execution = ok(await http.get(f"{flow.settlement}/v1/grants/{GRANT}/execution", headers=FINANCE))
    month = datetime.now(UTC).date().replace(day=1).isoformat()
    assert execution["by_month"] == [
        {"month": month, "category": "consumables", "expended": 6_400, "refunded": 2_000}
    ]
    assert execution["by_category"]["consumables"]["expended"] == 6_400

    # 8,400 released - 50 fee (60 bp, half up) - 2,000 refunded = 6,350 paid out, settled by the bank
    run = ok(await http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))
    assert run["paid"] == {"SUP-004": 6_350}

    async def settled() -> bool:
        payouts = ok(await http.get(f"{flow.settlement}/v1/payouts", headers=SUPPLIER))
        return [p["status"] for p in payouts] == ["settled"]

    await eventually(settled, what="the bank to settle the payout")
    statement: list[dict[str, Any]] = ok(
        await http.get(f"{flow.settlement}/v1/suppliers/SUP-004/statement", headers=SUPPLIER)
    )
    balance = ok(await http.get(f"{flow.settlement}/v1/suppliers/SUP-004/balance", headers=SUPPLIER))
    assert sorted((line["code"], line["credit"], line["debit"], line["pending"]) for line in statement) == [
        ("escrow_release", 8_400, 0, False),
        ("payout_settled", 0, 6_350, False),
        ("platform_fee", 0, 50, False),
        ("refund_supplier_balance", 0, 2_000, False),
    ]
    assert sum(line["credit"] - line["debit"] for line in statement) == balance["available"] == 0
    assert balance["paid_out"] == 6_350

    # A cancelled order: the escrow was voided, and the order says so.
    cancelled = await flow.paid_order(quantity=1)
    ok(await http.post(f"{flow.orders}/v1/orders/{cancelled}/cancel", headers=ALICE, json={"reason": "dup"}))

    async def voided() -> bool:
        order = await flow.order(cancelled, "CANCELLED")
        return bool(order["funds"] == "voided")

    await eventually(voided, what="the order to learn its escrow was voided")
    escrow = ok(await http.get(f"{flow.settlement}/v1/orders/{cancelled}/escrow", headers=FINANCE))
    assert escrow["status"] == "voided"
    await checks_pass(services)  # invariant 8 now compares what the order says of its funds too

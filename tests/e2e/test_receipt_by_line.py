"""Receipt by line across the services as separate processes: the university's rule keeps the
requester from receiving, a lab member receives two lines in part and undoes a receipt within
the window, each final receipt releases its lines' escrow, and a designated receiver takes the
rest — the releases and their fees adding up to the whole order to the fen."""

from __future__ import annotations

from typing import Any

import pytest

from plumbing.web.auth import Role
from services.settlement.money_path.domain.fees import platform_fee
from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, SUPPLIER, auth, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e
BOB = auth(Role.LAB_MEMBER, "bob")
CLERK = auth(Role.RECEIVER, "stores-1")
WINDOW = 4  # seconds


async def three_line_order(flow: Flow) -> str:
    """3 boxes of tips at 28.00, 2 of tubes at 12.50 and 1 of gloves at 33.33: 142.33."""
    for sku, name, price in (
        ("CS-0100", "Microcentrifuge tubes 1.5 mL", 1_250),
        ("CS-0200", "Nitrile gloves M", 3_333),
    ):
        ok(
            await flow.http.post(
                f"{flow.suppliers}/v1/suppliers/SUP-004/listings",
                headers=SUPPLIER,
                json={
                    "sku": sku,
                    "name": name,
                    "unit": "box",
                    "price_minor": price,
                    "category": "consumables",
                },
            ),
            201,
        )
    body = {
        "grant_id": GRANT,
        "lines": [
            {"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 3, "unit_price_minor": 2_800},
            {"supplier_id": "SUP-004", "sku": "CS-0100", "quantity": 2, "unit_price_minor": 1_250},
            {"supplier_id": "SUP-004", "sku": "CS-0200", "quantity": 1, "unit_price_minor": 3_333},
        ],
    }
    placed: dict[str, Any] = {}

    async def checked_out() -> bool:
        response = await flow.http.post(
            f"{flow.orders}/v1/checkouts", json=body, headers={**ALICE, "Idempotency-Key": "three-lines"}
        )
        placed.update(response.json())
        return response.status_code == 201

    await eventually(checked_out, timeout=60, what="orders to learn the new listings")
    order_id: str = placed["orders"][0]["order_id"]
    await flow.order(order_id, "PAID")
    await flow.ship(order_id)
    return order_id


async def test_lines_are_received_in_parts_and_released_as_their_receipts_become_final(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    http, orders, settlement = flow.http, flow.orders, flow.settlement
    ok(
        await http.put(
            f"{settlement}/v1/grants/{GRANT}/buyers",
            headers=FINANCE,
            json={"authorised_buyers": ["alice", "bob"], "approval_threshold_minor": 50_000},
        )
    )
    policy = {"receiver_must_differ": True, "undo_window_seconds": WINDOW}
    ok(await http.put(f"{orders}/v1/universities/tsinghua/receipt-policy", headers=FINANCE, json=policy))
    order_id = await three_line_order(flow)
    receipts = f"{orders}/v1/orders/{order_id}/receipts"

    refused = await http.post(receipts, headers=ALICE, json={"lines": [{"line_no": 1, "quantity": 1}]})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "receiver_is_requester")
    stranger = await http.post(receipts, headers=auth(Role.LAB_MEMBER, "eve"), json={})
    assert stranger.status_code == 404  # not the grant's, nor the order's: it is not found

    async def lab_knows_bob() -> bool:
        r = await http.post(receipts, headers=BOB, json={"lines": [{"line_no": 1, "quantity": 3}]})
        return r.status_code == 201

    await eventually(lab_knows_bob, timeout=30, what="orders to learn bob is on the grant")
    undone = ok(await http.post(f"{receipts}/1/undo", headers=BOB))
    assert [r["state"] for r in undone["receipts"]] == ["undone"]
    assert undone["received"][0] == {"line_no": 1, "ordered": 3, "received": 0, "final": 0}

    too_many = await http.post(receipts, headers=BOB, json={"lines": [{"line_no": 2, "quantity": 3}]})
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (409, "quantity_exceeds_outstanding")
    got = ok(
        await http.post(
            receipts,
            headers=BOB,
            json={"lines": [{"line_no": 1, "quantity": 3}, {"line_no": 2, "quantity": 1}]},
        ),
        201,
    )
    assert [r["state"] for r in got["receipts"]] == ["undone", "pending"]

    async def released_once() -> bool:
        escrow = ok(await http.get(f"{settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
        return bool(escrow["receipts"] == [2])

    await eventually(released_once, timeout=30, what="the receipt's window to close and its escrow to go")
    escrow = ok(await http.get(f"{settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
    first = 3 * 2_800 + 1_250
    assert (escrow["status"], escrow["released"], escrow["fee"]) == ("held", first, platform_fee(first, 60))
    assert escrow["held"] == {"consumables": 14_233 - first}
    late = await http.post(f"{receipts}/2/undo", headers=BOB)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "receipt_final")

    ok(await http.post(receipts, headers=CLERK, json={}), 201)  # the rest: 1 tube and the gloves
    done = await flow.order(order_id, "COMPLETED")
    assert [r["final"] for r in done["received"]] == [3, 2, 1]
    escrow = ok(await http.get(f"{settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
    assert (escrow["status"], escrow["released"], escrow["fee"]) == (
        "released",
        14_233,
        platform_fee(14_233, 60),
    )
    releases = [t for t in escrow["transfers"] if t["code"] == "escrow_release"]
    assert sum(t["amount"] for t in releases) == 14_233
    total = await flow.execution()
    assert (total["encumbered"], total["expended"]) == (0, 14_233)
    await checks_pass(services)

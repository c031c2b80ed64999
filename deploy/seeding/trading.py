"""The demo's trading: carts checked out, approved, paid, shipped and received, some cancelled and
some refunded, shown with a progress bar; then a payout run once every refund has been paid."""

from __future__ import annotations

import asyncio
import functools
import random
from typing import Any

import httpx
from rich.progress import Progress

from seeding.client import ALICE, BUYERS, OFFICER, OPS, PI, STRETCH, URL, ok, supplier_auth, until_accepted
from seeding.invoicing import RECEIVED, invoice_received, invoices_heard


async def checkout(
    http: httpx.AsyncClient,
    key: str,
    lines: list[tuple[str, int]],
    catalog: dict[str, tuple[str, int]],
    grant_id: str = "G-NSFC-2026-001",
    buyer: dict[str, str] = ALICE,
) -> list[str]:
    body = {
        "grant_id": grant_id,
        "lines": [
            {"supplier_id": catalog[sku][0], "sku": sku, "quantity": qty, "unit_price_minor": catalog[sku][1]}
            for sku, qty in lines
        ],
    }
    response = await until_accepted(  # the catalog and grants reach orders as events
        f"checkout {key}",
        lambda: http.post(
            f"{URL['orders']}/v1/checkouts", json=body, headers={**buyer, "Idempotency-Key": f"demo-{key}"}
        ),
    )
    return [o["order_id"] for o in response.json()["orders"]]


async def wait(
    http: httpx.AsyncClient, order_id: str, status: str, buyer: dict[str, str] = ALICE
) -> dict[str, Any]:
    order: dict[str, Any] = ok(
        await http.get(
            f"{URL['orders']}/v1/orders/{order_id}", headers=buyer, params={"wait_for": status, "timeout": 30}
        )
    )
    return order


async def trade(http: httpx.AsyncClient, catalog: dict[str, tuple[str, int]]) -> None:
    orders = await checkout(http, "0001", [("CS-0002", 10), ("RG-0023", 2), ("CS-0005", 4)], catalog)
    orders += await checkout(http, "0002", [("RG-0002", 6)], catalog)  # acetone: needs the safety officer
    orders += await checkout(http, "0003", [("CS-0001", 3)], catalog)
    for order_id in orders:
        await approve_as_needed(http, order_id, ALICE, PI)
        await wait(http, order_id, "PAID")
    *fulfilled, cancelled = orders
    ok(
        await http.post(
            f"{URL['orders']}/v1/orders/{cancelled}/cancel",
            headers=ALICE,
            json={"reason": "ordered twice by mistake"},
        )
    )
    for n, order_id in enumerate(fulfilled, start=1):
        await ship(http, await wait(http, order_id, "PAID"), f"SF14023456{n:02d}")  # the same every run
        await receive(http, order_id, ALICE)
    order = await wait(http, fulfilled[0], "COMPLETED")
    await refund(http, order, ALICE, order["lines"][0]["unit_price_minor"])


async def approve_as_needed(
    http: httpx.AsyncClient, order_id: str, buyer: dict[str, str], pi: dict[str, str]
) -> None:
    """Each approval the order waits for, in order: the grant's PI for large or lab members'
    orders, the safety officer for hazardous items (the demo's carts stay under the deans' limits)."""
    order = ok(await http.get(f"{URL['orders']}/v1/orders/{order_id}", headers=buyer))
    by_approver = {"principal_investigator": pi, "safety_officer": OFFICER}
    for step in order["approvals"]:
        if step["given_by"] is None:
            headers = by_approver[step["approver"]]
            ok(await http.post(f"{URL['orders']}/v1/orders/{order_id}/approve", headers=headers))


async def ship(http: httpx.AsyncClient, order: dict[str, Any], tracking_number: str) -> None:
    ok(
        await http.post(
            f"{URL['orders']}/v1/orders/{order['order_id']}/ship",
            headers=supplier_auth(order["supplier_id"]),
            json={"carrier": "SF Express", "tracking_number": tracking_number},
        )
    )


async def receive(http: httpx.AsyncClient, order_id: str, buyer: dict[str, str]) -> dict[str, Any]:
    """The buyer confirms receipt; returns the order once settlement has released the escrow."""
    ok(await http.post(f"{URL['orders']}/v1/orders/{order_id}/confirm-receipt", headers=buyer))
    order = await wait(http, order_id, "COMPLETED", buyer)
    RECEIVED.append((order, buyer))
    return order


async def order_life(
    http: httpx.AsyncClient, n: int, rng: random.Random, catalog: dict[str, tuple[str, int]]
) -> None:
    """One cart through its life: most are received, some stay in transit or wait to ship, a few
    are cancelled, and some received ones get part of their money back."""
    grant_id = "G-NSFC-2026-001" if n % 3 else "G-MOST-2026-017"
    buyers, pi = BUYERS[grant_id]
    buyer = buyers[n % len(buyers)]
    skus = rng.sample(sorted(catalog), rng.randint(1, 3))
    for order_id in await checkout(
        http, f"s{n:03d}", [(sku, rng.randint(1, 4)) for sku in skus], catalog, grant_id, buyer
    ):
        await approve_as_needed(http, order_id, buyer, pi)
        order = await wait(http, order_id, "PAID", buyer)
        if order["status"] != "PAID":
            continue  # e.g. refused for budget: the summary shows it
        fate = rng.random()
        if fate < 0.08:
            ok(
                await http.post(
                    f"{URL['orders']}/v1/orders/{order_id}/cancel",
                    headers=buyer,
                    json={"reason": "found it in the lab next door"},
                )
            )
            continue
        if fate < 0.18:
            continue  # waiting to be shipped
        await ship(http, order, f"SF{rng.randrange(10**9, 10**10)}")
        if fate < 0.30:
            continue  # in transit
        order = await receive(http, order_id, buyer)
        if fate > 0.90:
            await refund(http, order, buyer, order["lines"][0]["unit_price_minor"])


async def refund(http: httpx.AsyncClient, order: dict[str, Any], buyer: dict[str, str], amount: int) -> str:
    """Part of a received order's money back, agreed by the supplier; the refund's id."""
    opened = await until_accepted(  # refunds learns of the completion from orders.events
        f"refund on {order['order_id']}",
        lambda: http.post(
            f"{URL['refunds']}/v1/refunds",
            headers=buyer,
            json={
                "order_id": order["order_id"],
                "amount_minor": amount,
                "reason_code": "damaged",
                "reason": "one unit arrived damaged",
            },
        ),
        accepted=(201,),
    )
    refund_id: str = opened.json()["refund_id"]
    ok(
        await http.post(
            f"{URL['refunds']}/v1/refunds/{refund_id}/agree", headers=supplier_auth(order["supplier_id"])
        )
    )
    REFUNDS.append((refund_id, buyer))
    return refund_id


async def refunds_paid(http: httpx.AsyncClient) -> None:
    """Wait until every agreed refund has reached its grant (COMPLETED)."""
    for refund_id, buyer in REFUNDS:
        await until_accepted(
            f"refund {refund_id} paid", functools.partial(_completed, http, refund_id, buyer)
        )


async def _completed(http: httpx.AsyncClient, refund_id: str, buyer: dict[str, str]) -> httpx.Response:
    response = await http.get(f"{URL['refunds']}/v1/refunds/{refund_id}", headers=buyer)
    if response.status_code == 200 and response.json()["status"] != "COMPLETED":
        return httpx.Response(409, text=f"refund {refund_id} is {response.json()['status']}")
    return response


REFUNDS: list[tuple[str, dict[str, str]]] = []  # agreed in this run: paid before the payout run


async def stretch(http: httpx.AsyncClient, catalog: dict[str, tuple[str, int]]) -> None:
    rng = random.Random(2026)
    gate = asyncio.Semaphore(6)
    with Progress(transient=False) as progress:
        task = progress.add_task("trading", total=STRETCH)

        async def one(n: int) -> None:
            async with gate:
                await order_life(http, n, random.Random(rng.random() + n), catalog)
                progress.advance(task)

        await asyncio.gather(*(one(n) for n in range(STRETCH)))
    await refunds_paid(http)  # every release is in (each order waited for its status)
    await invoice_received(http)
    await invoices_heard(http)  # settlement has heard of every invoice: pay out now
    ok(await http.post(f"{URL['settlement']}/v1/payouts/runs", headers=OPS))
    order, buyer = RECEIVED[1]  # invoiced and paid: a refund now owes a red-letter invoice
    await refund(http, order, buyer, order["lines"][0]["unit_price_minor"])
    await refunds_paid(http)

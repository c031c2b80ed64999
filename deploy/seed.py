"""Demo data for `make up`: a university with grants, PIs, a lab member and a safety officer;
the reference suppliers onboarded with their catalogs (hazardous ones licensed); and a stretch of
trading — orders paid, shipped, received, one cancelled, one refunded, and a payout run — all
through the public APIs, so every step is a real event. Running it again changes nothing."""

from __future__ import annotations

import asyncio
import csv
import random
import sys
import zlib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from plumbing.auth import Principal, Role
from plumbing.settings import StackSettings

HERE = Path(__file__).parent / "seed" / "reference"
URL = {
    "orders": "http://127.0.0.1:8001",
    "settlement": "http://127.0.0.1:8002",
    "suppliers": "http://127.0.0.1:8003",
    "refunds": "http://127.0.0.1:8004",
}
UNI = "tsinghua"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
codec = StackSettings().token_codec()


def auth(role: Role, sub: str, tenant: str = UNI, supplier_id: str | None = None) -> dict[str, str]:
    principal = Principal(subject=sub, role=role, tenant_id=tenant, supplier_id=supplier_id)
    return {"Authorization": f"Bearer {codec.issue(principal)}"}


OPS = auth(Role.PLATFORM_OPS, "ops-demo", "platform")
FINANCE = auth(Role.UNIVERSITY_FINANCE, "finance-office")
ALICE = auth(Role.RESEARCHER, "alice")
PI = auth(Role.RESEARCHER, "prof-wang")
OFFICER = auth(Role.SAFETY_OFFICER, "officer-zhao")
BUYERS = {  # who buys on which grant, and who leads it
    "G-NSFC-2026-001": ([ALICE, auth(Role.RESEARCHER, "bob")], PI),
    "G-MOST-2026-017": ([auth(Role.RESEARCHER, "carol")], auth(Role.RESEARCHER, "prof-li")),
}
STRETCH = 36  # carts in the simulated stretch of trading


def supplier_auth(sid: str) -> dict[str, str]:
    return auth(Role.SUPPLIER, f"{sid.lower()}-admin", "platform", sid)


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise SystemExit(f"seed failed: {response.request.method} {response.request.url}: {response.text}")
    return response.json()


async def onboard(http: httpx.AsyncClient, row: dict[str, str]) -> None:
    sid, me = row["ref"], supplier_auth(row["ref"])
    hazardous = row["hazardous_licence"] == "yes"
    base = f"{URL['suppliers']}/v1/suppliers/{sid}"
    ok(
        await http.post(
            f"{URL['suppliers']}/v1/suppliers",
            headers=me,
            json={
                "legal_name": row["legal_name"],
                "credit_code": row["uscc"],
                "categories": ["reagents", "consumables"] if hazardous else ["consumables", "reagents"],
                "contact": {
                    "name": "Sales desk",
                    "email": f"sales@{sid.lower()}.example",
                    "phone": "+86 21 5555 0100",
                },
            },
        )
    )
    ok(
        await http.put(
            f"{base}/documents/business_licence",
            content=PDF + sid.encode(),
            headers={**me, "Content-Type": "application/pdf"},
        )
    )
    if hazardous:
        until = (date.today() + timedelta(days=365)).isoformat()
        ok(
            await http.put(
                f"{base}/documents/hazardous_licence",
                params={"valid_until": until},
                content=PDF + b"hz" + sid.encode(),
                headers={**me, "Content-Type": "application/pdf"},
            )
        )
    ok(await http.post(f"{base}/submit", headers=me))
    ok(await http.post(f"{base}/approve", headers=OPS))
    ok(
        await http.put(
            f"{base}/bank-account",
            headers=me,
            json={
                "bank_name": "Bank of China",
                "account_number": f"6216{zlib.crc32(sid.encode()) % 10**12:012d}9",  # the same every run
                "holder_name": row["legal_name"],
            },
        )
    )
    seen = ok(await http.get(f"{URL['suppliers']}/v1/bank-simulator/suppliers/{sid}/statement", headers=me))
    ok(
        await http.post(
            f"{base}/bank-account/verification", headers=me, json={"amount_minor": seen[0]["amount_minor"]}
        )
    )


def hazards(row: dict[str, str]) -> str | None:
    tags = [t for t in row["ghs_hazards"].split(",") if t != "none"]
    if "explosive-precursor" in row["cn_control"]:
        tags.append("explosive-precursor")
    return ",".join(tags) or None


async def publish_catalog(http: httpx.AsyncClient) -> dict[str, tuple[str, int]]:
    """Hazardous reagents go to the licensed suppliers, the rest round-robin.
    Returns sku → (supplier, price)."""
    listed: dict[str, tuple[str, int]] = {}
    licensed, others = ["SUP-002", "SUP-005"], ["SUP-001", "SUP-003"]
    with (HERE / "reagents.csv").open() as f:
        for n, row in enumerate(csv.DictReader(f)):
            hz = hazards(row)
            sid = (licensed if hz else others)[n % 2]
            ok(
                await http.post(
                    f"{URL['suppliers']}/v1/suppliers/{sid}/listings",
                    headers=supplier_auth(sid),
                    json={
                        "sku": row["sku"],
                        "name": row["name"],
                        "unit": row["unit"],
                        "price_minor": int(row["price_minor"]),
                        "category": "reagents",
                        "hazard_class": hz,
                        "cas_number": row["cas"],
                    },
                )
            )
            listed[row["sku"]] = (sid, int(row["price_minor"]))
    with (HERE / "consumables.csv").open() as f:
        for n, row in enumerate(csv.DictReader(f)):
            sid = ["SUP-004", "SUP-006"][n % 2]
            ok(
                await http.post(
                    f"{URL['suppliers']}/v1/suppliers/{sid}/listings",
                    headers=supplier_auth(sid),
                    json={
                        "sku": row["sku"],
                        "name": row["name"],
                        "unit": row["unit"],
                        "price_minor": int(row["price_minor"]),
                        "category": row["category"],
                    },
                )
            )
            listed[row["sku"]] = (sid, int(row["price_minor"]))
    return listed


async def grants(http: httpx.AsyncClient) -> None:
    start = date.today().replace(month=1, day=1)
    for grant_id, code, title, pi, buyers, budget in [
        (
            "G-NSFC-2026-001",
            "NSFC-22375001",
            "Catalytic asymmetric synthesis of chiral amines",
            "prof-wang",
            ["alice", "bob"],
            {"reagents": 3_000_000, "consumables": 800_000},
        ),
        (
            "G-MOST-2026-017",
            "MOST-2026YFA1500017",
            "Single-cell proteomics platform",
            "prof-li",
            ["carol"],
            {"reagents": 1_500_000, "consumables": 1_200_000, "equipment": 5_000_000},
        ),
    ]:
        ok(
            await http.post(
                f"{URL['settlement']}/v1/grants",
                headers=FINANCE,
                json={
                    "grant_id": grant_id,
                    "code": code,
                    "title": title,
                    "pi_id": pi,
                    "authorised_buyers": buyers,
                    "budget_by_category": budget,
                    "period_start": start.isoformat(),
                    "period_end": start.replace(year=start.year + 2, month=12, day=31).isoformat(),
                    "approval_threshold_minor": 500_000,
                    "execution_targets": [
                        {"on": start.replace(month=12, day=31).isoformat(), "rate_bp": 4000},
                        {
                            "on": start.replace(year=start.year + 2, month=12, day=31).isoformat(),
                            "rate_bp": 9500,
                        },
                    ],
                },
            )
        )


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
    for _ in range(120):  # the catalog and grants reach orders as events: wait until they have
        response = await http.post(
            f"{URL['orders']}/v1/checkouts", json=body, headers={**buyer, "Idempotency-Key": f"demo-{key}"}
        )
        if response.status_code in (200, 201):
            return [o["order_id"] for o in response.json()["orders"]]
        await asyncio.sleep(0.5)
    raise SystemExit(f"seed failed: checkout {key}: {response.text}")


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
    """The safety officer approves hazardous items, the grant's PI large or lab members' orders."""
    order = ok(await http.get(f"{URL['orders']}/v1/orders/{order_id}", headers=buyer))
    if "hazardous_item" in order["approvals_pending"]:
        ok(await http.post(f"{URL['orders']}/v1/orders/{order_id}/approve", headers=OFFICER))
    if {"over_threshold", "lab_member_purchase"} & set(order["approvals_pending"]):
        ok(await http.post(f"{URL['orders']}/v1/orders/{order_id}/approve", headers=pi))


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
    return await wait(http, order_id, "COMPLETED", buyer)


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.draw()

    def step(self) -> None:
        self.done += 1
        self.draw()
        if self.done == self.total:
            print(file=sys.stderr)

    def draw(self) -> None:
        filled = 30 * self.done // self.total
        bar = "#" * filled + "." * (30 - filled)
        print(f"\r  {self.label:<10} [{bar}] {self.done}/{self.total}", end="", file=sys.stderr, flush=True)


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


async def refund(http: httpx.AsyncClient, order: dict[str, Any], buyer: dict[str, str], amount: int) -> None:
    for _ in range(60):  # refunds learns of the completion from orders.events
        response = await http.post(
            f"{URL['refunds']}/v1/refunds",
            headers=buyer,
            json={
                "order_id": order["order_id"],
                "amount_minor": amount,
                "reason_code": "damaged",
                "reason": "one unit arrived damaged",
            },
        )
        if response.status_code == 201:
            ok(
                await http.post(
                    f"{URL['refunds']}/v1/refunds/{response.json()['refund_id']}/agree",
                    headers=supplier_auth(order["supplier_id"]),
                )
            )
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"seed failed: refund on {order['order_id']}: {response.text}")


async def stretch(http: httpx.AsyncClient, catalog: dict[str, tuple[str, int]]) -> None:
    rng = random.Random(2026)
    progress = Progress("trading", STRETCH)
    gate = asyncio.Semaphore(6)

    async def one(n: int) -> None:
        async with gate:
            await order_life(http, n, random.Random(rng.random() + n), catalog)
            progress.step()

    await asyncio.gather(*(one(n) for n in range(STRETCH)))
    await asyncio.sleep(1)  # let the last releases and refunds settle before paying out
    ok(await http.post(f"{URL['settlement']}/v1/payouts/runs", headers=OPS))


def yuan(minor: int) -> str:
    return f"¥{minor // 100:,}.{minor % 100:02d}"


async def summary(http: httpx.AsyncClient) -> None:
    states: Counter[str] = Counter()
    cursor = None
    while True:
        page = ok(
            await http.get(
                f"{URL['orders']}/v1/orders",
                headers=FINANCE,
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            )
        )
        states.update(o["status"] for o in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    university = ok(await http.get(f"{URL['settlement']}/v1/universities/{UNI}/execution", headers=FINANCE))
    payouts = ok(await http.get(f"{URL['settlement']}/v1/payouts", headers=OPS))
    escrow = sum(g["total"]["encumbered"] for g in university["grants"])
    paid = sum(p["amount"] for p in payouts if p["status"] == "settled")
    print("  orders      " + ", ".join(f"{n} {s.lower()}" for s, n in states.most_common()))
    print(f"  in escrow   {yuan(escrow)}    paid out to suppliers {yuan(paid)}")
    for g in university["grants"]:
        t = g["total"]
        rate = t["execution_rate_bp"] / 100
        print(
            f"  {g['grant_id']:<17} executed {rate:5.2f}% of {yuan(t['budget'])} (expended"
            f" {yuan(t['expended'])}, encumbered {yuan(t['encumbered'])}, refunded {yuan(t['refunded'])})"
        )


async def main() -> int:
    async with httpx.AsyncClient(timeout=60) as http:
        grant = await http.get(f"{URL['settlement']}/v1/grants/G-NSFC-2026-001", headers=FINANCE)
        payouts = await http.get(f"{URL['settlement']}/v1/payouts", headers=OPS)
        if grant.status_code == 200 and payouts.status_code == 200 and payouts.json():
            print("demo data already present")
        elif grant.status_code == 200:
            print(
                "an earlier demo seed was interrupted; to start afresh: make down && rm -rf .stack && make up"
            )
        else:
            await grants(http)
            with (HERE / "suppliers.csv").open() as f:
                for row in csv.DictReader(f):
                    await onboard(http, row)
            catalog = await publish_catalog(http)
            await trade(http, catalog)
            await stretch(http, catalog)
            print(f"demo data seeded: 2 grants, 6 suppliers with catalogs, {STRETCH + 3} carts, a payout run")
        await summary(http)
    print("  demo tokens (valid 1 hour; make more with .venv/bin/unisettle token):")
    for name, headers in [
        ("researcher alice", ALICE),
        ("PI prof-wang", PI),
        ("finance", FINANCE),
        ("ops", OPS),
    ]:
        print(f"    {name:<17} {headers['Authorization']}")
    print("  try: curl -H 'Authorization: Bearer …' http://127.0.0.1:8002/v1/universities/tsinghua/execution")
    print("       .venv/bin/unisettle audit --service orders --limit 5   # who did what, and what it changed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

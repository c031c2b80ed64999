"""The demo's invoices: the university pays against matched invoices; the suppliers invoice most
received orders (the tax service's simulator told first), one in seven at 1 % over the ordered
price (held `price_variance` for finance), and one in five not yet (held `invoice_missing`); after
the payout run, a refund on an invoiced order leaves a red-letter invoice owed."""

from __future__ import annotations

import csv
import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from seeding.client import FINANCE, HERE, OPS, UNI, URL, ok, supplier_auth, until_accepted

BUYER = {"name": "清华大学", "tax_id": "12100000400000624D"}
RECEIVED: list[tuple[dict[str, Any], dict[str, str]]] = []  # orders received, with their buyer


async def profile(http: httpx.AsyncClient) -> None:
    body = {
        "buyer_name": BUYER["name"],
        "buyer_tax_id": BUYER["tax_id"],
        "variance_authority_minor": 50_000,
        "red_letter_hold_days": 30,
    }
    ok(
        await http.put(
            f"{URL['invoices']}/v1/universities/{UNI}/invoicing-profile", headers=FINANCE, json=body
        )
    )


def _sellers() -> dict[str, dict[str, str]]:
    with (HERE / "suppliers.csv").open() as f:
        return {r["ref"]: {"name": r["legal_name_zh"], "tax_id": r["uscc"]} for r in csv.DictReader(f)}


def _line(name: str, quantity: int, with_tax: int) -> dict[str, Any]:
    """A 13 % VAT line worth `with_tax` fen: the amount before tax, rounded half up, and the rest tax."""
    amount = int((Decimal(with_tax) / Decimal("1.13")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    unit_price = (Decimal(amount) / quantity / 100).quantize(Decimal("0.00000001"), rounding=ROUND_HALF_UP)
    return {
        "name": name,
        "unit": "件",
        "quantity": str(quantity),
        "unit_price": str(unit_price),
        "amount_minor": amount,
        "tax_rate": "0.13",
        "tax_minor": with_tax - amount,
    }


async def invoice_received(http: httpx.AsyncClient) -> None:
    RECEIVED.sort(key=lambda received: str(received[0]["order_id"]))  # the same choice every run
    sellers = _sellers()
    for n, (order, _) in enumerate(RECEIVED, start=1):
        if n % 5 == 0:
            continue  # not invoiced yet: its money waits (invoice_missing)
        over = n % 7 == 0  # 1 % over the ordered price: held for finance
        lines = [
            _line(
                x["name"],
                x["quantity"],
                x["quantity"] * x["unit_price_minor"] * (101 if over else 100) // 100,
            )
            for x in order["lines"]
        ]
        amount, tax = sum(x["amount_minor"] for x in lines), sum(x["tax_minor"] for x in lines)
        number = f"2611{n:016d}"
        seller = sellers[order["supplier_id"]]
        issued = {
            "number": number,
            "seller_tax_id": seller["tax_id"],
            "buyer_tax_id": BUYER["tax_id"],
            "issued_on": "2026-12-05",
            "total_minor": amount + tax,
        }
        ok(await http.post(f"{URL['invoices']}/v1/tax-simulator/invoices", headers=OPS, json=issued))
        body = {
            "invoice": {
                "number": number,
                "issue_date": "2026-12-05",
                "seller": seller,
                "buyer": BUYER,
                "lines": lines,
                "amount_minor": amount,
                "tax_minor": tax,
                "total_minor": amount + tax,
            },
            "bills": [{"order_id": order["order_id"], "line_no": i} for i in range(1, len(lines) + 1)],
        }
        sid = order["supplier_id"]
        await until_accepted(  # invoices learns of the order and its receipt from orders.events
            f"invoice {number}",
            functools.partial(
                http.post,
                f"{URL['invoices']}/v1/suppliers/{sid}/invoices",
                headers=supplier_auth(sid),
                json=body,
            ),
            accepted=(201,),
        )


async def invoices_heard(http: httpx.AsyncClient) -> None:
    """Wait until settlement holds exactly the orders not invoiced or held for a variance."""
    expected: dict[str, set[str]] = {}
    for n, (order, _) in enumerate(RECEIVED, start=1):
        held = expected.setdefault(order["supplier_id"], set())
        if n % 5 == 0 or n % 7 == 0:
            held.add(order["order_id"])
    for sid, held in expected.items():

        async def heard(sid: str = sid, held: set[str] = held) -> httpx.Response:
            response = await http.get(f"{URL['settlement']}/v1/suppliers/{sid}/balance", headers=OPS)
            if (
                response.status_code == 200
                and {o["order_id"] for o in response.json()["held_orders"]} != held
            ):
                return httpx.Response(409, text=f"settlement has not heard every invoice of {sid} yet")
            return response

        await until_accepted(f"settlement to hear {sid}'s invoices", heard)

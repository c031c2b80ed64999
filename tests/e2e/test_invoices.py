"""Invoice to payment across the services as separate processes, with fen computed by hand.

An order of three lines (3 boxes of tips at 28.00, 2 of tubes at 12.50, gloves at 33.33: 142.33)
is received in two parts by people other than the requester. The tax authority's 数电票 for the
first part (96.50) matches and the next payout pays exactly its net: 96.50 less the 0.58 fee. The
invoice for the rest bills the gloves at 1 % over (33.66 for 33.33) under an exact tolerance: it
is held `price_variance` and nothing more is paid until finance accepts it; then the rest, 45.83
less its 0.27 fee, is paid. A second order's matched invoice voided by its seller holds its money
again; a refund after payout makes a red-letter invoice owed until the supplier submits it; the
same invoice number twice and hostile XML are refused with nothing written; and the invariants
hold."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from plumbing.web.auth import Role
from services.settlement.money_path.domain.fees import platform_fee
from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import FINANCE, OPS, SUPPLIER, auth, ok
from tests.e2e.test_operator_cli import unisettle
from tests.e2e.test_receipt_by_line import BOB, CLERK, three_line_order
from tests.stack import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.service_env(INVOICES_RECHECK_INTERVAL_SECONDS=1)]
SAMPLE = Path(__file__).parents[1] / "data" / "invoices" / "digital_invoice.xml"
UNIVERSITY = {"name": "清华大学", "tax_id": "12100000400000624D"}
SELLER = {"name": "南京金陵实验用品有限公司", "tax_id": "91320102JUCCNBB65D"}
FEE_BP = 60
PROFILE = {"buyer_name": "清华大学", "buyer_tax_id": UNIVERSITY["tax_id"], "variance_authority_minor": 10_000}


def line(name: str, quantity: str, unit_price: str, amount: int, tax: int) -> dict[str, Any]:
    return {
        "name": name,
        "unit": "盒",
        "quantity": quantity,
        "unit_price": unit_price,
        "amount_minor": amount,
        "tax_rate": "0.13",
        "tax_minor": tax,
    }


def invoice(number: str, lines: list[dict[str, Any]], offsets: str | None = None) -> dict[str, Any]:
    amount, tax = sum(x["amount_minor"] for x in lines), sum(x["tax_minor"] for x in lines)
    return {
        "number": number,
        "issue_date": "2026-12-05",
        "seller": SELLER,
        "buyer": UNIVERSITY,
        "lines": lines,
        "amount_minor": amount,
        "tax_minor": tax,
        "total_minor": amount + tax,
        **({"offsets": offsets} if offsets else {}),
    }


class Invoicing:
    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url = http, url

    async def issued(
        self, number: str, total: int, offsets: str | None = None, on: str = "2026-12-05"
    ) -> None:
        """The seller's tax-control system issued it (the simulator is told)."""
        body = {
            "number": number,
            "seller_tax_id": SELLER["tax_id"],
            "buyer_tax_id": UNIVERSITY["tax_id"],
            "issued_on": on,
            "total_minor": total,
            "offsets": offsets,
        }
        ok(await self.http.post(f"{self.url}/v1/tax-simulator/invoices", headers=OPS, json=body), 201)

    async def submit(self, body: dict[str, Any], bills: list[tuple[str, int]]) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/v1/suppliers/SUP-004/invoices",
            headers=SUPPLIER,
            json={"invoice": body, "bills": [{"order_id": o, "line_no": n} for o, n in bills]},
        )

    async def submit_xml(
        self, data: bytes, order_lines: str, content_type: str = "application/xml"
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/v1/suppliers/SUP-004/invoices",
            headers={**SUPPLIER, "Content-Type": content_type},
            params={"order_lines": order_lines},
            content=data,
        )

    async def matched(self, number: str) -> Any:
        """The invoice once it is matched (a receipt invoices has not heard of yet holds it
        `not_received` until it does)."""
        found: dict[str, Any] = {}

        async def is_matched() -> bool:
            found.update(ok(await self.http.get(f"{self.url}/v1/invoices/{number}", headers=SUPPLIER)))
            return bool(found["status"] == "matched")

        await eventually(is_matched, timeout=30, what=f"invoice {number} to match")
        return found

    async def count(self) -> int:
        return len(ok(await self.http.get(f"{self.url}/v1/suppliers/SUP-004/invoices", headers=SUPPLIER)))


async def balance(flow: Flow) -> Any:
    return ok(await flow.http.get(f"{flow.settlement}/v1/suppliers/SUP-004/balance", headers=OPS))


async def payout(flow: Flow) -> Any:
    return ok(await flow.http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))


async def test_payouts_pay_what_matched_invoices_cover(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    tax = Invoicing(flow.http, services["invoices"].url)
    order_id = await received_and_invoiced_in_two_parts(flow, tax)
    other_net = await voided_invoice_holds_again(flow, tax, order_id)
    await refund_calls_for_a_red_letter_invoice(flow, tax, order_id, other_net)
    await checks_pass(services)
    dsns = [
        f"--{flag}={services[name].dsn}"
        for flag, name in (("dsn", "settlement"), ("orders-dsn", "orders"), ("invoices-dsn", "invoices"))
    ]
    status, out, _ = await unisettle("check", *dsns)
    assert (
        status == 0 and "PASS  11. invoices" in out and "PASS  12. invoices and invoice cover agree" in out
    ), out


async def received_and_invoiced_in_two_parts(flow: Flow, tax: Invoicing) -> str:
    http, orders = flow.http, flow.orders
    ok(
        await http.put(
            f"{flow.settlement}/v1/grants/{GRANT}/buyers",
            headers=FINANCE,
            json={"authorised_buyers": ["alice", "bob"], "approval_threshold_minor": 50_000},
        )
    )
    policy = {"receiver_must_differ": True, "undo_window_seconds": 0}
    ok(await http.put(f"{orders}/v1/universities/tsinghua/receipt-policy", headers=FINANCE, json=policy))
    ok(await http.put(f"{tax.url}/v1/universities/tsinghua/invoicing-profile", headers=FINANCE, json=PROFILE))
    order_id = await three_line_order(flow)

    # Two lines received by a lab member (the requester may not: the university's rule).
    async def received() -> bool:
        r = await http.post(
            f"{orders}/v1/orders/{order_id}/receipts",
            headers=BOB,
            json={"lines": [{"line_no": 1, "quantity": 3}, {"line_no": 2, "quantity": 1}]},
        )
        return r.status_code == 201

    await eventually(received, timeout=30, what="orders to learn bob is on the grant")
    first, first_fee = 8_400 + 1_250, platform_fee(9_650, FEE_BP)
    assert first_fee == 58

    async def released(gross: int) -> bool:
        escrow = ok(await http.get(f"{flow.settlement}/v1/orders/{order_id}/escrow", headers=FINANCE))
        return bool(escrow["released"] == gross)

    await eventually(lambda: released(first), timeout=30, what="the first receipt's release")
    held = await balance(flow)
    assert (held["available"], held["held"]) == (first - first_fee, first - first_fee)
    assert held["held_orders"] == [{"order_id": order_id, "held": 9_592, "reason": "invoice_missing"}]
    assert (await payout(flow))["skipped"] == {"SUP-004": "held_for_invoices"}

    async def unheld() -> bool:
        return bool((await balance(flow))["held"] == 0)

    # The tax authority's XML for those two lines matches; the payout pays exactly its net.
    await tax.issued("24322000000012345678", 9_650, on="2026-12-03")

    async def submitted() -> bool:  # invoices learns of the order from orders.events
        r = await tax.submit_xml(SAMPLE.read_bytes(), f"{order_id}:1,{order_id}:2")
        return r.status_code == 201

    await eventually(submitted, timeout=30, what="invoices to learn the order")
    found = await tax.matched("24322000000012345678")  # at once, or once its receipt is heard
    assert (found["status"], found["reasons"], found["covers"]) == ("matched", [], {order_id: 9_650})
    assert [x["order_id"] for x in found["lines"]] == [order_id, order_id]
    await eventually(unheld, timeout=30, what="settlement to learn the invoice matched")
    assert (await payout(flow))["paid"] == {"SUP-004": 9_592}
    await printable_form_attached(http, tax.url, "24322000000012345678")

    # The rest, received by the stores; its invoice bills the gloves 1 % over: held.
    ok(await http.post(f"{orders}/v1/orders/{order_id}/receipts", headers=CLERK, json={}), 201)
    await eventually(lambda: released(14_233), timeout=30, what="the second receipt's release")
    rest_fee = platform_fee(14_233, FEE_BP) - first_fee
    assert rest_fee == 27
    await tax.issued("24322000000012345679", 4_616)
    second = invoice(
        "24322000000012345679",
        [
            line("*塑料制品*离心管 1.5mL", "1", "11.06", 1_106, 144),
            line("*劳保用品*丁腈手套 M", "1", "29.79", 2_979, 387),
        ],
    )
    held_invoice = ok(await tax.submit(second, [(order_id, 2), (order_id, 3)]), 201)
    assert (held_invoice["status"], held_invoice["reasons"], held_invoice["variance_minor"]) == (
        "held",
        ["price_variance"],
        33,
    )

    async def held_for_variance() -> bool:
        held = (await balance(flow))["held_orders"]
        return bool(held == [{"order_id": order_id, "held": 4_556, "reason": "invoice_variance"}])

    await eventually(held_for_variance, timeout=30, what="settlement to learn the invoice is held")
    assert (await payout(flow))["skipped"] == {"SUP-004": "held_for_invoices"}
    university = ok(
        await http.get(f"{tax.url}/v1/universities/tsinghua/invoices?status=held", headers=FINANCE)
    )
    assert [i["invoice_id"] for i in university] == ["24322000000012345679"]
    ok(
        await http.post(
            f"{tax.url}/v1/invoices/24322000000012345679/accept",
            headers=FINANCE,
            json={"reason": "price list of 2026-12 agreed with the supplier"},
        )
    )

    await eventually(unheld, timeout=30, what="settlement to learn the variance was accepted")
    assert (await payout(flow))["paid"] == {"SUP-004": 14_233 - first - rest_fee}  # 4,556

    return order_id


async def printable_form_attached(http: httpx.AsyncClient, url: str, number: str) -> None:
    """The supplier attaches the invoice's PDF; finance reads the same bytes; a PNG is refused."""
    document = f"{url}/v1/invoices/{number}/document"
    pdf = b"%PDF-1.7\n% invoice " + number.encode() + b"\n%%EOF\n"
    put = {**SUPPLIER, "Content-Type": "application/pdf"}
    ok(await http.put(document, headers=put, content=pdf), 201)
    ok(await http.put(document, headers=put, content=pdf), 200)  # the same file again
    png = await http.put(
        document, headers={**SUPPLIER, "Content-Type": "image/png"}, content=b"\x89PNG\r\n\x1a\n"
    )
    assert (png.status_code, png.json()["error"]["code"]) == (422, "unsupported_document")
    got = await http.get(document, headers=FINANCE)
    assert (got.status_code, got.content, got.headers["content-type"]) == (200, pdf, "application/pdf")


async def voided_invoice_holds_again(flow: Flow, tax: Invoicing, order_id: str) -> int:
    http, orders = flow.http, flow.orders
    # The same number on another order: refused, saying nothing of where it was used.
    other = await flow.paid_order(quantity=2)
    await flow.ship(other)
    ok(await http.post(f"{orders}/v1/orders/{other}/receipts", headers=BOB, json={}), 201)
    again = await tax.submit_xml(SAMPLE.read_bytes(), f"{other}:1,{other}:1")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invoice_already_used")
    assert order_id not in again.text

    # A matched, unpaid invoice voided by its seller holds its money again.
    await tax.issued("24322000000012345680", 5_600)
    tips = invoice("24322000000012345680", [line("*塑料制品*移液器吸头 200uL", "2", "24.78", 4_956, 644)])

    async def submitted() -> bool:  # invoices learns of the order from orders.events
        return (await tax.submit(tips, [(other, 1)])).status_code == 201

    await eventually(submitted, timeout=30, what="invoices to learn the second order")
    await tax.matched("24322000000012345680")
    ok(await http.post(f"{tax.url}/v1/tax-simulator/invoices/24322000000012345680/void", headers=OPS))
    other_net = 5_600 - platform_fee(5_600, FEE_BP)

    async def held_again() -> bool:
        return bool(
            (await balance(flow))["held_orders"]
            == [{"order_id": other, "held": other_net, "reason": "invoice_voided"}]
        )

    await eventually(held_again, timeout=30, what="the recheck to find the invoice voided")
    assert (await payout(flow))["skipped"] == {"SUP-004": "held_for_invoices"}

    return other_net


async def refund_calls_for_a_red_letter_invoice(
    flow: Flow, tax: Invoicing, order_id: str, other_net: int
) -> None:
    http = flow.http
    # A refund after payout: the grant is refunded at once, and a red-letter invoice is owed.
    case = await flow.refund(order_id, 1_250)
    assert case["source"] == "supplier_balance"

    async def owed() -> list[Any]:
        return list(
            ok(await http.get(f"{tax.url}/v1/universities/tsinghua/red-letters?open=true", headers=FINANCE))
        )

    await eventually(lambda: _nonempty(owed), timeout=30, what="invoices to learn of the refund")
    debt = (await owed())[0]
    assert (debt["order_id"], debt["amount_minor"], debt["refund_id"]) == (order_id, 1_250, case["refund_id"])
    state = ok(
        await http.get(f"{tax.url}/v1/orders/{order_id}/invoices", headers=auth(Role.RESEARCHER, "alice"))
    )
    assert state["state"] == "red_letter_owed"
    strict = {**PROFILE, "red_letter_hold_days": 0}  # finance holds payouts while one is owed
    ok(await http.put(f"{tax.url}/v1/universities/tsinghua/invoicing-profile", headers=FINANCE, json=strict))

    async def overdue() -> bool:
        return bool((await balance(flow))["red_letters_overdue"] == [case["refund_id"]])

    await eventually(overdue, timeout=30, what="settlement to learn of the stricter profile")
    assert (await payout(flow))["skipped"] == {"SUP-004": "red_letter_overdue"}
    await tax.issued("24322000000012345681", -1_250, offsets=debt["invoice_id"])
    red = invoice(
        "24322000000012345681",
        [line("*塑料制品*离心管 1.5mL", "-1", "11.06", -1_106, -144)],
        offsets=debt["invoice_id"],
    )
    taken = ok(await tax.submit(red, []), 201)
    assert taken["status"] == "red_letter"
    assert await owed() == []
    state = ok(
        await http.get(f"{tax.url}/v1/orders/{order_id}/invoices", headers=auth(Role.RESEARCHER, "alice"))
    )
    assert (state["state"], state["invoiced_minor"]) == ("invoiced", 14_233 - 1_250)

    async def settled_view() -> bool:
        b = await balance(flow)
        return bool(b["held"] == other_net and b["available"] == other_net - 1_250)

    await eventually(settled_view, timeout=30, what="settlement to take the refund from the balance")
    accrued = ok(await http.get(f"{flow.settlement}/v1/universities/tsinghua/accruals", headers=FINANCE))
    # 暂估: the first order received 142.33, refunded 12.50, invoiced 142.33 - 12.50: nothing;
    # the second received 56.00 and its only invoice was voided: all of it
    assert (
        accrued["total"],
        [(a["supplier_id"], a["accrued"], a["refunded"]) for a in accrued["accruals"]],
    ) == (
        5_600,
        [("SUP-004", 5_600, 1_250)],
    )
    assert (await balance(flow))["red_letters_overdue"] == []  # received: payouts are free again


async def _nonempty(ask: Any) -> bool:
    return bool(await ask())


async def test_hostile_invoice_files_are_refused_and_nothing_is_written(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    tax = Invoicing(flow.http, services["invoices"].url)
    xxe = b"""<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><EInvoice>&x;</EInvoice>"""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'.encode()
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + b"]><EInvoice>&i;</EInvoice>"
    )
    huge = b'<?xml version="1.0"?><EInvoice>' + b"<x>" * (20 * 1024 * 1024 // 3) + b"</EInvoice>"
    wrong_encoding = (
        SAMPLE.read_bytes()
        .replace(b'encoding="UTF-8"', b'encoding="GBK"')
        .replace("南京".encode(), "南京".encode()[:-1] + b"\xff")
    )
    for data, status, code in (
        (xxe, 422, "invoice_xml_refused"),
        (laughs, 422, "invoice_xml_refused"),
        (huge, 413, "payload_too_large"),
        (wrong_encoding, 422, "invalid_invoice_encoding"),
    ):
        r = await tax.submit_xml(data, "O-1:1")
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text[:300]
    wrong_total = {
        **invoice("24322000000012345699", [line("tips", "1", "24.78", 2_478, 322)]),
        "total_minor": 2_801,
    }
    for body, code in (
        (b'{"invoice": {"number": "1"}}', "invalid_request"),
        (b"\xff\xfe{", "invalid_request"),
        (
            json.dumps({"invoice": wrong_total, "bills": [{"order_id": "O-1", "line_no": 1}]}).encode(),
            "invoice_totals_disagree",
        ),
    ):
        r = await flow.http.post(
            f"{tax.url}/v1/suppliers/SUP-004/invoices",
            headers={**SUPPLIER, "Content-Type": "application/json"},
            content=body,
        )
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), r.text[:300]
    plain = await tax.submit_xml(SAMPLE.read_bytes(), "O-1:1", content_type="text/plain")
    assert (plain.status_code, plain.json()["error"]["code"]) == (422, "unsupported_media_type")
    assert await tax.count() == 0
    await checks_pass(services)


async def test_concurrent_invoices_never_use_a_number_twice_nor_bill_a_line_twice(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    tax = Invoicing(flow.http, services["invoices"].url)
    ok(
        await flow.http.put(
            f"{tax.url}/v1/universities/tsinghua/invoicing-profile", headers=FINANCE, json=PROFILE
        )
    )
    order_id = await flow.completed_order()  # 3 boxes of tips at 28.00
    for number in ("24322000000077000001", "24322000000077000002"):
        await tax.issued(number, 8_400)
    tips = [line("*塑料制品*移液器吸头 200uL", "3", "24.78", 7_434, 966)]

    async def known() -> bool:  # invoices learns of the order from orders.events
        r = await flow.http.get(f"{tax.url}/v1/orders/{order_id}/invoices", headers=FINANCE)
        return r.status_code == 200

    await eventually(known, timeout=30, what="invoices to learn the order")
    same = await asyncio.gather(
        *(tax.submit(invoice("24322000000077000001", tips), [(order_id, 1)]) for _ in range(4))
    )
    assert sorted(r.status_code for r in same) == [201, 409, 409, 409]
    second = ok(await tax.submit(invoice("24322000000077000002", tips), [(order_id, 1)]), 201)
    assert (second["status"], second["reasons"]) == ("held", ["quantity_variance"])  # the line was billed
    first = ok(await flow.http.get(f"{tax.url}/v1/invoices/24322000000077000001", headers=FINANCE))
    assert (first["status"], first["covers"]) == ("matched", {order_id: 8_400})
    other_supplier = auth(Role.SUPPLIER, "mallory", "platform", "SUP-666")
    stolen = await flow.http.get(f"{tax.url}/v1/invoices/24322000000077000001", headers=other_supplier)
    other_finance = await flow.http.get(
        f"{tax.url}/v1/invoices/24322000000077000001", headers=auth(Role.UNIVERSITY_FINANCE, "fo-9", "pku")
    )
    assert (stolen.status_code, other_finance.status_code) == (404, 404)
    await checks_pass(services)

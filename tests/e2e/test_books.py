"""The university's books on the real stack, with fen written out by hand: a month's vouchers
from the ledger balance and add up per account to what moved; exporting twice gives the same
bytes; a movement the mapping lacks is an exception until the mapping is fixed and it is posted
once; a closed period in the finance system is rejected, reposted after it reopens, and posting
again never doubles anything."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import FINANCE, ok

pytestmark = pytest.mark.e2e
ACCOUNTS = {
    "budget": "1011",
    "budget_source": "4001",
    "commitment": "8101",
    "commitment_offset": "8001",
    "payable": "2302",
    "refund_receivable": "1218",
}
CONSUMABLES = {"account": "5001.02", "classification": "30218"}


async def test_a_month_of_trade_becomes_balanced_vouchers_posted_once(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    http, url = flow.http, flow.settlement
    books = f"{url}/v1/universities/tsinghua"
    simulator = f"{url}/v1/finance-simulator/universities/tsinghua"
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    ok(
        await http.put(
            f"{books}/account-mappings/2026-01-01",
            headers=FINANCE,
            json={"accounts": ACCOUNTS, "expense": {}},
        )
    )
    await flow.completed_order()  # 3 boxes of tips at 28.00 on the grant's 1,000.00 of consumables

    first = ok(await http.get(f"{books}/vouchers", headers=FINANCE, params={"period": period}))
    assert [v["summary"][:2] for v in first["vouchers"]] == [
        "项目",
        "订单",
    ]  # budget, commitment; receipt unmapped
    assert [e["reasons"] for e in first["exceptions"]] == [
        [f"no account for expense:consumables on {first['exceptions'][0]['date']}"]
    ]
    ok(
        await http.put(
            f"{simulator}/chart", headers=FINANCE, json={"accounts": [*ACCOUNTS.values(), "5001.02"]}
        )
    )
    ok(await http.post(f"{simulator}/periods/{period}/close", headers=FINANCE))
    closed = ok(await http.post(f"{books}/vouchers/post", headers=FINANCE, params={"period": period}))
    assert (closed["posted"], [r["reason"] for r in closed["rejected"]]) == (
        0,
        [f"closed_period: {period}"] * 2,
    )
    kinds = [
        e["kind"]
        for e in ok(await http.get(f"{books}/voucher-exceptions", headers=FINANCE, params={"period": period}))
    ]
    assert sorted(kinds) == ["rejected", "rejected", "unmapped"]

    ok(await http.post(f"{simulator}/periods/{period}/reopen", headers=FINANCE))
    mapping = {"accounts": ACCOUNTS, "expense": {"consumables": CONSUMABLES}}
    ok(await http.put(f"{books}/account-mappings/2026-01-01", headers=FINANCE, json=mapping))
    posted = ok(await http.post(f"{books}/vouchers/post", headers=FINANCE, params={"period": period}))
    assert (posted["posted"], posted["already"], posted["rejected"], posted["unpostable"]) == (3, 0, [], [])
    again = ok(await http.post(f"{books}/vouchers/post", headers=FINANCE, params={"period": period}))
    assert (again["posted"], again["already"]) == (0, 3)
    assert ok(await http.get(f"{books}/voucher-exceptions", headers=FINANCE, params={"period": period})) == []
    held = ok(await http.get(f"{simulator}/vouchers", headers=FINANCE, params={"period": period}))
    assert len(held) == 3

    exported = await http.get(f"{books}/vouchers", headers=FINANCE, params={"period": period})
    assert (
        exported.content
        == (await http.get(f"{books}/vouchers", headers=FINANCE, params={"period": period})).content
    )
    as_csv = await http.get(f"{books}/vouchers", headers=FINANCE, params={"period": period, "format": "csv"})
    assert (
        as_csv.content
        == (
            await http.get(f"{books}/vouchers", headers=FINANCE, params={"period": period, "format": "csv"})
        ).content
    )
    assert (
        as_csv.content.decode("utf-8-sig").count("\r\n") == 1 + 2 + 2 + 4
    )  # header and each voucher's lines
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for voucher in exported.json()["vouchers"]:
        assert sum(x["debit_fen"] for x in voucher["lines"]) == sum(x["credit_fen"] for x in voucher["lines"])
        for x in voucher["lines"]:
            totals[x["account"]][0] += x["debit_fen"]
            totals[x["account"]][1] += x["credit_fen"]
    assert dict(totals) == {
        "1011": [100_000, 0],  # the grant's budget received
        "4001": [0, 100_000],
        "8101": [8_400, 8_400],  # committed at checkout, lifted at receipt
        "8001": [8_400, 8_400],
        "5001.02": [8_400, 0],  # expensed at receipt: 3 x 28.00
        "2302": [0, 8_400],  # owed to the supplier
    }
    await checks_pass(services)

"""A bank statement reconciled with the ledger: matched payouts, 长款 parked in suspense, 短款
reported; a malformed statement changes nothing; importing it twice changes nothing more."""

from __future__ import annotations

import pytest

from plumbing.auth import Role
from tests.integration.settlement.conftest import SettlementApi
from tests.integration.settlement.test_payouts import payable_supplier, payees_known, run

pytestmark = pytest.mark.integration


async def test_a_statement_reports_matches_surplus_and_shortage(api: SettlementApi) -> None:
    await payable_supplier(api, "SUP-002", "O-1")
    await payable_supplier(api, "SUP-003", "O-2")
    await payees_known(api, 2)
    report = await run(api)
    paid = {sid: f"{report['run_id']}:{sid}" for sid in report["paid"]}
    today = api.clock.now().date().isoformat()
    ops = {**api.auth(Role.PLATFORM_OPS, "ops-1", "platform"), "Content-Type": "text/csv"}
    statement = (
        "date,amount,direction,reference\n"
        f"{today},278.32,debit,{paid['SUP-002']}\n"  # matches SUP-002's payout
        f"{today},1000.00,credit,unidentified deposit\n"  # 长款
    )  # SUP-003's payout is missing: 短款

    before = await api.balances()
    bad = await api.http.post(
        "/v1/reconciliation/statements", content=statement + f"{today},1.5.0,debit,x\n", headers=ops
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"] == {"line": 4}
    assert await api.balances() == before

    result = (await api.http.post("/v1/reconciliation/statements", content=statement, headers=ops)).json()
    assert [m["reference"] for m in result["matched"]] == [paid["SUP-002"]]
    assert [(s["amount_minor"], s["direction"]) for s in result["surplus"]] == [(100_000, "credit")]
    assert [s["payout_id"] for s in result["shortage"]] == [paid["SUP-003"]]
    after_first = await api.balances()
    suspense = next(row for row in after_first if row[0] == "platform:suspense")
    assert suspense[-1] == 100_000  # credits_posted: the unexplained deposit waits there

    again = (await api.http.post("/v1/reconciliation/statements", content=statement, headers=ops)).json()
    assert again == result
    assert await api.balances() == after_first
    assert await api.check() == []

"""The audit trail across the running services: every action that moves money or changes who may
act is recorded with actor, time, before/after and reason; platform operations read all of it,
a university's finance only its own; nobody can rewrite it."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import GRANT, Flow
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, ok
from tests.e2e.test_money_flow import auth as token_for

pytestmark = pytest.mark.e2e
ACCOUNT_NUMBER = "6228480402564890018"  # the one onboard_supplier gives
OTHER_FINANCE = token_for(Role.UNIVERSITY_FINANCE, "fo-9", "fudan")


async def trail(http: httpx.AsyncClient, url: str, headers: dict[str, str], **query: str) -> list[Any]:
    entries: list[Any] = []
    cursor: str | None = None
    for _ in range(1_000):  # pages of two: far more than any test writes
        params = {**query, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = ok(await http.get(f"{url}/v1/audit", headers=headers, params=params))
        entries += page["entries"]
        cursor = page["next_cursor"]
        if cursor is None:
            return entries
    raise AssertionError("the audit trail's cursor never ended")


def one(entries: list[Any], action: str) -> Any:
    found = [e for e in entries if e["action"] == action]
    assert len(found) == 1, (action, [e["action"] for e in entries])
    return found[0]


async def test_money_and_permission_changes_are_on_the_audit_trail(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    http = flow.http
    order_id = await flow.completed_order()
    case = await flow.refund(order_id, 1000)
    ok(
        await http.post(
            f"{flow.settlement}/v1/grants/{GRANT}/budget",
            headers=FINANCE,
            json={"category": "consumables", "budget_minor": 120_000, "reason": "supplementary funding"},
        )
    )
    ok(await http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))

    # settlement: the grant's registration and budget change, and the payout run
    settlement = await trail(http, flow.settlement, OPS)
    budget = one(settlement, "grant.budget_adjusted")
    assert (budget["actor_id"], budget["actor_role"], budget["tenant_id"]) == (
        "fo-1",
        "university_finance",
        "tsinghua",
    )
    assert budget["reason"] == "supplementary funding"
    assert budget["before"]["budget"] == {"consumables": 100_000}
    assert budget["after"]["budget"] == {"consumables": 120_000}
    assert budget["occurred_at"] and budget["subject"] == f"grant:{GRANT}"
    assert one(settlement, "grant.registered")["before"] is None
    payout = one(settlement, "payout.initiated")
    assert payout["actor_id"] == "ops-1" and payout["subject"] == "supplier:SUP-004"
    assert payout["after"]["in_payout_minor"] > 0
    assert ACCOUNT_NUMBER[-4:] in payout["after"]["account"] and ACCOUNT_NUMBER not in str(payout)
    assert one(settlement, "payout_run")["after"]["paid"] == {"SUP-004": payout["after"]["in_payout_minor"]}

    # orders: the receipt that released the escrow; refunds: the supplier agreeing to pay
    receipt = one(await trail(http, flow.orders, OPS), "order.receipt_confirmed")
    assert receipt["actor_id"] == "alice" and receipt["subject"] == f"order:{order_id}"
    assert (receipt["before"]["status"], receipt["after"]["status"]) == ("SHIPPED", "RECEIVED")
    agreed = one(await trail(http, flow.refunds, OPS), "refund.agreed")
    assert agreed["subject"] == f"refund:{case['refund_id']}" and agreed["actor_role"] == "supplier"
    assert agreed["after"]["amount_minor"] == 1000 and agreed["tenant_id"] == "tsinghua"

    # suppliers: review and the bank account, whose number is never written in full
    suppliers = await trail(http, flow.suppliers, OPS, subject="supplier:SUP-004")
    assert one(suppliers, "supplier.approved")["after"]["state"] != "REGISTERED"
    changed = one(suppliers, "bank_account.changed")
    assert changed["before"]["bank_account"] is None
    assert changed["after"]["bank_account"]["status"] == "pending"
    assert ACCOUNT_NUMBER not in str(suppliers)
    assert (
        one(suppliers, "bank_account.verification_answered")["after"]["bank_account"]["status"] == "verified"
    )

    # a university's finance reads its own entries only
    mine = await trail(http, flow.settlement, FINANCE)
    assert {e["tenant_id"] for e in mine} == {"tsinghua"} and one(mine, "grant.budget_adjusted")
    assert await trail(http, flow.settlement, OTHER_FINANCE) == []
    refused = await http.get(
        f"{flow.settlement}/v1/audit", headers=OTHER_FINANCE, params={"tenant_id": "tsinghua"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "other_tenant"
    assert (await http.get(f"{flow.orders}/v1/audit", headers=ALICE)).status_code == 403
    for cursor in ("bm90LWEtbnVtYmVy", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"):  # "not-a-number", 24 nines
        bad = await http.get(f"{flow.settlement}/v1/audit", headers=OPS, params={"cursor": cursor})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor", bad.text

    # nobody rewrites it, not even with the service's own database role
    conn = await asyncpg.connect(services["settlement"].dsn)
    try:
        for statement in (
            "update audit_log set actor_id = 'x'",
            "delete from audit_log",
            "truncate audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        assert await conn.fetchval("select count(*) from audit_log") == len(settlement)
    finally:
        await conn.close()

"""Payout runs pay active suppliers' posted balances to verified accounts through the bank
simulator, skip and report the others, void what the bank returns, and can be retried."""

from __future__ import annotations

import itertools
from typing import Any

import asyncpg
import pytest

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.suppliers import (
    BankAccountChanged,
    BankAccountVerified,
    SupplierActivated,
    SupplierSuspended,
)
from contracts.topics import Topic, with_prefix
from plumbing.web.auth import Role
from tests.factories import line
from tests.integration.kafka_io import produce
from tests.integration.settlement.conftest import SettlementApi
from tests.stack import eventually

pytestmark = pytest.mark.integration
OPS = Actor(user_id="ops-1", role="platform_ops")


async def supplier_events(api: SettlementApi, sid: str, *events: EventPayload) -> None:
    counter = api.versions.setdefault(f"supplier:{sid}", itertools.count(1))
    envelopes = [
        Envelope.of(
            e,
            producer="suppliers",
            aggregate_id=sid,
            aggregate_version=next(counter),
            tenant_id="platform",
            correlation_id=sid,
        )
        for e in events
    ]
    await produce(api.stack.kafka, with_prefix(api.topic_prefix, Topic.SUPPLIERS_EVENTS.value), envelopes)


async def payable_supplier(api: SettlementApi, sid: str, order_id: str, verified: bool = True) -> None:
    events: list[EventPayload] = [
        SupplierActivated(supplier_id=sid, legal_name=f"{sid} Co., Ltd."),
        BankAccountChanged(
            supplier_id=sid,
            bank_account_id=f"BA-{sid}",
            bank_name="Bank of Shanghai",
            holder_name=f"{sid} Co., Ltd.",
            account_masked="**** 3445",
        ),
    ]
    if verified:
        events.append(
            BankAccountVerified(supplier_id=sid, bank_account_id=f"BA-{sid}", account_masked="**** 3445")
        )
    await supplier_events(api, sid, *events)
    await api.place(order_id, line("RG-0002", "reagents", 10, 2_800), supplier_id=sid)
    await api.receive(order_id, 28_000, supplier_id=sid)
    await api.escrow_status(order_id, "released")


async def run(api: SettlementApi) -> dict[str, Any]:
    response = await api.http.post(
        "/v1/payouts/runs", headers=api.auth(Role.PLATFORM_OPS, "ops-1", "platform")
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def payees_known(api: SettlementApi, n: int) -> None:
    async def known() -> bool:
        conn = await asyncpg.connect(api.dsn)
        try:
            return bool(await conn.fetchval("select count(*) >= $1 from payees", n))
        finally:
            await conn.close()

    await eventually(known, what="settlement to learn the suppliers")


async def test_a_run_pays_verified_active_suppliers_and_reports_the_rest(api: SettlementApi) -> None:
    await payable_supplier(api, "SUP-002", "O-1")
    await payable_supplier(api, "SUP-003", "O-2", verified=False)
    await payable_supplier(api, "SUP-005", "O-3")
    await supplier_events(
        api, "SUP-005", SupplierSuspended(supplier_id="SUP-005", suspended_by=OPS, reason="audit")
    )
    await payees_known(api, 3)

    report = await run(api)
    net = 28_000 - 168  # 60 bp fee
    assert report["paid"] == {"SUP-002": net}
    assert report["skipped"] == {"SUP-003": "bank_account_unverified", "SUP-005": "supplier_not_active"}
    ops = api.auth(Role.PLATFORM_OPS, "ops-1", "platform")
    balance = (await api.http.get("/v1/suppliers/SUP-002/balance", headers=ops)).json()
    assert (balance["available"], balance["paid_out"], balance["in_payout"]) == (0, net, 0)
    events = await api.settlement_events(at_least=1)
    kinds = [e["event_type"].split(".")[1] for e in events if e["aggregate_id"].startswith(report["run_id"])]
    assert kinds.count("PayoutInitiated") == 1 and kinds.count("PayoutSettled") == 1
    assert "PayoutRunCompleted" in kinds
    assert await api.check() == []


async def test_a_returned_payout_is_voided_and_paid_by_the_next_run(api: SettlementApi) -> None:
    await payable_supplier(api, "SUP-002", "O-1")
    await payees_known(api, 1)
    bank = api.app.state.context.bank
    bank.closed_accounts.add("BA-SUP-002")
    first = await run(api)
    assert first["failed"] == {"SUP-002": "account_closed"} and first["paid"] == {}
    ops = api.auth(Role.PLATFORM_OPS, "ops-1", "platform")
    assert (await api.http.get("/v1/suppliers/SUP-002/balance", headers=ops)).json()["available"] == 27_832
    bank.closed_accounts.clear()
    second = await run(api)
    assert second["paid"] == {"SUP-002": 27_832}
    payouts = (await api.http.get("/v1/payouts", params={"supplier_id": "SUP-002"}, headers=ops)).json()
    assert sorted(p["status"] for p in payouts) == ["failed", "settled"]
    lines = (await api.http.get("/v1/suppliers/SUP-002/statement", headers=ops)).json()
    # newest first: the settled payout, the voided one's reservation, the fee, the release
    assert [(x["code"], x["credit"], x["debit"]) for x in lines if not x["pending"]][-2:] == [
        ("platform_fee", 0, 168),
        ("escrow_release", 28_000, 0),
    ]
    assert ("payout_settled", 0, 27_832) in [(x["code"], x["credit"], x["debit"]) for x in lines]
    assert await api.check() == []

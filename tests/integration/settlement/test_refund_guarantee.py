"""Every agreed refund reaches the grant: from escrow while held, from the supplier's balance,
or advanced by the guarantee fund and recovered from the supplier's next release."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.refunds import RefundAgreed, RefundRequested
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from tests.factories import line
from tests.integration.kafka_io import produce, read_topic
from tests.integration.settlement.conftest import GRANT_BODY, SettlementApi
from tests.stack import eventually

pytestmark = pytest.mark.integration
GRANT = GRANT_BODY["grant_id"]
SUPPLIER_ADMIN = Actor(user_id="SUP-002-admin", role="supplier")


async def agree(api: SettlementApi, refund_id: str, order_id: str, amount: int) -> None:
    """The buyer asks for `amount` and the supplier agrees: the case's two events, in order."""
    asked = RefundRequested(
        refund_id=refund_id,
        order_id=order_id,
        supplier_id="SUP-002",
        grant_id=GRANT,
        requested_by=Actor(user_id="alice", role="researcher"),
        amount=Money.cny(amount),
        reason_code="damaged",
        reason="box crushed",
        goods_return_required=False,
        seller_deadline=api.clock.now() + timedelta(days=5),
    )
    agreed = RefundAgreed(
        refund_id=refund_id,
        order_id=order_id,
        supplier_id="SUP-002",
        grant_id=GRANT,
        amount=Money.cny(amount),
        agreed_by=SUPPLIER_ADMIN,
        automatic=False,
        pay_by=api.clock.now() + timedelta(hours=24),
    )
    envelopes = [
        Envelope.of(
            event,
            producer="refunds",
            aggregate_id=refund_id,
            aggregate_version=version,
            tenant_id="tsinghua",
            correlation_id=refund_id,
        )
        for version, event in enumerate((asked, agreed), start=1)
    ]
    await produce(api.stack.kafka, with_prefix(api.topic_prefix, Topic.REFUNDS_EVENTS.value), envelopes)


async def settled(api: SettlementApi, n: int) -> list[dict[str, Any]]:
    events = await api.settlement_events(at_least=1)

    async def enough() -> bool:
        nonlocal events
        events = await api.settlement_events(at_least=1)
        return len([e for e in events if e["event_type"] == "settlement.RefundSettled"]) >= n

    await eventually(enough, what=f"{n} refunds settled")
    return [e["payload"] for e in events if e["event_type"] == "settlement.RefundSettled"]


async def execution(api: SettlementApi) -> dict[str, Any]:
    response = await api.http.get(f"/v1/grants/{GRANT}/execution", headers=api.auth())
    return response.json()["total"]  # type: ignore[no-any-return]


async def test_partial_refund_while_held_returns_to_the_grant_at_once(api: SettlementApi) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 10, 2_800), line("CS-0002", "consumables", 5, 1_000))
    await api.escrow_status("O-1", "held")
    await agree(api, "R-1", "O-1", 4_000)  # consumables first (name order): 4,000 of its 5,000
    payload = (await settled(api, 1))[0]
    assert (payload["source"], payload["amount"]["amount_minor"]) == ("escrow", 4_000)
    assert (await execution(api))["encumbered"] == 29_000
    await api.receive("O-1", 29_000)
    await api.escrow_status("O-1", "released")
    total = await execution(api)
    assert (total["encumbered"], total["expended"], total["refunded"]) == (0, 29_000, 4_000)
    assert await api.check() == []


async def test_refund_after_release_comes_from_the_supplier_balance(api: SettlementApi) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 10, 2_800))
    await api.receive("O-1", 28_000)
    await api.escrow_status("O-1", "released")
    await agree(api, "R-1", "O-1", 10_000)
    payload = (await settled(api, 1))[0]
    assert payload["source"] == "supplier_balance"
    total = await execution(api)
    assert (total["expended"], total["refunded"]) == (18_000, 10_000)
    assert await api.check() == []


async def test_the_guarantee_advances_what_the_supplier_cannot_pay_and_recovers_it_later(
    api: SettlementApi,
) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 10, 2_800))
    await api.receive("O-1", 28_000)
    await api.escrow_status("O-1", "released")
    await agree(api, "R-1", "O-1", 20_000)  # the supplier holds 27,832 after the fee: balance pays
    await agree(api, "R-2", "O-1", 8_000)  # 7,832 left: the guarantee fund advances the 8,000
    sources = [(p["refund_id"], p["source"]) for p in await settled(api, 2)]
    assert sorted(sources) == [("R-1", "supplier_balance"), ("R-2", "guarantee_advance")]
    assert (await execution(api))["refunded"] == 28_000
    assert await api.check() == []

    await api.place("O-2", line("RG-0020", "reagents", 10, 6_800))  # the supplier's next sale
    await api.receive("O-2", 68_000)
    await api.escrow_status("O-2", "released")
    events = await api.settlement_events(at_least=1)
    released = next(
        e["payload"]
        for e in events
        if e["event_type"] == "settlement.EscrowReleased" and e["aggregate_id"] == "O-2"
    )
    fee = 408  # 60 bp of 68,000
    assert released["receivable_recovered"]["amount_minor"] == 8_000
    assert released["net_to_supplier"]["amount_minor"] == 68_000 - fee - 8_000
    recovered = next(e["payload"] for e in events if e["event_type"] == "settlement.ReceivableRecovered")
    assert recovered["outstanding"]["amount_minor"] == 0
    assert await api.check() == []


async def test_a_refund_over_the_order_amount_is_dead_lettered_and_moves_nothing(api: SettlementApi) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 1, 2_800))
    await api.escrow_status("O-1", "held")
    before = await api.balances()
    await agree(api, "R-1", "O-1", 2_801)
    dlq = await read_topic(
        api.stack.kafka, with_prefix(api.topic_prefix, Topic.REFUNDS_EVENTS.value) + ".dlq", at_least=1
    )
    assert dict(dlq[0].headers)["dlq.reason_code"] == b"refund_exceeds_order"
    assert await api.balances() == before
    assert await api.check() == []

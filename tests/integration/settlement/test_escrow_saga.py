"""Orders placed, received and cancelled move money exactly as docs/architecture.md says, on the real
broker; the execution figures match a hand computation; replays change nothing; check passes."""

from __future__ import annotations

from functools import partial

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from plumbing.messaging.consumer import BatchConsumer
from tests.factories import line
from tests.integration.kafka_io import produce, read_topic
from tests.integration.settlement.conftest import GRANT_BODY, SettlementApi
from tests.stack import eventually

pytestmark = pytest.mark.integration
GRANT = GRANT_BODY["grant_id"]


async def test_reserve_release_void_and_the_execution_figures(api: SettlementApi) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 10, 2_800), line("CS-0002", "consumables", 5, 1_000))
    await api.place("O-2", line("RG-0020", "reagents", 20, 6_800))
    await api.escrow_status("O-1", "held")
    await api.escrow_status("O-2", "held")  # orders on other keys may apply in any order: wait
    await api.place("O-3", line("EQ-9", "reagents", 1, 2_000_000))  # over the reagents budget
    await api.escrow_status("O-3", "rejected")

    await api.receive("O-1", 33_000)
    await api.cancel("O-2")
    await api.escrow_status("O-1", "released")
    await api.escrow_status("O-2", "voided")

    events = await api.settlement_events(at_least=6)
    kinds = [(e["event_type"].split(".")[1], e["aggregate_id"]) for e in events]
    assert ("GrantRegistered", GRANT) in kinds  # topics are ordered per key, not across keys
    assert ("FundsRejected", "O-3") in kinds and ("EscrowVoided", "O-2") in kinds
    rejected = next(e for e in events if e["event_type"] == "settlement.FundsRejected")["payload"]
    assert rejected["reason_code"] == "insufficient_budget"
    assert rejected["detail"] == "reagents has 836000 fen available, the order needs 2000000"
    released = next(e for e in events if e["event_type"] == "settlement.EscrowReleased")["payload"]
    # 33,000 fen gross; fee 60 bp = 198 fen; the supplier is owed 32,802.
    assert (
        released["gross"]["amount_minor"],
        released["fee"]["amount_minor"],
        released["net_to_supplier"]["amount_minor"],
    ) == (33_000, 198, 32_802)
    reserved = next(
        e for e in events if e["event_type"] == "settlement.FundsReserved" and e["aggregate_id"] == "O-1"
    )
    assert reserved["payload"]["by_category"] == {"consumables": 5_000, "reagents": 28_000}
    assert reserved["causation_id"] is not None

    execution = (await api.http.get(f"/v1/grants/{GRANT}/execution", headers=api.auth())).json()
    assert execution["total"] == {
        "budget": 1_200_000,
        "encumbered": 0,
        "expended": 33_000,
        "refunded": 0,
        "available": 1_167_000,
        "execution_rate_bp": 275,
    }
    assert execution["by_category"]["reagents"]["expended"] == 28_000
    assert execution["by_month"] == [
        {"month": "2026-04-01", "category": "consumables", "expended": 5_000, "refunded": 0},
        {"month": "2026-04-01", "category": "reagents", "expended": 28_000, "refunded": 0},
    ]
    # 33,000 fen in 100 days → 330 a day; projected 33,000 + 330 x 265 = 120,450 → 1,003 bp vs 9,000.
    assert execution["outlook"]["burn_per_day_minor"] == 330
    assert execution["outlook"]["projected_rate_bp"] == 1_003
    assert execution["outlook"]["behind_target"] is True
    university = (await api.http.get("/v1/universities/tsinghua/execution", headers=api.auth())).json()
    assert [g["grant_id"] for g in university["grants"]] == [GRANT]
    csv_export = await api.http.get(
        "/v1/universities/tsinghua/execution", params={"format": "csv"}, headers=api.auth()
    )
    assert csv_export.text.splitlines()[1].startswith(
        f"{GRANT},NSFC-22375001,prof-wang,1200000,0,33000,0,1167000,275"
    )
    assert await api.check() == []


async def test_replaying_every_order_event_changes_no_balance(api: SettlementApi) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 10, 2_800))
    await api.place("O-2", line("RG-0020", "reagents", 2, 6_800))
    await api.receive("O-1", 28_000)
    await api.cancel("O-2")
    await api.escrow_status("O-1", "released")
    await api.escrow_status("O-2", "voided")
    before = await api.balances()
    settled_events = len(await api.settlement_events(at_least=5))

    # The whole topic again, and again after the dedup records are gone (a replay from long ago).
    topic = orders_topic(api)
    lanes: list[BatchConsumer] = api.app.state.consumers
    for forget in (False, True):
        if forget:
            conn = await asyncpg.connect(api.dsn)
            await conn.execute("delete from processed_events")
            await conn.close()
        target = await _seen(lanes) + len(api.published)
        await produce(api.stack.kafka, topic, list(api.published))
        await eventually(partial(_consumed, lanes, target), what="the replay to be consumed")

    assert await api.balances() == before
    assert len(await api.settlement_events(at_least=settled_events)) == settled_events
    conn = await asyncpg.connect(api.dsn)
    try:
        assert await conn.fetchval("select count(*) from dead_letters") == 0
    finally:
        await conn.close()
    assert await api.check() == []


async def test_events_that_cannot_move_money_are_dead_lettered(api: SettlementApi) -> None:
    await api.receive("O-404", 1_000)  # never escrowed
    await api.place("O-1", line("RG-0002", "reagents", 1, 2_800))
    await api.receive("O-1", 2_800)
    await api.escrow_status("O-1", "released")
    await api.receive("O-1", 2_800)  # a second, different release
    await api.place("O-9", line("RG-0002", "reagents", 1, 2_800), grant_id="G-UNKNOWN")
    await api.escrow_status("O-9", "rejected")
    topic = orders_topic(api)
    dlq = await read_topic(api.stack.kafka, f"{topic}.dlq", at_least=2)
    assert [dict(r.headers)["dlq.reason_code"] for r in dlq] == [b"escrow_not_found", b"escrow_not_held"]
    events = await api.settlement_events(at_least=4)
    unknown = next(e for e in events if e["aggregate_id"] == "O-9")
    assert unknown["payload"]["reason_code"] == "unknown_grant"
    assert await api.check() == []


async def _seen(lanes: list[BatchConsumer]) -> int:
    """Events every lane of the service applied or recognised as duplicates."""
    return sum(lane.stats.applied + lane.stats.duplicates for lane in lanes)


async def _consumed(lanes: list[BatchConsumer], target: int) -> bool:
    return await _seen(lanes) >= target


def orders_topic(api: SettlementApi) -> str:
    return with_prefix(api.topic_prefix, Topic.ORDERS_EVENTS.value)


async def test_a_budget_never_drops_below_what_is_committed(api: SettlementApi) -> None:
    await api.place("O-1", line("RG-0002", "reagents", 100, 2_800))  # 280,000 encumbered
    await api.escrow_status("O-1", "held")
    url = f"/v1/grants/{GRANT}/budget"
    refused = await api.http.post(
        url, json={"category": "reagents", "budget_minor": 279_999, "reason": "cut"}, headers=api.auth()
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "budget_below_committed"
    ok = await api.http.post(
        url, json={"category": "reagents", "budget_minor": 280_000, "reason": "cut"}, headers=api.auth()
    )
    assert ok.status_code == 200 and ok.json()["budget_by_category"]["reagents"] == 280_000
    other_uni = await api.http.post(
        url, json={"category": "reagents", "budget_minor": 1, "reason": "x"}, headers=api.auth(tenant="pku")
    )
    assert other_uni.status_code == 404
    assert await api.check() == []

"""The refunds service in-process with an injected clock, on the real broker and database:
silence agrees, operations award disputes, and bad requests change nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory
from contracts.events.orders import OrderLine, OrderPaid, OrderPlaced, OrderShipped
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from plumbing.clock import FixedClock
from plumbing.web.auth import Principal, Role
from services.refunds import timers
from services.refunds.config import RefundsSettings
from services.refunds.main import build
from tests.integration.kafka_io import produce, read_topic
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ALICE = Actor(user_id="alice", role="researcher")


class Api:
    def __init__(
        self, app: FastAPI, http: httpx.AsyncClient, clock: FixedClock, stack: Stack, dsn: str, prefix: str
    ) -> None:
        self.app, self.http, self.clock, self.stack, self.dsn, self.prefix = (
            app,
            http,
            clock,
            stack,
            dsn,
            prefix,
        )

    def auth(
        self, role: Role, sub: str, tenant: str = "tsinghua", supplier_id: str | None = None
    ) -> dict[str, str]:
        token = self.app.state.token_codec.issue(
            Principal(subject=sub, role=role, tenant_id=tenant, supplier_id=supplier_id)
        )
        return {"Authorization": f"Bearer {token}"}

    async def order_events(self, order_id: str, *events: EventPayload) -> None:
        envelopes = [
            Envelope.of(
                e,
                producer="orders",
                aggregate_id=order_id,
                aggregate_version=n,
                tenant_id="tsinghua",
                correlation_id=order_id,
            )
            for n, e in enumerate(events, start=1)
        ]
        await produce(self.stack.kafka, with_prefix(self.prefix, Topic.ORDERS_EVENTS.value), envelopes)

    async def shipped_order(self, order_id: str, total: int = 10_000) -> None:
        line = OrderLine(
            listing_id="SUP-002:CS-1",
            sku="CS-1",
            listing_version=1,
            name="tips",
            category=BudgetCategory.CONSUMABLES,
            unit="box",
            quantity=1,
            unit_price_minor=total,
            line_total_minor=total,
        )
        await self.order_events(
            order_id,
            OrderPlaced(
                order_id=order_id,
                checkout_id="C-1",
                grant_id="G-1",
                buyer=ALICE,
                supplier_id="SUP-002",
                lines=[line],
                total=Money.cny(total),
            ),
            OrderPaid(order_id=order_id, supplier_id="SUP-002", amount=Money.cny(total), ship_by=NOW),
            OrderShipped(
                order_id=order_id,
                supplier_id="SUP-002",
                carrier="SF",
                tracking_number="1",
                auto_confirm_at=NOW,
            ),
        )
        conn = await asyncpg.connect(self.dsn)
        try:

            async def known() -> bool:
                return bool(
                    await conn.fetchval(
                        "select status = 'SHIPPED' from orders_view where order_id = $1", order_id
                    )
                )

            await eventually(known, what="refunds to learn the order")
        finally:
            await conn.close()

    async def request(self, order_id: str, amount: int, **extra: Any) -> httpx.Response:
        return await self.http.post(
            "/v1/refunds",
            headers=self.auth(Role.RESEARCHER, "alice"),
            json={
                "order_id": order_id,
                "amount_minor": amount,
                "reason_code": "damaged",
                "reason": "crushed",
                **extra,
            },
        )

    async def refund_events(self, at_least: int) -> list[dict[str, Any]]:
        records = await read_topic(
            self.stack.kafka, with_prefix(self.prefix, Topic.REFUNDS_EVENTS.value), at_least=at_least
        )
        return [json.loads(r.value) for r in records]


@pytest.fixture
async def api(stack: Stack, fresh_db: str, topic_prefix: str) -> AsyncIterator[Api]:
    clock = FixedClock(NOW)
    settings = RefundsSettings(
        database_url=fresh_db,
        http_port=0,
        timer_poll_seconds=3600,
        stack=stack.settings(topic_prefix),
    )
    app = build(settings, clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://refunds") as http,
    ):
        yield Api(app, http, clock, stack, fresh_db, topic_prefix)


async def test_a_silent_supplier_agrees_after_five_days(api: Api) -> None:
    await api.shipped_order("O-1")
    case = (await api.request("O-1", 4_000)).json()
    api.clock.advance(timedelta(days=5))
    assert await timers.fire_due_deadlines(api.app.state.context) == 1
    events = await api.refund_events(at_least=2)
    agreed = events[-1]
    assert agreed["event_type"] == "refunds.RefundAgreed" and agreed["payload"]["automatic"] is True
    assert agreed["payload"]["agreed_by"] == {"user_id": "system", "role": "system"}
    got = (
        await api.http.get(f"/v1/refunds/{case['refund_id']}", headers=api.auth(Role.RESEARCHER, "alice"))
    ).json()
    assert got["status"] == "AGREED"
    assert got["timeline"][-1]["action"] == "agreed (supplier silent)"
    trail = await api.http.get("/v1/audit", headers=api.auth(Role.UNIVERSITY_FINANCE, "fo-1"))
    (entry,) = trail.json()["entries"]  # the university's finance sees the award silence made
    assert (entry["action"], entry["actor_role"], entry["reason"]) == (
        "refund.deadline_passed",
        "system",
        "silence decided",
    )
    assert (entry["before"]["status"], entry["after"]["status"]) == ("WAIT_SELLER_AGREE", "AGREED")


async def test_operations_award_a_disputed_refund(api: Api) -> None:
    await api.shipped_order("O-1")
    rid = (await api.request("O-1", 6_000)).json()["refund_id"]
    supplier = api.auth(Role.SUPPLIER, "s", "platform", "SUP-002")
    buyer = api.auth(Role.RESEARCHER, "alice")
    assert (
        await api.http.post(
            f"/v1/refunds/{rid}/refuse", json={"reason": "fine when shipped"}, headers=supplier
        )
    ).json()["status"] == "SELLER_REFUSED"
    assert (
        await api.http.post(f"/v1/refunds/{rid}/escalate", json={"reason": "photos"}, headers=buyer)
    ).json()["status"] == "DISPUTE"
    decided = (
        await api.http.post(
            f"/v1/refunds/{rid}/decide",
            headers=api.auth(Role.PLATFORM_OPS, "ops", "platform"),
            json={"decision": "partial_refund", "awarded_minor": 3_000, "reason": "shared fault"},
        )
    ).json()
    assert (decided["status"], decided["amount_minor"]) == ("AGREED", 3_000)
    kinds = [e["event_type"].split(".")[1] for e in await api.refund_events(at_least=5)]
    assert kinds == ["RefundRequested", "RefundRefused", "RefundEscalated", "DisputeResolved", "RefundAgreed"]


async def test_bad_requests_change_nothing(api: Api) -> None:
    await api.shipped_order("O-1", total=10_000)
    too_much = await api.request("O-1", 10_001)
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "refund_too_large"
    rid = (await api.request("O-1", 1_000)).json()["refund_id"]
    second = await api.request("O-1", 1_000)
    assert second.status_code == 409 and second.json()["error"]["code"] == "case_already_open"
    other = await api.http.post(
        f"/v1/refunds/{rid}/agree", headers=api.auth(Role.SUPPLIER, "x", "platform", "SUP-9")
    )
    assert other.status_code == 403 and other.json()["error"]["code"] == "not_your_case"
    wrong_state = await api.http.post(
        f"/v1/refunds/{rid}/confirm-goods", headers=api.auth(Role.SUPPLIER, "s", "platform", "SUP-002")
    )
    assert wrong_state.status_code == 409 and wrong_state.json()["error"]["code"] == "illegal_transition"
    stranger = await api.http.post(
        "/v1/refunds",
        headers=api.auth(Role.RESEARCHER, "bob"),
        json={"order_id": "O-1", "amount_minor": 1, "reason_code": "x", "reason": "x"},
    )
    assert stranger.status_code == 404
    assert len(await api.refund_events(at_least=1)) == 1  # only the one accepted request

"""The settlement service in-process (real lifespan) against the real broker and database;
orders' events are published to Kafka as the orders service publishes them."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.orders import CancelReason, OrderCancelled, OrderLine, OrderPlaced, OrderReceived
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from plumbing.clock import FixedClock
from plumbing.web.auth import Principal, Role, TokenCodec
from services.settlement.checks.invariants import run_checks
from services.settlement.config import SettlementSettings
from services.settlement.main import build
from tests.integration.kafka_io import produce, read_topic
from tests.stack import Stack, eventually

START = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
UNI = "tsinghua"
ALICE = Actor(user_id="alice", role="researcher")
GRANT_BODY: dict[str, Any] = {
    "grant_id": "G-NSFC-2026-001",
    "code": "NSFC-22375001",
    "title": "Catalytic asymmetric synthesis",
    "pi_id": "prof-wang",
    "authorised_buyers": ["alice", "bob"],
    "budget_by_category": {"reagents": 1_000_000, "consumables": 200_000},
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "approval_threshold_minor": 500_000,
    "execution_targets": [{"on": "2026-06-30", "rate_bp": 4000}, {"on": "2026-12-31", "rate_bp": 9000}],
}


@dataclass
class SettlementApi:
    app: FastAPI
    http: httpx.AsyncClient
    clock: FixedClock
    codec: TokenCodec
    stack: Stack
    dsn: str
    topic_prefix: str
    published: list[Envelope] = field(default_factory=list)
    versions: dict[str, itertools.count[int]] = field(default_factory=dict)

    def auth(
        self,
        role: Role = Role.UNIVERSITY_FINANCE,
        sub: str = "fo-1",
        tenant: str = UNI,
        org_unit: str | None = None,
    ) -> dict[str, str]:
        principal = Principal(subject=sub, role=role, tenant_id=tenant, org_unit_id=org_unit)
        return {"Authorization": f"Bearer {self.codec.issue(principal)}"}

    async def order_event(self, order_id: str, event: EventPayload) -> Envelope:
        counter = self.versions.setdefault(order_id, itertools.count(1))
        envelope = Envelope.of(
            event,
            producer="orders",
            aggregate_id=order_id,
            aggregate_version=next(counter),
            tenant_id=UNI,
            correlation_id=f"C-{order_id}",
        )
        await produce(self.stack.kafka, with_prefix(self.topic_prefix, Topic.ORDERS_EVENTS.value), [envelope])
        self.published.append(envelope)
        return envelope

    async def place(
        self,
        order_id: str,
        *lines: OrderLine,
        grant_id: str = GRANT_BODY["grant_id"],
        supplier_id: str = "SUP-002",
    ) -> Envelope:
        return await self.order_event(
            order_id,
            OrderPlaced(
                order_id=order_id,
                checkout_id=f"C-{order_id}",
                grant_id=grant_id,
                buyer=ALICE,
                supplier_id=supplier_id,
                lines=list(lines),
                total=Money.cny(sum(x.line_total_minor for x in lines)),
            ),
        )

    async def receive(self, order_id: str, amount: int, supplier_id: str = "SUP-002") -> Envelope:
        return await self.order_event(
            order_id,
            OrderReceived(
                order_id=order_id,
                supplier_id=supplier_id,
                grant_id=GRANT_BODY["grant_id"],
                confirmed_by=ALICE,
                auto_confirmed=False,
                amount=Money.cny(amount),
            ),
        )

    async def cancel(self, order_id: str) -> Envelope:
        return await self.order_event(
            order_id,
            OrderCancelled(
                order_id=order_id,
                grant_id=GRANT_BODY["grant_id"],
                cancelled_by=ALICE,
                reason_code=CancelReason.BUYER_CANCELLED,
            ),
        )

    async def settlement_events(self, at_least: int) -> list[dict[str, Any]]:
        topic = with_prefix(self.topic_prefix, Topic.SETTLEMENT_EVENTS.value)
        return [json.loads(r.value) for r in await read_topic(self.stack.kafka, topic, at_least=at_least)]

    async def escrow_status(self, order_id: str, status: str) -> None:
        async def reached() -> bool:
            response = await self.http.get(f"/v1/orders/{order_id}/escrow", headers=self.auth())
            return response.status_code == 200 and response.json()["status"] == status

        await eventually(reached, what=f"escrow of {order_id} to be {status}")

    async def balances(self) -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch("select * from accounts order by account_id")
            return [tuple(r) for r in rows]
        finally:
            await conn.close()

    async def check(self) -> list[str]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return [f"{r.name}: {r.detail}" for r in await run_checks(conn) if not r.ok]
        finally:
            await conn.close()


@pytest.fixture
async def api(stack: Stack, fresh_db: str, topic_prefix: str) -> AsyncIterator[SettlementApi]:
    stack_settings = stack.settings(topic_prefix)
    clock = FixedClock(START)
    app = build(SettlementSettings(database_url=fresh_db, http_port=0, stack=stack_settings), clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://settlement") as http,
    ):
        running = SettlementApi(app, http, clock, app.state.token_codec, stack, fresh_db, topic_prefix)
        response = await http.post("/v1/grants", json=GRANT_BODY, headers=running.auth())
        assert response.status_code == 201, response.text
        yield running

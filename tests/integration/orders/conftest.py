"""The orders service in-process (real lifespan: migrations, relay, consumers) against the real
broker and database, with an injected clock; other services' events are published to Kafka as
those services would publish them."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import BudgetCategory
from contracts.events.settlement import (
    EscrowReleased,
    FundsRejected,
    FundsRejectedReason,
    FundsReserved,
    GrantRegistered,
)
from contracts.events.suppliers import ListingPublished, SupplierActivated
from contracts.money import Money
from contracts.topics import OWNERS, Topic, with_prefix
from plumbing.clock import FixedClock
from plumbing.web.auth import Principal, Role, TokenCodec
from services.orders import timers
from services.orders.config import OrdersSettings
from services.orders.main import build
from tests.integration.kafka_io import produce, read_topic
from tests.stack import Stack, eventually

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
UNI = "tsinghua"
GRANT = "G-NSFC-2026-001"
PI, BUYER, MEMBER, OFFICER = "prof-wang", "alice", "bob", "officer-zhao"
CatalogItem = tuple[str, str, int, str, bool, str | None]
CATALOG: dict[str, tuple[date | None, list[CatalogItem]]] = {
    # supplier: (hazardous licence until, [(sku, name, price, category, hazardous, cas)])
    "SUP-002": (
        date(2027, 6, 30),
        [
            ("RG-0002", "Acetone", 2800, "reagents", True, "67-64-1"),
            ("RG-0020", "Glycine", 6800, "reagents", False, "56-40-6"),
        ],
    ),
    "SUP-004": (
        None,
        [
            ("CS-0001", "Pipette tips 10 uL, filtered", 4500, "consumables", False, None),
            ("CS-0002", "Pipette tips 200 uL", 2800, "consumables", False, None),
            ("EQ-0001", "Cryo-electron microscope", 5_000_000_000, "equipment", False, None),
        ],
    ),
}


@dataclass
class OrdersApi:
    app: FastAPI
    http: httpx.AsyncClient
    clock: FixedClock
    codec: TokenCodec
    stack: Stack
    dsn: str
    topic_prefix: str
    versions: dict[str, itertools.count[int]] = field(default_factory=dict)

    def auth(
        self,
        role: Role,
        sub: str,
        tenant: str = UNI,
        supplier_id: str | None = None,
        org_unit: str | None = None,
    ) -> dict[str, str]:
        principal = Principal(
            subject=sub, role=role, tenant_id=tenant, supplier_id=supplier_id, org_unit_id=org_unit
        )
        token = self.codec.issue(principal)
        return {"Authorization": f"Bearer {token}"}

    def buyer(self, sub: str = BUYER) -> dict[str, str]:
        return self.auth(Role.RESEARCHER, sub)

    def supplier(self, sid: str) -> dict[str, str]:
        return self.auth(Role.SUPPLIER, f"{sid}-admin", "platform", sid)

    def topic(self, topic: Topic) -> str:
        return with_prefix(self.topic_prefix, topic.value)

    async def publish(
        self, topic: Topic, aggregate_id: str, *events: EventPayload, tenant: str = UNI
    ) -> None:
        """Publish events as their producing service would: one stream per aggregate."""
        counter = self.versions.setdefault(aggregate_id, itertools.count(1))
        envelopes = [
            Envelope.of(
                e,
                producer=OWNERS[topic],
                aggregate_id=aggregate_id,
                aggregate_version=next(counter),
                tenant_id=tenant,
                correlation_id=aggregate_id,
            )
            for e in events
        ]
        await produce(self.stack.kafka, self.topic(topic), envelopes)

    async def settle(self, order: dict[str, Any], outcome: str, **extra: Any) -> None:
        """Settlement's answer to an order, on settlement.events."""
        oid, amount = order["order_id"], Money.cny(order["total_minor"])
        event: EventPayload
        if outcome == "reserved":
            event = FundsReserved(
                order_id=oid,
                grant_id=order["grant_id"],
                supplier_id=order["supplier_id"],
                amount=amount,
                by_category={BudgetCategory.REAGENTS: amount.amount_minor},
                transfer_ids=[uuid.uuid5(uuid.NAMESPACE_URL, f"{oid}:escrow")],
            )
        elif outcome == "rejected":
            event = FundsRejected(
                order_id=oid,
                grant_id=order["grant_id"],
                reason_code=FundsRejectedReason.INSUFFICIENT_BUDGET,
                detail=extra["detail"],
            )
        else:
            event = EscrowReleased(
                order_id=oid,
                grant_id=order["grant_id"],
                supplier_id=order["supplier_id"],
                gross=amount,
                fee=Money.cny(0),
                net_to_supplier=amount,
                receivable_recovered=Money.cny(0),
                transfer_ids=[],
            )
        await self.publish(Topic.SETTLEMENT_EVENTS, f"settle:{oid}", event)

    async def order(
        self, order_id: str, wait_for: str | None = None, who: dict[str, str] | None = None
    ) -> Any:
        params: dict[str, str | int] = {"wait_for": wait_for, "timeout": 20} if wait_for else {}
        response = await self.http.get(f"/v1/orders/{order_id}", params=params, headers=who or self.buyer())
        assert response.status_code == 200, response.text
        return response.json()

    async def events_on_orders_topic(self, at_least: int) -> list[dict[str, Any]]:
        records = await read_topic(self.stack.kafka, self.topic(Topic.ORDERS_EVENTS), at_least=at_least)
        return [json.loads(r.value) for r in records]

    async def fire_deadlines(self) -> int:
        """What the deadline loop does each tick, run now (the clock is the test's)."""
        return await timers.fire_due_deadlines(self.app.state.context)


async def seed(api: OrdersApi, threshold_minor: int = 500_000) -> None:
    """A grant and two active suppliers with listings, as settlement and suppliers publish them."""
    await api.publish(
        Topic.SETTLEMENT_EVENTS,
        GRANT,
        GrantRegistered(
            grant_id=GRANT,
            code="NSFC-22375001",
            title="Catalytic asymmetric synthesis",
            pi_id=PI,
            authorised_buyers=[BUYER, MEMBER],
            budget_by_category={BudgetCategory.REAGENTS: 5_000_000},
            period_start=date(2026, 1, 1),
            period_end=date(2028, 12, 31),
            approval_threshold=Money.cny(threshold_minor),
        ),
    )
    for sid, (licence, items) in CATALOG.items():
        events: list[EventPayload] = [
            SupplierActivated(
                supplier_id=sid, legal_name=f"{sid} Co., Ltd.", hazardous_licence_valid_until=licence
            )
        ]
        events += [
            ListingPublished(
                supplier_id=sid,
                listing_id=f"{sid}:{sku}",
                sku=sku,
                name=name,
                unit="unit",
                price=Money.cny(price),
                category=BudgetCategory(cat),
                hazardous=hz,
                hazard_class="flammable" if hz else None,
                cas_number=cas,
                listing_version=1,
            )
            for sku, name, price, cat, hz, cas in items
        ]
        await api.publish(Topic.SUPPLIERS_EVENTS, sid, *events, tenant="platform")
    conn = await asyncpg.connect(api.dsn)
    try:

        async def projected() -> bool:
            return bool(await conn.fetchval("select count(*) = 5 from catalog_listings")) and bool(
                await conn.fetchval("select count(*) = 1 from grants")
            )

        await eventually(projected, what="the catalog and grant projections")
    finally:
        await conn.close()


@pytest.fixture
async def api(stack: Stack, fresh_db: str, topic_prefix: str) -> AsyncIterator[OrdersApi]:
    stack_settings = stack.settings(topic_prefix)
    clock = FixedClock(START)
    app = build(
        OrdersSettings(database_url=fresh_db, http_port=0, stack=stack_settings, timer_poll_seconds=3600),
        clock,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orders") as http,
    ):
        running = OrdersApi(app, http, clock, app.state.token_codec, stack, fresh_db, topic_prefix)
        await seed(running)
        yield running


def cart(*lines: tuple[str, str, int, int]) -> dict[str, Any]:
    return {
        "grant_id": GRANT,
        "lines": [{"supplier_id": s, "sku": k, "quantity": q, "unit_price_minor": p} for s, k, q, p in lines],
    }


async def checkout(
    api: OrdersApi, body: dict[str, Any], key: str | None = None, who: dict[str, str] | None = None
) -> Any:
    response = await api.http.post(
        "/v1/checkouts",
        json=body,
        headers={**(who or api.buyer()), "Idempotency-Key": key or str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    return response.json()

"""The suppliers service in-process (its real lifespan: migrations, relay, consumer) against the
real broker and database, driven through HTTP with an injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from plumbing.clock import FixedClock
from plumbing.web.auth import Principal, Role, TokenCodec
from services.suppliers.config import SuppliersSettings
from services.suppliers.main import build
from tests.stack import Stack

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@dataclass
class SuppliersApi:
    app: FastAPI
    http: httpx.AsyncClient
    clock: FixedClock
    codec: TokenCodec
    dsn: str
    topic_prefix: str

    def token(self, role: Role, sub: str = "u-1", supplier_id: str | None = None) -> dict[str, str]:
        principal = Principal(subject=sub, role=role, tenant_id="platform", supplier_id=supplier_id)
        return {"Authorization": f"Bearer {self.codec.issue(principal)}"}  # tokens live in real time

    def supplier(self, supplier_id: str) -> dict[str, str]:
        return self.token(Role.SUPPLIER, sub=f"{supplier_id}-admin", supplier_id=supplier_id)

    @property
    def ops(self) -> dict[str, str]:
        return self.token(Role.PLATFORM_OPS, sub="ops-1")

    @property
    def integration(self) -> dict[str, str]:
        return self.token(Role.INTEGRATION, sub="platform-a")


async def start_suppliers(
    stack: Stack, dsn: str, topic_prefix: str, **settings: object
) -> AsyncIterator[SuppliersApi]:
    stack_settings = stack.settings(topic_prefix)
    config = SuppliersSettings(database_url=dsn, http_port=0, stack=stack_settings, **settings)  # type: ignore[arg-type]
    clock = FixedClock(START)
    app = build(config, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://suppliers") as http:
            yield SuppliersApi(app, http, clock, app.state.token_codec, dsn, topic_prefix)


@pytest.fixture
async def api(stack: Stack, fresh_db: str, topic_prefix: str) -> AsyncIterator[SuppliersApi]:
    async for running in start_suppliers(stack, fresh_db, topic_prefix):
        yield running

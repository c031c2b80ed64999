from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from plumbing.db.pool import migrate_service
from tests.integration.effects import create_effects_table

pytestmark = pytest.mark.integration


@pytest.fixture
async def messaging_db(fresh_db: str, tmp_path: Path) -> str:
    """A fresh database with the plumbing tables and the test `effects` table."""
    await migrate_service(fresh_db, "messaging-test", tmp_path / "no-service-migrations")
    await create_effects_table(fresh_db)
    return fresh_db


@pytest.fixture
async def pool(messaging_db: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(messaging_db, min_size=1, max_size=4)
    assert p is not None
    yield p
    await p.close()


@contextlib.asynccontextmanager
async def running(loop_fn: Callable[[], Awaitable[None]]) -> AsyncIterator[asyncio.Task[None]]:
    """Run a background loop (relay, consumer) for the duration of the block."""
    task = asyncio.ensure_future(loop_fn())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""Fixtures shared by every tier. Stack fixtures start nothing until a test asks for them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.stack import Stack, create_database, discover_stack, drop_database


@pytest.fixture(scope="session")
def stack() -> Stack:
    return discover_stack()


@pytest.fixture
async def fresh_db(stack: Stack, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    label = "".join(c for c in request.node.name.lower() if c.isalnum())[:20]
    dsn = await create_database(stack, label)
    yield dsn
    await drop_database(stack, dsn)


@pytest.fixture
def topic_prefix() -> str:
    """A unique topic prefix, so a rerun never reads an earlier run's events."""
    return f"t{uuid.uuid4().hex[:10]}."

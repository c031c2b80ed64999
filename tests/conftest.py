"""Fixtures shared by every tier. Stack fixtures start nothing until a test asks for them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from plumbing.messaging.provisioning import provision
from tests.containers import container_stack, docker_engine_available
from tests.stack import Stack, create_database, delete_topics, drop_database, given_stack, local_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    given = given_stack()
    if given is not None:
        yield given
    elif docker_engine_available():
        with container_stack() as (kafka, dsn):
            yield Stack(kafka, dsn)
    else:
        yield local_stack()


@pytest.fixture
async def fresh_db(stack: Stack, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    label = "".join(c for c in request.node.name.lower() if c.isalnum())[:20]
    dsn = await create_database(stack, label)
    yield dsn
    await drop_database(stack, dsn)


@pytest.fixture
async def topic_prefix(stack: Stack) -> AsyncIterator[str]:
    """A unique topic prefix, so a rerun never reads an earlier run's events: its topics and ACLs
    provisioned as a deployment's are, and deleted afterwards so that a long-lived local broker
    does not pile them up."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await provision(stack.kafka, prefix)
    yield prefix
    await delete_topics(stack, prefix)

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.flow import Flow
from tests.e2e.processes import SERVICES, ServiceProcess, free_port
from tests.stack import Stack, create_database, drop_database

pytestmark = pytest.mark.e2e


@pytest.fixture
async def services(
    stack: Stack, topic_prefix: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """All four services as separate processes, each with a fresh database, ready.
    `@pytest.mark.service_env(NAME=value, ...)` passes settings to every service."""
    marker = request.node.get_closest_marker("service_env")
    extra_env = {k: str(v) for k, v in (marker.kwargs if marker else {}).items()}
    running: dict[str, ServiceProcess] = {}
    try:
        for name in SERVICES:
            dsn = await create_database(stack, name)
            running[name] = ServiceProcess(name, free_port(), dsn, tmp_path / f"{name}.log")
            await running[name].start(stack, topic_prefix, extra_env)
        for process in running.values():
            await process.wait_ready()
        yield running
    finally:
        for process in running.values():
            await process.stop()
        for process in running.values():
            await drop_database(stack, process.dsn)


@pytest.fixture
async def flow(services: dict[str, ServiceProcess]) -> AsyncIterator[Flow]:
    """The running services with a supplier onboarded and a grant registered, and a client."""
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Flow(http, services)
        await walk.setup()
        yield walk

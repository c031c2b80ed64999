from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.flow import Flow
from tests.e2e.processes import ServiceProcess, running_services
from tests.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
async def services(
    stack: Stack, topic_prefix: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """All four services as separate processes, each with a fresh database, ready.
    `@pytest.mark.service_env(NAME=value, ...)` passes settings to every service;
    `@pytest.mark.profiles_worker` runs the supplier-profile stream worker too."""
    marker = request.node.get_closest_marker("service_env")
    extra_env = {k: str(v) for k, v in (marker.kwargs if marker else {}).items()}
    profiles = request.node.get_closest_marker("profiles_worker") is not None
    async with running_services(stack, topic_prefix, tmp_path, extra_env, profiles=profiles) as running:
        yield running


@pytest.fixture
async def flow(services: dict[str, ServiceProcess]) -> AsyncIterator[Flow]:
    """The running services with a supplier onboarded and a grant registered, and a client."""
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Flow(http, services)
        await walk.setup()
        yield walk

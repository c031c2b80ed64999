from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.flow import Flow
from tests.e2e.processes import ServiceProcess, running_console, running_services
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


@pytest.fixture
async def console(
    services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    async with running_console(stack, topic_prefix, tmp_path, services) as running:
        yield running


def chromium() -> WebDriver:
    """Debian's Chromium through its chromedriver (nothing is downloaded). Its start is tried
    twice: a headless Chromium on a loaded machine now and then fails to hand over its debugging
    port in time, which says nothing about the console."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1800"):
        options.add_argument(argument)
    try:
        return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    except WebDriverException:
        return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()

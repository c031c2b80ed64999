"""Schemathesis against each running service's own OpenAPI document, as platform operations and as
the role each service mostly serves: schema-valid and schema-breaking requests alike never get a
5xx, and every error answer is in the shared error shape (`tests/fuzz_hooks.py`).

A short run (`UNISETTLE_FUZZ_EXAMPLES`, default 10 per operation and phase, fixed seed
`UNISETTLE_FUZZ_SEED`); raise both for a longer one."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from plumbing.settings import StackSettings
from plumbing.web.auth import Principal, Role
from tests.e2e.processes import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.profiles_worker]  # every route answers, the profile too
AS = {
    "orders": Principal("alice", Role.RESEARCHER, "tsinghua"),
    "settlement": Principal("fo-1", Role.UNIVERSITY_FINANCE, "tsinghua"),
    "suppliers": Principal("jinling-admin", Role.SUPPLIER, "platform", "SUP-004"),
    "refunds": Principal("alice", Role.RESEARCHER, "tsinghua"),
    "invoices": Principal("fo-1", Role.UNIVERSITY_FINANCE, "tsinghua"),
}
OPS = Principal("ops-fuzz", Role.PLATFORM_OPS, "platform")
ROOT = Path(__file__).parents[2]


async def fuzz(service: ServiceProcess, who: Principal, reports: Path) -> tuple[int, str]:
    token = StackSettings().token_codec().issue(who)
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run", f"{service.url}/openapi.json"),
        *("--header", f"Authorization: Bearer {token}"),
        *("--checks", "not_a_server_error,shared_error_shape"),
        *("--phases", "coverage,fuzzing"),
        *("--max-examples", os.environ.get("UNISETTLE_FUZZ_EXAMPLES", "10")),
        *("--seed", os.environ.get("UNISETTLE_FUZZ_SEED", "20261126")),
        *("--request-timeout", "10", "--generation-database", "none", "--no-color"),
        *("--report-dir", str(reports)),
    ]
    # run in the report directory: schemathesis keeps a cache where it runs, not in the checkout
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks", "PYTHONPATH": str(ROOT)}
    reports.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=reports, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.mark.service_env(UNISETTLE_WRITE_RATE_PER_SECOND="1000000", UNISETTLE_WRITE_BURST="1000000")
async def test_no_request_gets_a_server_error_and_every_error_has_the_shared_shape(
    services: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    failed = []
    for name, service in services.items():
        if name not in AS:
            continue  # the profile worker's page is internal: fuzzed through the suppliers API
        for who in (OPS, AS[name]):
            code, output = await fuzz(service, who, tmp_path / f"{name}-{who.role.value}")
            assert "Test cases:" in output, output[-3000:]  # it ran
            if code != 0:
                failed.append(f"--- {name} as {who.role.value} (exit {code})\n{output[-9000:]}")
    assert not failed, "\n".join(failed)

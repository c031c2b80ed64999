"""Running UniSettle services as separate OS processes against the real stack."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from plumbing.messaging.provisioning import provision
from tests.stack import Stack, create_database, drop_database, eventually

SERVICES = ("orders", "settlement", "suppliers", "refunds", "invoices")


_GIVEN: set[int] = set()


def free_ports(offsets: Sequence[int]) -> int:
    """A base port such that base + each offset is free and not given out before, for a server
    that derives its ports from one (Kafka's nodes: deploy/stack.sh)."""
    while True:
        base = free_port()
        wanted = [base + o for o in offsets]
        if max(wanted) > 65535 or any(p in _GIVEN for p in wanted[1:]) or not all(map(_bindable, wanted[1:])):
            continue
        _GIVEN.update(wanted)
        return base


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on, and not one given out before by this process: the service it
    is for binds it only later, and the OS could offer the same free port to the next caller
    (two services on one port would answer each other's requests)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


async def spawn(log_path: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """This interpreter with `args`, its output appended to `log_path`."""
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(sys.executable, *args, env=env, stdout=log, stderr=log)


@asynccontextmanager
async def running_services(
    stack: Stack,
    topic_prefix: str,
    logs: Path,
    extra_env: dict[str, str] | None = None,
    *,
    profiles: bool = False,
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """All four services as separate processes, each with a fresh database, ready (and with
    `profiles` the supplier-profile stream worker, which suppliers asks); stopped and their
    databases dropped afterwards."""
    running: dict[str, ServiceProcess] = {}
    await provision(stack.kafka, topic_prefix)  # the prefix's topics and ACLs (idempotent)
    env = dict(extra_env or {})
    try:
        if profiles:
            worker = ServiceProcess("profiles", free_port(), "", logs / "profiles.log")
            env["SUPPLIERS_PROFILES_URL"] = env["SETTLEMENT_PROFILES_URL"] = worker.url
            await worker.start(stack, topic_prefix, {**env, "PROFILES_DATADIR": str(logs / "profiles")})
            running["profiles"] = worker
        for name in SERVICES:
            dsn = await create_database(stack, name)
            running[name] = ServiceProcess(name, free_port(), dsn, logs / f"{name}.log")
            await running[name].start(stack, topic_prefix, env)
        for process in running.values():
            await process.wait_ready()
        yield running
    finally:
        for process in running.values():
            await process.stop()
        for process in running.values():
            if process.dsn:
                await drop_database(stack, process.dsn)
    assert secrets_in_logs(logs) == []  # after a test that passed: its services logged nothing secret


@asynccontextmanager
async def running_console(
    stack: Stack, topic_prefix: str, logs: Path, services: dict[str, ServiceProcess]
) -> AsyncIterator[ServiceProcess]:
    """The console as a process over the running services (their APIs, and their databases for
    the operations view), with a fresh database of its own, ready; stopped and dropped after."""
    console = ServiceProcess(
        "console", free_port(), await create_database(stack, "console"), logs / "console.log"
    )
    operator = stack.kafka_as("operator").password  # it reads consumer lag as the operator
    env = {f"CONSOLE_{name.upper()}_URL": s.url for name, s in services.items()}
    env |= {f"CONSOLE_{name.upper()}_DATABASE_URL": s.dsn for name, s in services.items()}
    env |= {"CONSOLE_PUBLIC_URL": console.url}
    if operator is not None:
        env["CONSOLE_KAFKA_PASSWORD"] = operator.get_secret_value()
    try:
        await console.start(stack, topic_prefix, env)
        await console.wait_ready()
        yield console
    finally:
        await console.stop()
        await drop_database(stack, console.dsn)


_SECRETS = re.compile(
    r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # a bearer token
    r"|(?<![\w.-])\d{12,30}(?![\w.-])"  # a bank account number
    r"|[\w.+-]+@[\w-]+\.example"  # a person's e-mail address (test data uses .example)
)


def secrets_in_logs(logs: Path) -> list[str]:
    """Every token, account number or e-mail address in the services' logs, with where it was
    (a line's own trace and span ids, which can be all digits, are not what this looks for)."""
    found = []
    for path in sorted(logs.glob("*.log")):
        for line in path.read_text(errors="replace").split("\n"):  # not splitlines: a logged
            # path may hold U+2028 or U+0085, which are not a log line's end
            try:
                fields = json.loads(line)
                text = json.dumps({k: v for k, v in fields.items() if k not in ("trace_id", "span_id")})
            except (ValueError, AttributeError):
                text = line
            found += [f"{path.name}: {match.group(0)}" for match in _SECRETS.finditer(text)]
    return found


@dataclass
class ServiceProcess:
    name: str
    port: int
    dsn: str
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, stack: Stack, topic_prefix: str, extra_env: dict[str, str] | None = None) -> None:
        prefix = self.name.upper()
        env = {
            **os.environ,
            **stack.service_env(self.name),
            "UNISETTLE_TOPIC_PREFIX": topic_prefix,
            f"{prefix}_DATABASE_URL": self.dsn,
            f"{prefix}_HTTP_PORT": str(self.port),
            **(extra_env or {}),
        }
        self.process = await spawn(self.log_path, env, "-m", f"services.{self.name}.main")

    async def wait_ready(self, timeout: float = 60) -> None:
        async def ready() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(f"{self.url}/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(ready, timeout=timeout, what=f"{self.name} /ready")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@dataclass
class RelayProcess:
    """An outbox relay run on its own (`unisettle relay`), competing with the one inside the
    service for the same advisory lock: whichever holds it publishes."""

    name: str
    dsn: str
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self, stack: Stack) -> None:
        env = {**os.environ, **stack.service_env(self.name)}
        self.process = await spawn(
            self.log_path, env, "-m", "cli", "relay", "--dsn", self.dsn, "--name", self.name
        )

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def quiet(services: dict[str, ServiceProcess], stack: Stack, prefix: str) -> bool:
    """No outbox backlog and no consumer lag in any service: everything sent was consumed."""
    from plumbing.ops.status import service_status

    for name, service in services.items():
        if not service.dsn:
            continue  # a stream worker: no database, no outbox
        status = await service_status(name, service.dsn, stack.kafka, f"{prefix}{name}")
        if status.outbox_backlog or any(status.consumer_lag.values()):
            return False
    return True

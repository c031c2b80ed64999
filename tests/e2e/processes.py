"""Running UniSettle services as separate OS processes against the real stack."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.stack import Stack, eventually

SERVICES = ("orders", "settlement", "suppliers", "refunds")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
            "UNISETTLE_TOPIC_PREFIX": topic_prefix,
            f"{prefix}_DATABASE_URL": self.dsn,
            f"{prefix}_HTTP_PORT": str(self.port),
            **(extra_env or {}),
        }
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{self.name}.main", env=env, stdout=log, stderr=log
        )

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
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.kafka}
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "plumbing.cli",
            "relay",
            "--dsn",
            self.dsn,
            "--name",
            self.name,
            env=env,
            stdout=log,
            stderr=log,
        )

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def quiet(services: dict[str, ServiceProcess], stack: Stack, prefix: str) -> bool:
    """No outbox backlog and no consumer lag in any service: everything sent was consumed."""
    from plumbing.operations import service_status

    for name, service in services.items():
        status = await service_status(name, service.dsn, stack.kafka, f"{prefix}{name}")
        if status.outbox_backlog or any(status.consumer_lag.values()):
            return False
    return True

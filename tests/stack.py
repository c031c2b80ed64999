"""Endpoints of the real broker and database for integration and end-to-end tests.

KAFKA_BOOTSTRAP_SERVERS, UNISETTLE_KAFKA_CREDENTIALS and UNISETTLE_PG_ADMIN_DSN are used when set;
else containers when a Docker engine answers; else the project's local stack (deploy/stack.sh up
is idempotent). The tests act on the broker as its own principal (`broker`, the super user); the
services they run use their own (`stack.kafka_as`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from contracts.access import BROKER
from plumbing.messaging.kafka_access import KafkaAccess, from_credentials
from plumbing.messaging.provisioning import unprovision
from plumbing.settings import StackSettings

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stack:
    bootstrap_servers: str
    pg_admin_dsn: str
    credentials: Path | None = None  # the cluster's principals and passwords, if it authenticates

    @property
    def kafka(self) -> KafkaAccess:
        """The broker as its own principal (the super user): what the tests do as the platform."""
        return self.kafka_as(BROKER)

    def kafka_as(self, principal: str) -> KafkaAccess:
        return from_credentials(self.bootstrap_servers, self.credentials, principal)

    def settings(self, topic_prefix: str = "") -> StackSettings:
        """Stack settings for a service run in the test's process (it finds its own password in
        the credentials file)."""
        return StackSettings(
            kafka_bootstrap_servers=self.bootstrap_servers,
            kafka_credentials=self.credentials,
            topic_prefix=topic_prefix,
        )

    def env(self) -> dict[str, str]:
        """Environment of a tool run as a child process, acting as the broker's principal."""
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers, "UNISETTLE_PG_ADMIN_DSN": self.pg_admin_dsn}
        if self.credentials is not None:
            env["UNISETTLE_KAFKA_CREDENTIALS"] = str(self.credentials)
        access = self.kafka
        if access.authenticated:
            assert access.username is not None and access.password is not None
            env |= {"UNISETTLE_KAFKA_USERNAME": access.username}
            env |= {"UNISETTLE_KAFKA_PASSWORD": access.password.get_secret_value()}
        return env

    def service_env(self, service: str) -> dict[str, str]:
        """Environment of a service run as a process: the endpoints and its own password only."""
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers}
        password = self.kafka_as(service).password
        if password is not None:
            env[f"{service.upper()}_KAFKA_PASSWORD"] = password.get_secret_value()
        return env

    def dsn_for(self, database: str) -> str:
        parts = urlsplit(self.pg_admin_dsn)
        return urlunsplit(parts._replace(path=f"/{database}"))


def given_stack() -> Stack | None:
    """The endpoints named in the environment, if any."""
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    dsn = os.environ.get("UNISETTLE_PG_ADMIN_DSN")
    credentials = os.environ.get("UNISETTLE_KAFKA_CREDENTIALS")
    return Stack(kafka, dsn, Path(credentials) if credentials else None) if kafka and dsn else None


def local_stack() -> Stack:
    """The project's own Kafka and Postgres, started if they are not running (idempotent)."""
    subprocess.run([str(ROOT / "deploy" / "stack.sh"), "up"], check=True)
    values = dict(
        line.split("=", 1) for line in (ROOT / ".stack" / "env").read_text().splitlines() if "=" in line
    )
    credentials = values.get("UNISETTLE_KAFKA_CREDENTIALS")
    return Stack(
        values["KAFKA_BOOTSTRAP_SERVERS"],
        values["UNISETTLE_PG_ADMIN_DSN"],
        Path(credentials) if credentials else None,
    )


async def stack_sh(*args: str) -> None:
    """`deploy/stack.sh <args>` on the local stack, e.g. `crash postgres` (kill and bring back) or
    `kill postgres` (and `up` later): only where the tests own the broker and database."""
    assert given_stack() is None, "this test stops the broker or database: run it on the local stack"
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "deploy" / "stack.sh"),
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 0, f"stack.sh {' '.join(args)} failed: {err.decode()[-2000:]}"


async def create_database(stack: Stack, label: str) -> str:
    """A fresh, empty database for one test; returns its DSN."""
    name = f"t_{label}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(stack.pg_admin_dsn)
    try:
        await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
    return stack.dsn_for(name)


async def drop_database(stack: Stack, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    conn = await asyncpg.connect(stack.pg_admin_dsn)
    try:
        await conn.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await conn.close()


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 30, what: str = "condition"
) -> None:
    """Wait until `condition()` is true, polling; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def kafka_admin(stack: Stack) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client of the broker, closed afterwards."""
    admin = AIOKafkaAdminClient(**stack.kafka.aiokafka(), request_timeout_ms=10000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def delete_topics(stack: Stack, prefix: str) -> None:
    """Delete every topic whose name starts with `prefix` (a test's own topics), and its ACLs."""
    await unprovision(stack.kafka, prefix)

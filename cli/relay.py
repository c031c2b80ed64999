"""`unisettle relay`: an outbox relay on its own (every service runs one inside)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from plumbing.logs import configure_logging
from plumbing.relay import OutboxRelay
from plumbing.settings import StackSettings


def relay(
    dsn: Annotated[str, typer.Option("--dsn", help="the service database")],
    name: Annotated[str, typer.Option("--name", help="one relay per name publishes at a time")],
) -> None:
    """Publish a database's outbox to Kafka until interrupted."""
    configure_logging(f"{name}-relay")
    publisher = OutboxRelay(name=name, dsn=dsn, bootstrap_servers=StackSettings().kafka_bootstrap_servers)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(publisher.run())

"""`unisettle relay`: an outbox relay on its own (every service runs one inside)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from cli.common import Service, service_settings
from plumbing.messaging.relay import OutboxRelay
from plumbing.ops.logs import configure_logging


def relay(
    dsn: Annotated[str, typer.Option("--dsn", help="the service database")],
    name: Annotated[
        Service, typer.Option("--name", help="the service whose outbox it is (one relay publishes at a time)")
    ],
) -> None:
    """Publish a service database's outbox to Kafka until interrupted, as the service's principal."""
    configure_logging(f"{name}-relay")
    publisher = OutboxRelay(name=name, dsn=dsn, kafka=service_settings(name).kafka(name))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(publisher.run())

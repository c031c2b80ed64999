"""`unisettle status`: outbox backlog, open dead letters and consumer lag per service."""

from __future__ import annotations

import asyncio

from cli.common import Service, service_dsn
from plumbing.ops.status import service_status
from plumbing.settings import StackSettings


def status() -> None:
    """What each service still has to publish or consume, and its open dead letters."""
    stack = StackSettings()

    async def run() -> None:
        print(f"{'service':<11} {'outbox':>7} {'oldest':>8} {'dlq':>4}  consumer lag")
        for service in Service:
            s = await service_status(
                service, service_dsn(service), stack.operator_kafka(), f"{stack.topic_prefix}{service}"
            )
            oldest = f"{s.oldest_unsent_seconds:.1f}s" if s.oldest_unsent_seconds is not None else "-"
            lag = ", ".join(f"{t}={n}" for t, n in s.consumer_lag.items()) or "-"
            print(f"{service:<11} {s.outbox_backlog:>7} {oldest:>8} {s.open_dead_letters:>4}  {lag}")

    asyncio.run(run())

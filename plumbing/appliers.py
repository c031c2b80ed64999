"""How a consumer's poll is applied inside its transaction: a table of per-event handlers, or
a whole poll at once (settlement's money path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Protocol, runtime_checkable

import asyncpg

from plumbing.dead_letters import DeadLetter
from plumbing.delivery import Delivery, Handler
from plumbing.tracing import current_trace


@runtime_checkable
class Applier(Protocol):
    """Applies the fresh events of a poll inside the consumer's transaction. Returns the events it
    refuses, as dead letters (refusals are values); it raises only for what it cannot decide, and
    the consumer then applies the poll again one event at a time, each in a savepoint."""

    def handles(self, event_type: str) -> bool: ...

    async def __call__(
        self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]
    ) -> list[DeadLetter]: ...


class HandlerTable:
    """One handler per event type, called event by event; a handler refuses by raising
    (PoisonEvent), which makes the consumer isolate the poll."""

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self.handlers = dict(handlers)

    def handles(self, event_type: str) -> bool:
        return event_type in self.handlers

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> list[DeadLetter]:
        for delivery in deliveries:
            token = current_trace.set(delivery.trace)
            try:
                await self.handlers[delivery.envelope.event_type](conn, delivery)
            finally:
                current_trace.reset(token)
        return []


class Appliers:
    """Several appliers, each with event types of its own: a poll is cut into runs of consecutive
    events of one applier, and the runs are applied in record order."""

    def __init__(self, *appliers: Applier) -> None:
        self.appliers = appliers

    def handles(self, event_type: str) -> bool:
        return any(a.handles(event_type) for a in self.appliers)

    def _for(self, delivery: Delivery) -> Applier:
        return next(a for a in self.appliers if a.handles(delivery.envelope.event_type))

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> list[DeadLetter]:
        refused: list[DeadLetter] = []
        for applier, run in groupby(deliveries, key=self._for):
            refused += await applier(conn, list(run))
        return refused

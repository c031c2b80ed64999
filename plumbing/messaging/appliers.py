"""How a consumer's poll is applied inside its transaction: a table of per-event handlers, or
a whole poll at once (settlement's money path) — and `Events`, what a service declares it does
with other services' events: the event classes from `contracts` it handles (they name the topics
it consumes) and the applier built from its context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Generic, Protocol, TypeVar, runtime_checkable

import asyncpg

from contracts.events.base import EventPayload
from contracts.topics import Topic
from plumbing.messaging.delivery import Delivery, Handler
from plumbing.messaging.poison import DeadLetter
from plumbing.ops.tracing import current_trace

C = TypeVar("C")
# A handler of one event with the service's context; a service's table maps event classes to them.
ContextHandler = Callable[[asyncpg.Connection, Delivery, C], Awaitable[None]]
EventTable = Mapping[type[EventPayload], ContextHandler[C]]


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

    @classmethod
    def of(cls, table: EventTable[C], ctx: C) -> HandlerTable:
        """The table's handlers, each given the service's context."""

        def bind(fn: ContextHandler[C]) -> Handler:
            async def handle(conn: asyncpg.Connection, delivery: Delivery) -> None:
                await fn(conn, delivery, ctx)

            return handle

        return cls({event.event_type: bind(fn) for event, fn in table.items()})

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


@dataclass(frozen=True)
class Events(Generic[C]):
    """What a service does with other services' events: the event classes it handles and how a
    poll of them is applied with its context. The topics it consumes are those of its events."""

    handled: Collection[type[EventPayload]]
    applier: Callable[[C], Applier]

    @classmethod
    def table(cls, table: EventTable[C]) -> Events[C]:
        """One handler per event class, event by event."""
        return cls(tuple(table), lambda ctx: HandlerTable.of(table, ctx))

    @classmethod
    def none(cls) -> Events[C]:
        """A service that reacts to no other service's events: it runs no consumer."""
        return cls((), lambda ctx: HandlerTable({}))

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(sorted({event.topic for event in self.handled}))

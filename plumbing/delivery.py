"""What a consumer hands to an event handler, and how a handler refuses an event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from plumbing.tracing import TraceContext


class KafkaRecord(Protocol):
    """What we read of a Kafka record; aiokafka's ConsumerRecord and faust's Message both fit."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]] | None: ...


@dataclass(frozen=True)
class Delivery:
    """One readable event: the Kafka record, its envelope and typed payload, its trace."""

    record: KafkaRecord
    envelope: Envelope
    payload: EventPayload
    trace: TraceContext | None


Handler = Callable[[asyncpg.Connection, Delivery], Awaitable[None]]
C = TypeVar("C")


def bind_handlers(
    table: dict[str, Callable[[asyncpg.Connection, Delivery, C], Awaitable[None]]], ctx: C
) -> dict[str, Handler]:
    """Give each handler of a table its service context: `(conn, delivery, ctx)` → `(conn, delivery)`."""

    def bind(fn: Callable[[asyncpg.Connection, Delivery, C], Awaitable[None]]) -> Handler:
        async def handle(conn: asyncpg.Connection, delivery: Delivery) -> None:
            await fn(conn, delivery, ctx)

        return handle

    return {event_type: bind(fn) for event_type, fn in table.items()}


class PoisonEvent(Exception):
    """Raised by a handler when an event breaks a rule: it goes to the DLQ with `code`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

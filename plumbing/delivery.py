"""What a consumer hands to an event handler, and how a handler refuses an event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import ConsumerRecord

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from plumbing.tracing import TraceContext


@dataclass(frozen=True)
class Delivery:
    """One readable event: the Kafka record, its envelope and typed payload, its trace."""

    record: ConsumerRecord
    envelope: Envelope
    payload: EventPayload
    trace: TraceContext | None


Handler = Callable[[asyncpg.Connection, Delivery], Awaitable[None]]


class PoisonEvent(Exception):
    """Raised by a handler when an event breaks a rule: it goes to the DLQ with `code`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

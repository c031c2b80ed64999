"""What a consumer hands to an event handler, and how a handler refuses an event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import NamedTuple, Protocol

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.topics import is_replay_topic
from plumbing.ops.tracing import TraceContext


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
    def headers(self) -> Sequence[tuple[str, bytes | None]] | None: ...


def header_items(record: KafkaRecord) -> list[tuple[str, bytes | None]]:
    """A record's headers as (name, value) pairs; a value may be null (`kcat -H name`)."""
    headers = record.headers or ()
    if isinstance(headers, tuple | list):  # aiokafka's (checked first: a Mapping check is costly)
        return list(headers)
    return list(headers.items() if isinstance(headers, Mapping) else headers)  # faust may give a mapping


def header(record: KafkaRecord, name: str) -> bytes | None:
    """The first value of header `name`, or None. A header that is only a name (a null value)
    counts as absent: no header value is trusted to be there."""
    headers = record.headers
    for key, value in headers if isinstance(headers, tuple | list) else header_items(record):
        if key == name and isinstance(value, bytes):
            return value
    return None


# An operator's replay of a dead letter goes to the refusing consumer's own replay topic
# (`contracts.topics.replay_topic`), marked for that consumer and with the topic it first came on.
REPLAY_FOR = "dlq.replay_for"
REPLAY_OF = "dlq.replay_of"


def source_topic(record: KafkaRecord) -> str:
    """The topic a record's event belongs to: its own, or for a replay the one it first came on.
    The header is believed on a replay topic only (which its consumer alone may write): on any
    other topic it would let a record choose whose producer it is checked against, and which DLQ
    its dead letter goes to."""
    if not is_replay_topic(record.topic):
        return record.topic
    replay_of = header(record, REPLAY_OF)
    return replay_of.decode(errors="replace") if replay_of is not None else record.topic


class Delivery(NamedTuple):
    """One readable event: the Kafka record, its envelope and typed payload."""

    record: KafkaRecord
    envelope: Envelope
    payload: EventPayload

    @property
    def trace(self) -> TraceContext | None:
        """The trace the event carries (read from its headers when asked: most are never asked)."""
        return TraceContext.parse(header(self.record, "traceparent"))


Handler = Callable[[asyncpg.Connection, Delivery], Awaitable[None]]


class PoisonEvent(Exception):
    """Raised by a handler when an event breaks a rule: it goes to the DLQ with `code`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

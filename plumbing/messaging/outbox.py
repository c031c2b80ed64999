"""Writing events to the transactional outbox, inside the caller's transaction."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import asyncpg
from pydantic_core import to_json

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.registry import REGISTRY
from contracts.topics import with_prefix
from plumbing.ops.tracing import outgoing_traceparent

# A Kafka header's value may be null (a header that is only a name); it is kept as such.
Headers = list[tuple[str, bytes | None]]

# Headers are kept as JSON pairs: the name as text, the value one latin-1 character a byte. jsonb
# cannot hold NUL, so a name or value holding one is kept as {"base64": ...} of its bytes instead.
_Stored = str | dict[str, str] | None


def _name_stored(name: str) -> _Stored:
    return name if "\x00" not in name else {"base64": base64.b64encode(name.encode()).decode()}


def _value_stored(value: bytes | None) -> _Stored:
    if value is None or b"\x00" not in value:
        return None if value is None else value.decode("latin-1")
    return {"base64": base64.b64encode(value).decode()}


def _bytes_of(stored: _Stored) -> bytes | None:
    if isinstance(stored, dict):
        return base64.b64decode(stored["base64"])
    return None if stored is None else stored.encode("latin-1")


def headers_json(headers: Headers) -> str:
    """Headers as jsonb keeps them, whatever their bytes (`headers_from_json` reads them back)."""
    return to_json([[_name_stored(k), _value_stored(v)] for k, v in headers]).decode()


def headers_from_json(raw: str | list[list[_Stored]]) -> Headers:
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [(_name_of(name), _bytes_of(value)) for name, value in items]


def _name_of(stored: _Stored) -> str:
    return base64.b64decode(stored["base64"]).decode() if isinstance(stored, dict) else str(stored)


class OutboxRow(NamedTuple):
    """One message as the relay will publish it."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers
    event_id: uuid.UUID | None = None


class Outbox:
    """Appends events to the outbox table; call inside the transaction that changes state."""

    def __init__(self, topic_prefix: str = "") -> None:
        self.topic_prefix = topic_prefix
        self._physical: dict[str, str] = {}

    def physical(self, topic: str) -> str:
        """The topic's name on the broker (with this deployment's prefix)."""
        name = self._physical.get(topic)
        if name is None:
            name = self._physical[topic] = with_prefix(self.topic_prefix, topic)
        return name

    def row(self, envelope: Envelope, *, key: str | None = None, traceparent: str | None = None) -> OutboxRow:
        """The message for an envelope: on its event's topic, keyed by `key` (the aggregate id
        unless the topic is partitioned by something else, e.g. the grant), traced as a child of
        the current trace unless `traceparent` says otherwise."""
        model = REGISTRY.model_for(envelope.event_type, envelope.schema_version)
        headers: Headers = [
            ("traceparent", (traceparent or outgoing_traceparent()).encode()),
            ("event_type", envelope.event_type.encode()),
        ]
        return OutboxRow(
            self.physical(model.topic),
            (key or envelope.aggregate_id).encode(),
            envelope.to_bytes(),
            headers,
            envelope.event_id,
        )

    def encoded(
        self, payload: EventPayload, event_id: uuid.UUID, value: bytes, *, key: str, traceparent: str
    ) -> OutboxRow:
        """The message for an envelope already encoded (`Envelope.encode`)."""
        headers: Headers = [
            ("traceparent", traceparent.encode()),
            ("event_type", payload.event_type.encode()),
        ]
        return OutboxRow(self.physical(payload.topic), key.encode(), value, headers, event_id)

    async def append(
        self, conn: asyncpg.Connection, envelopes: Sequence[Envelope], *, key: str | None = None
    ) -> None:
        """Write each envelope to the topic its event type belongs to, keyed by `key` or its
        aggregate id."""
        await self.write(conn, [self.row(e, key=key) for e in envelopes])

    @staticmethod
    def written(conn: asyncpg.Connection) -> None:
        """Note that this connection's work wrote to the outbox: the relay is woken when the
        connection goes back to its pool (`plumbing.db.pool.create_pool`)."""
        mark = getattr(conn, "wrote_outbox", None)  # a pooled connection of ours
        if mark is not None:
            mark()

    async def write(self, conn: asyncpg.Connection, rows: Sequence[OutboxRow]) -> None:
        """Write messages in order, in one binary COPY (the cheapest way into the table)."""
        if not rows:
            return
        if not conn.is_in_transaction():
            raise RuntimeError("outbox writes must share the state change's transaction")
        self.written(conn)
        await conn.copy_records_to_table(
            "outbox",
            records=[(r.topic, r.key, r.value, headers_json(r.headers), r.event_id) for r in rows],
            columns=("topic", "key", "value", "headers", "event_id"),
        )

    async def append_raw(
        self,
        conn: asyncpg.Connection,
        rows: Iterable[tuple[str, bytes | None, bytes, Headers]],
    ) -> None:
        """Write already-encoded messages (physical topic, key, value, headers), e.g. dead letters."""
        await self.write(conn, [OutboxRow(topic, key, value, headers) for topic, key, value, headers in rows])

"""Writing events to the transactional outbox, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import asyncpg

from contracts.envelope import Envelope
from contracts.registry import REGISTRY
from contracts.topics import with_prefix
from plumbing.tracing import outgoing_traceparent

# A Kafka header's value may be null (a header that is only a name); it is kept as such.
Headers = list[tuple[str, bytes | None]]


def headers_json(headers: Headers) -> str:
    return json.dumps([[k, None if v is None else v.decode("latin-1")] for k, v in headers])


def headers_from_json(raw: str | list[list[str | None]]) -> Headers:
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [(str(k), None if v is None else v.encode("latin-1")) for k, v in items]


class Outbox:
    """Appends events to the outbox table; call inside the transaction that changes state."""

    def __init__(self, topic_prefix: str = "") -> None:
        self.topic_prefix = topic_prefix

    async def append(self, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
        """Write each envelope to the topic its event type belongs to, keyed by aggregate id."""
        if not conn.is_in_transaction():
            raise RuntimeError("outbox writes must share the state change's transaction")
        rows = []
        for envelope in envelopes:
            model = REGISTRY.model_for(envelope.event_type, envelope.schema_version)
            headers: Headers = [
                ("traceparent", outgoing_traceparent().encode()),
                ("event_type", envelope.event_type.encode()),
            ]
            rows.append(
                (
                    with_prefix(self.topic_prefix, model.topic.value),
                    envelope.aggregate_id.encode(),
                    envelope.to_bytes(),
                    headers_json(headers),
                    envelope.event_id,
                )
            )
        await conn.executemany(
            "insert into outbox (topic, key, value, headers, event_id) values ($1, $2, $3, $4::jsonb, $5)",
            rows,
        )

    async def append_raw(
        self,
        conn: asyncpg.Connection,
        rows: Iterable[tuple[str, bytes | None, bytes, Headers]],
    ) -> None:
        """Write already-encoded messages (physical topic, key, value, headers), e.g. dead letters."""
        await conn.executemany(
            "insert into outbox (topic, key, value, headers) values ($1, $2, $3, $4::jsonb)",
            [(topic, key, value, headers_json(headers)) for topic, key, value, headers in rows],
        )

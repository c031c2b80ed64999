"""Poison events: recognising them, keeping them, and publishing them to `<topic>.dlq`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import asyncpg
from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.registry import EventRegistry, UnknownEvent
from contracts.topics import dead_letter_topic
from plumbing.messaging.delivery import Delivery, KafkaRecord, header, header_items, source_topic
from plumbing.messaging.outbox import Headers, Outbox, headers_json
from plumbing.messaging.unparseable import UNPARSEABLE
from plumbing.ops.logs import get_logger
from plumbing.ops.metrics import DEAD_LETTERS

log = get_logger(__name__)

MAX_REASON = 2000
MAX_EVENT_BYTES = 256 * 1024  # our largest event is a few KiB; anything this big is not one of ours
# What a dead letter's copy on `<topic>.dlq` carries at most of the record's key, value and headers:
# the whole record stays in `dead_letters`, and a copy must fit a record batch whatever came in.
MAX_COPIED_BYTES = MAX_EVENT_BYTES
MAX_COPIED_HEADER_BYTES = 64 * 1024


def safe_text(value: str) -> str:
    """`value` as Postgres text and a UTF-8 header can hold it: no NUL, no lone surrogate."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


@dataclass(frozen=True)
class DeadLetter:
    record: KafkaRecord
    reason_code: str
    reason: str
    event_id: uuid.UUID | None = None
    event_type: str | None = None

    @property
    def stored_reason(self) -> tuple[str, str]:
        """The reason code and reason as Postgres and a Kafka header can hold them."""
        return safe_text(self.reason_code)[:100], safe_text(self.reason)[:MAX_REASON]

    @classmethod
    def from_failure(cls, record: KafkaRecord, delivery: Delivery, exc: BaseException) -> DeadLetter:
        code = getattr(exc, "code", None)
        return cls(
            record=record,
            reason_code=str(code or "handler_error"),
            # a rule's refusal reads `code: detail` (as a refusal value does); a bug names its kind
            reason=(
                f"{code}: {getattr(exc, 'detail', None) or exc}" if code else f"{type(exc).__name__}: {exc}"
            )[:MAX_REASON],
            event_id=delivery.envelope.event_id,
            event_type=delivery.envelope.event_type,
        )


def decode(record: KafkaRecord, registry: EventRegistry) -> Delivery | DeadLetter:
    """Read a record into a Delivery, or say why it is poison — whatever its bytes."""
    try:
        return _decode(record, registry)
    except RecursionError:
        return DeadLetter(record, "malformed_json", "nested too deeply to be an event")
    except Exception as exc:  # noqa: BLE001 - no record may escape being either read or refused
        return DeadLetter(record, "undecodable", f"{type(exc).__name__}: {exc}"[:MAX_REASON])


def _decode(record: KafkaRecord, registry: EventRegistry) -> Delivery | DeadLetter:
    unparseable = header(record, UNPARSEABLE)
    if unparseable is not None:  # a stand-in for a record the client could not parse
        return DeadLetter(record, "malformed_headers", unparseable.decode(errors="replace"))
    if record.value is None:
        return DeadLetter(record, "empty_value", "record has no value (tombstone)")
    if len(record.value) > MAX_EVENT_BYTES:
        return DeadLetter(
            record, "oversized", f"{len(record.value)} bytes; an event is at most {MAX_EVENT_BYTES}"
        )
    try:
        envelope, payload = registry.read(record.value)  # a known event, in one pass
        return Delivery(record, envelope, payload)
    except ValueError:
        pass  # read it again step by step, to say why it is poison
    try:
        envelope = Envelope.model_validate_json(record.value)
    except ValidationError as exc:
        is_json = True
        try:
            json.loads(record.value)
        except ValueError:
            is_json = False
        code = "invalid_envelope" if is_json else "malformed_json"
        return DeadLetter(record, code, str(exc)[:MAX_REASON])
    try:
        payload = registry.payload_of(envelope)
    except UnknownEvent as exc:
        return DeadLetter(record, exc.code, exc.detail[:MAX_REASON], envelope.event_id, envelope.event_type)
    return Delivery(record, envelope, payload)


async def record_dead_letters(
    conn: asyncpg.Connection, consumer: str, outbox: Outbox, letters: list[DeadLetter]
) -> int:
    """Keep each letter once (a redelivered poison event is not dead-lettered twice) and queue
    it for `<topic>.dlq` with its reason in headers. Returns how many were new."""
    new = 0
    for letter in letters:
        r = letter.record
        headers: Headers = header_items(r)
        reason_code, reason = letter.stored_reason
        event_type = None if letter.event_type is None else safe_text(letter.event_type)[:200]
        row_id = await conn.fetchval(
            """insert into dead_letters (consumer, topic, kafka_partition, kafka_offset, key, value,
                   headers, event_id, event_type, reason_code, reason)
               values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)
               on conflict (consumer, topic, kafka_partition, kafka_offset) do nothing
               returning id""",
            consumer,
            r.topic,
            r.partition,
            r.offset,
            r.key,
            r.value or b"",
            headers_json(headers),
            letter.event_id,
            event_type,
            reason_code,
            reason,
        )
        if row_id is None:
            continue
        new += 1
        DEAD_LETTERS.labels(consumer, reason_code).inc()
        log.warning(
            "event dead-lettered",
            consumer=consumer,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            reason_code=reason_code,
            event_id=letter.event_id,
        )
        key, value, dlq_headers = dlq_copy(letter, consumer, ("dlq.id", str(row_id).encode()))
        dlq = dead_letter_topic(source_topic(r))  # a refused replay goes to its first topic's DLQ
        await outbox.append_raw(conn, [(dlq, key, value, dlq_headers)])
    return new


def dlq_copy(
    letter: DeadLetter, consumer: str, *more: tuple[str, bytes]
) -> tuple[bytes | None, bytes, Headers]:
    """The key, value and headers a dead letter publishes to `<topic>.dlq`, whichever consumer
    refused it: the record cut to its bounds, then why, by whom and from where (and `more`)."""
    r = letter.record
    reason_code, reason = letter.stored_reason
    key, value, copied, cut = _bounded(r.key, r.value or b"", header_items(r))
    return (
        key,
        value,
        [
            *copied,
            *([("dlq.truncated", cut.encode())] if cut else []),
            ("dlq.reason_code", reason_code.encode()),
            ("dlq.reason", reason.encode()),
            ("dlq.consumer", consumer.encode()),
            ("dlq.source", f"{r.topic}/{r.partition}/{r.offset}".encode()),
            *more,
        ],
    )


def _bounded(key: bytes | None, value: bytes, headers: Headers) -> tuple[bytes | None, bytes, Headers, str]:
    """The key, value and headers a DLQ copy carries, each cut to its bound, and what was cut
    (empty when nothing was): `dead_letters` keeps the record whole for `unisettle dlq show`."""
    cut = []
    if key is not None and len(key) > MAX_COPIED_BYTES:
        cut.append(f"key {len(key)} bytes")
        key = key[:MAX_COPIED_BYTES]
    if len(value) > MAX_COPIED_BYTES:
        cut.append(f"value {len(value)} bytes")
        value = value[:MAX_COPIED_BYTES]
    size = sum(len(name.encode("utf-8", "replace")) + len(v or b"") for name, v in headers)
    if size > MAX_COPIED_HEADER_BYTES:
        cut.append(f"headers {size} bytes")
        headers = []
    return key, value, headers, ", ".join(cut)

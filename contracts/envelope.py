"""The one envelope every UniSettle event travels in. `aggregate_id` is also the Kafka key."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring as _str  # a str as a JSON string (C)
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import to_json

from contracts.events.base import EventPayload

_V4 = (4 << 76) | (0x8000 << 48)
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)


_random = bytearray()
os.register_at_fork(after_in_child=_random.clear)  # a forked child must not repeat its parent's ids


def _uuid4() -> uuid.UUID:
    """uuid.uuid4() exactly (random bits from os.urandom, version and variant set), without its
    argument checks and with the OS asked for randomness once per 256 ids: the money path makes
    thousands a second."""
    if not _random:
        _random.extend(os.urandom(16 * 256))
    bits = int.from_bytes(_random[-16:], "big")
    del _random[-16:]
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", bits & _V4_CLEAR | _V4)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


EventType = Annotated[str, Field(pattern=r"^[a-z]+\.[A-Z][A-Za-z]+$", examples=["orders.OrderPlaced"])]


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    event_type: EventType
    schema_version: Annotated[int, Field(ge=1)]
    occurred_at: AwareDatetime
    producer: Annotated[str, Field(min_length=1, max_length=64)]
    aggregate_id: Annotated[str, Field(min_length=1, max_length=200)]
    aggregate_version: Annotated[int, Field(ge=1, description="gapless per aggregate")]
    correlation_id: Annotated[str, Field(min_length=1, max_length=200)]
    causation_id: uuid.UUID | None = None
    tenant_id: Annotated[str, Field(min_length=1, max_length=64, description="the university")]
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def of(
        cls,
        payload: EventPayload,
        *,
        producer: str,
        aggregate_id: str,
        aggregate_version: int,
        tenant_id: str,
        correlation_id: str,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Wrap a typed payload; the type name and schema version come from its class."""
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            correlation_id=correlation_id,
            causation_id=causation_id,
            tenant_id=tenant_id,
            payload=payload.model_dump(mode="json"),
        )

    @classmethod
    def numbered(
        cls,
        payloads: Sequence[EventPayload],
        *,
        producer: str,
        aggregate_id: str,
        after_version: int,
        tenant_id: str,
        correlation_id: str,
        causation_ids: Sequence[uuid.UUID | None] | uuid.UUID | None = None,
    ) -> list[Envelope]:
        """An aggregate's new events, numbered on from its last version (`after_version`), each
        caused by the one event given or by its own in `causation_ids`."""
        causes = causation_ids if isinstance(causation_ids, Sequence) else [causation_ids] * len(payloads)
        return [
            cls.of(
                payload,
                producer=producer,
                aggregate_id=aggregate_id,
                aggregate_version=after_version + n,
                tenant_id=tenant_id,
                correlation_id=correlation_id,
                causation_id=cause,
            )
            for n, (payload, cause) in enumerate(zip(payloads, causes, strict=True), start=1)
        ]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @staticmethod
    def encode(
        payload: EventPayload,
        *,
        producer: str,
        aggregate_id: str,
        aggregate_version: int,
        tenant_id: str,
        correlation_id: str,
        causation_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[uuid.UUID, bytes]:
        """A new event's id and the bytes of its envelope, as `Envelope.of(...).to_bytes()` would
        write them, without building the envelope model: the money path emits thousands a second.
        The fields are ours (strings escaped as JSON strings); the payload is a validated model."""
        event_id = _uuid4()
        occurred = to_json(occurred_at or datetime.now(UTC)).decode()
        causation = "null" if causation_id is None else f'"{causation_id}"'
        head = (
            f'{{"event_id":"{event_id}","event_type":{_str(payload.event_type)},'
            f'"schema_version":{int(payload.schema_version)},"occurred_at":{occurred},'
            f'"producer":{_str(producer)},"aggregate_id":{_str(aggregate_id)},'
            f'"aggregate_version":{int(aggregate_version)},"correlation_id":{_str(correlation_id)},'
            f'"causation_id":{causation},"tenant_id":{_str(tenant_id)},"payload":'
        )
        return event_id, head.encode() + payload.model_dump_json().encode() + b"}"

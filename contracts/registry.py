"""Every event type UniSettle knows, by name and schema version, and how to read its payload."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, ValidationError, create_model

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.commands import ORDER_COMMANDS
from contracts.events.invoices import INVOICE_EVENTS
from contracts.events.orders import ORDER_EVENTS
from contracts.events.organisation import ORGANISATION_EVENTS
from contracts.events.refunds import REFUND_EVENTS
from contracts.events.settlement import SETTLEMENT_EVENTS
from contracts.events.suppliers import SUPPLIER_EVENTS


class UnknownEvent(Exception):
    """An envelope this registry cannot read; `code` says why (stable, machine-readable)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class EventRegistry:
    def __init__(self, models: Iterable[type[EventPayload]]) -> None:
        self._models: dict[tuple[str, int], type[EventPayload]] = {}
        for model in models:
            key = (model.event_type, model.schema_version)
            if key in self._models:
                raise ValueError(f"event {key} registered twice")
            self._models[key] = model

    def __iter__(self) -> Iterator[type[EventPayload]]:
        return iter(sorted(self._models.values(), key=lambda m: (m.event_type, m.schema_version)))

    def model_for(self, event_type: str, schema_version: int) -> type[EventPayload]:
        model = self._models.get((event_type, schema_version))
        if model is not None:
            return model
        if any(name == event_type for name, _ in self._models):
            raise UnknownEvent(
                "unknown_schema_version", f"{event_type} has no schema version {schema_version}"
            )
        raise UnknownEvent("unknown_event_type", f"no event type {event_type!r}")

    def read(self, raw: bytes) -> tuple[Envelope, EventPayload]:
        """Envelope and typed payload of a record in one pass over its JSON. Raises ValueError for
        anything that does not read as a known event (then `payload_of` says why, and how)."""
        envelope = self._typed.validate_json(raw)
        payload = envelope.payload
        if envelope.schema_version != payload.schema_version:
            raise ValueError(f"{envelope.event_type} v{envelope.schema_version} is read the slow way")
        return envelope, payload

    @cached_property
    def _typed(self) -> TypeAdapter[Any]:
        """Each event type's newest version as an envelope with its payload typed, told apart by
        `event_type`: one validation, in pydantic's core, per record."""
        newest: dict[str, type[EventPayload]] = {}
        for model in self._models.values():
            if model.schema_version >= getattr(newest.get(model.event_type), "schema_version", 0):
                newest[model.event_type] = model
        typed: list[Any] = []
        for name, model in sorted(newest.items()):
            named: Any = Literal[name]
            typed.append(
                create_model(
                    f"{model.__name__}Envelope",
                    __base__=Envelope,
                    event_type=(named, ...),
                    payload=(model, ...),
                )
            )
        union: Any = Annotated[Union[tuple(typed)], Field(discriminator="event_type")]  # noqa: UP007
        return TypeAdapter(union)

    def payload_of(self, envelope: Envelope) -> EventPayload:
        """The typed payload; raises UnknownEvent (code `invalid_payload`) when it does not fit."""
        model = self.model_for(envelope.event_type, envelope.schema_version)
        try:
            return model.model_validate(envelope.payload)
        except ValidationError as exc:
            raise UnknownEvent("invalid_payload", str(exc)) from exc


REGISTRY = EventRegistry(
    (
        *ORDER_EVENTS,
        *ORDER_COMMANDS,
        *SETTLEMENT_EVENTS,
        *ORGANISATION_EVENTS,
        *SUPPLIER_EVENTS,
        *REFUND_EVENTS,
        *INVOICE_EVENTS,
    )
)

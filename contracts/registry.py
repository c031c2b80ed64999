"""Every event type UniSettle knows, by name and schema version, and how to read its payload."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.commands import ORDER_COMMANDS
from contracts.events.orders import ORDER_EVENTS
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

    def payload_of(self, envelope: Envelope) -> EventPayload:
        """The typed payload; raises UnknownEvent (code `invalid_payload`) when it does not fit."""
        model = self.model_for(envelope.event_type, envelope.schema_version)
        try:
            return model.model_validate(envelope.payload)
        except ValidationError as exc:
            raise UnknownEvent("invalid_payload", str(exc)) from exc


REGISTRY = EventRegistry(
    (*ORDER_EVENTS, *ORDER_COMMANDS, *SETTLEMENT_EVENTS, *SUPPLIER_EVENTS, *REFUND_EVENTS)
)

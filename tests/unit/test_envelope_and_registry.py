from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from contracts import REGISTRY, Envelope, Money, UnknownEvent
from contracts.events.orders import OrderCancelled
from contracts.events.settlement import FundsRejected


def cancelled() -> Envelope:
    return Envelope.of(
        OrderCancelled(
            order_id="O-1",
            grant_id="G-1",
            cancelled_by={"user_id": "alice", "role": "researcher"},
            reason_code="buyer_cancelled",
        ),
        producer="orders",
        aggregate_id="O-1",
        aggregate_version=3,
        tenant_id="tsinghua",
        correlation_id="C-1",
    )


def test_an_envelope_round_trips_through_bytes_and_its_typed_payload() -> None:
    envelope = cancelled()
    again = Envelope.model_validate_json(envelope.to_bytes())
    assert again == envelope
    payload = REGISTRY.payload_of(again)
    assert isinstance(payload, OrderCancelled)
    assert payload.cancelled_by.user_id == "alice"
    assert again.event_type == "orders.OrderCancelled" and again.schema_version == 1


def test_occurred_at_is_normalised_to_utc() -> None:
    local = datetime(2026, 11, 26, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    envelope = cancelled().model_copy(update={"occurred_at": local})
    again = Envelope.model_validate_json(envelope.to_bytes())
    assert again.occurred_at.utcoffset() == timedelta(0)
    assert again.occurred_at.hour == 12


def test_money_rejects_floats_and_negative_amounts() -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount_minor": 12.5, "currency": "CNY"})
    with pytest.raises(ValidationError):
        Money.model_validate({"amount_minor": -1, "currency": "CNY"})
    with pytest.raises(ValidationError):
        Money.model_validate({"amount_minor": 1, "currency": "yuan"})


@pytest.mark.parametrize(
    ("event_type", "version", "code"),
    [
        ("orders.NoSuchEvent", 1, "unknown_event_type"),
        ("orders.OrderCancelled", 7, "unknown_schema_version"),
    ],
)
def test_unknown_types_and_versions_are_named(event_type: str, version: int, code: str) -> None:
    envelope = cancelled().model_copy(update={"event_type": event_type, "schema_version": version})
    with pytest.raises(UnknownEvent) as caught:
        REGISTRY.payload_of(envelope)
    assert caught.value.code == code


def test_a_payload_that_does_not_fit_its_schema_is_invalid() -> None:
    envelope = cancelled().model_copy(update={"payload": {"order_id": "O-1"}})
    with pytest.raises(UnknownEvent) as caught:
        REGISTRY.payload_of(envelope)
    assert caught.value.code == "invalid_payload"


def test_a_rejection_reason_outside_the_contract_is_refused() -> None:
    with pytest.raises(ValidationError):
        FundsRejected(order_id="O-1", grant_id="G-1", reason_code="felt_like_it")


def test_every_event_type_lives_on_the_topic_of_its_producer() -> None:
    for model in REGISTRY:
        assert model.topic.value.split(".")[0] == model.event_type.split(".")[0], model
    assert uuid.UUID(str(cancelled().event_id))


@pytest.mark.parametrize("text", ["O-1", 'O-"quoted"\\', "订单-é\n\t\u2028", "\x01"])
def test_the_fast_encoder_writes_the_bytes_of_the_envelope_model(text: str) -> None:
    payload = OrderCancelled(
        order_id=text,
        grant_id="G-1",
        cancelled_by={"user_id": text, "role": "researcher"},
        reason_code="buyer_cancelled",
    )
    at = datetime(2026, 4, 10, 8, 30, 1, 250, tzinfo=UTC)
    cause = uuid.uuid4()
    event_id, raw = Envelope.encode(
        payload,
        producer="settlement",
        aggregate_id=text,
        aggregate_version=7,
        tenant_id="tsinghua",
        correlation_id=text,
        causation_id=cause,
        occurred_at=at,
    )
    model = Envelope.of(
        payload,
        producer="settlement",
        aggregate_id=text,
        aggregate_version=7,
        tenant_id="tsinghua",
        correlation_id=text,
        causation_id=cause,
        event_id=event_id,
        occurred_at=at,
    )
    assert raw == model.to_bytes()
    assert Envelope.model_validate_json(raw) == model

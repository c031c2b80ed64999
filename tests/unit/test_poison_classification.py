"""How a consumer tells a readable event from a poison one, before touching the database."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from contracts.registry import REGISTRY
from plumbing.messaging.appliers import HandlerTable
from plumbing.messaging.consumer import BatchConsumer
from plumbing.messaging.delivery import REPLAY_OF, Delivery, source_topic
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.outbox import Outbox
from plumbing.messaging.poison import MAX_EVENT_BYTES, DeadLetter, decode
from plumbing.ops.tracing import TraceContext
from plumbing.retry import Backoff, is_transient
from tests.factories import reservation


def record(
    value: bytes | None, headers: list[tuple[str, bytes]] | None = None, topic: str = "settlement.events"
) -> ConsumerRecord:
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"O-1",
        value=value,
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=len(value or b""),
        headers=headers or [],
    )


def code_of(value: bytes | None) -> str:
    result = decode(record(value), REGISTRY)
    assert isinstance(result, DeadLetter)
    return result.reason_code


def test_readable_events_carry_their_payload_and_trace() -> None:
    trace = TraceContext.new()
    result = decode(
        record(reservation(1).to_bytes(), [("traceparent", trace.traceparent.encode())]), REGISTRY
    )
    assert isinstance(result, Delivery)
    assert result.payload.order_id == "O-000001"  # type: ignore[attr-defined]
    assert result.trace == trace


def test_each_kind_of_poison_has_its_own_code() -> None:
    good = reservation(1)
    assert code_of(b"\xff\xfe not json") == "malformed_json"
    assert code_of(b'{"event_id": "x"}') == "invalid_envelope"
    assert code_of(None) == "empty_value"
    assert (
        code_of(good.model_copy(update={"event_type": "settlement.Nope"}).to_bytes()) == "unknown_event_type"
    )
    assert code_of(good.model_copy(update={"schema_version": 2}).to_bytes()) == "unknown_schema_version"
    assert code_of(good.model_copy(update={"payload": {"order_id": 1}}).to_bytes()) == "invalid_payload"
    padded = good.model_copy(update={"payload": {**good.payload, "note": "x" * MAX_EVENT_BYTES}})
    assert code_of(padded.to_bytes()) == "oversized"


def test_infrastructure_failures_are_transient_and_rule_breaks_are_not() -> None:
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert not is_transient(ValueError("negative amount"))
    assert not is_transient(KeyError("grant"))


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0)
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays[0] <= 0.1 and delays[3] >= 0.4
    assert max(delays) <= 1.0
    backoff.reset()
    assert backoff.next_delay() <= 0.1


def test_traceparent_parsing_rejects_garbage_and_all_zero_ids() -> None:
    assert TraceContext.parse("00-" + "0" * 32 + "-" + "a" * 16 + "-01") is None
    assert TraceContext.parse("nonsense") is None
    trace = TraceContext.new()
    child = trace.child()
    assert child.trace_id == trace.trace_id and child.span_id != trace.span_id


def orders_consumer() -> BatchConsumer:
    return BatchConsumer(
        name="orders",
        topics=["settlement.events"],
        handlers=HandlerTable({"settlement.FundsReserved": _never}),
        pool=None,  # decoding touches no database
        kafka=KafkaAccess("127.0.0.1:9"),
        outbox=Outbox(),
    )


def test_an_event_claiming_a_producer_that_does_not_own_its_topic_is_refused() -> None:
    genuine = reservation(1)
    forged = genuine.model_copy(update={"producer": "refunds"})
    polled = orders_consumer().decode([record(genuine.to_bytes()), record(forged.to_bytes())])
    assert [d.envelope.event_id for d in polled.readable] == [genuine.event_id]
    assert [(p.reason_code, p.event_id) for p in polled.poison] == [("unexpected_producer", forged.event_id)]
    assert "'refunds'" in polled.poison[0].reason and "'settlement'" in polled.poison[0].reason


def test_the_topic_a_replay_came_from_is_believed_on_a_replay_topic_only() -> None:
    """`dlq.replay_of` names the topic a replayed event first came on: on the consumer's own
    replay topic it decides whose producer the event is checked against (and which DLQ takes it);
    on any other topic it is ignored, so a record cannot choose its own owner."""
    event = reservation(1).model_copy(update={"producer": "refunds"})
    claims_refunds = [(REPLAY_OF, b"refunds.events")]
    on_settlement = record(event.to_bytes(), claims_refunds)
    on_replays = record(event.to_bytes(), claims_refunds, topic="orders.replays")
    assert source_topic(on_settlement) == "settlement.events"
    assert source_topic(on_replays) == "refunds.events"
    polled = orders_consumer().decode([on_settlement, on_replays])
    assert [p.reason_code for p in polled.poison] == ["unexpected_producer"]  # the one on settlement.events
    assert [d.record.topic for d in polled.readable] == ["orders.replays"]


async def _never(*_: object) -> None:
    raise AssertionError("decoding applies nothing")


def test_json_nested_beyond_any_parser_is_refused_not_raised() -> None:
    assert code_of(b"[" * 100_000 + b"]" * 100_000) in {"malformed_json", "invalid_envelope"}
    assert code_of(b'{"a":' * 5_000 + b"1" + b"}" * 5_000) in {"malformed_json", "invalid_envelope"}


def test_headers_of_any_bytes_are_kept_as_they_came() -> None:
    from plumbing.messaging.outbox import headers_from_json, headers_json

    headers = [("nul\x00name", b"\x00\xff"), ("only a name", None), ("名", b"\xff\xfe ok"), ("t", b"")]
    stored = headers_json(headers)
    assert "\\u0000" not in stored  # jsonb refuses it
    assert headers_from_json(stored) == headers

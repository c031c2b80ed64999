"""faust-streaming apps built to UniSettle's rules, for stream work where agents, timers and
tables earn their cost (the money path uses `plumbing.messaging.consumer` instead; see the README).

The rules: agents run with concurrency 1 so one key's events stay in order; an exception never
escapes an agent (faust would ack and skip the event) — it is caught inside and the event goes
to `<topic>.dlq` with its reason, and the agent goes on; sessions are short, so a killed
worker's partitions move within seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any

import faust

from contracts.registry import REGISTRY, EventRegistry
from contracts.topics import dead_letter_topic
from plumbing.messaging.delivery import REPLAY_FOR, Delivery, header
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.poison import DeadLetter, decode, dlq_copy
from plumbing.messaging.unparseable import tolerate_unparseable_records
from plumbing.ops.logs import get_logger
from plumbing.ops.tracing import current_trace
from plumbing.retry import Backoff, is_transient
from plumbing.settings import StackSettings

log = get_logger(__name__)

StreamHandler = Callable[[Delivery], Awaitable[None]]


def stream_app(
    name: str, stack: StackSettings, *, kafka: KafkaAccess | None = None, **options: Any
) -> faust.App:
    """A faust app whose consumer group and internal topics carry the deployment's prefix; it
    authenticates as `kafka`'s principal (a stream worker's own), else as the one
    UNISETTLE_KAFKA_USERNAME/_PASSWORD name."""
    tolerate_unparseable_records()  # a record the client cannot parse is dead-lettered, not fatal
    kafka = kafka or stack.operator_kafka()
    settings: dict[str, Any] = {
        "broker": [f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        "store": "memory://",
        "web_enabled": False,
        "broker_session_timeout": 6.0,
        "broker_heartbeat_interval": 1.5,
        "producer_acks": -1,
        "topic_partitions": 6,
        "topic_replication_factor": 1,
        "consumer_auto_offset_reset": "earliest",
    }
    if kafka.authenticated:
        assert kafka.password is not None
        settings["broker_credentials"] = faust.SASLCredentials(
            username=kafka.username, password=kafka.password.get_secret_value(), mechanism=kafka.mechanism
        )
    settings.update(options)
    return faust.App(f"{stack.topic_prefix}{name}", **settings)


async def declare_topics(app: faust.App, names: Iterable[str]) -> list[str]:
    """Create, as faust would, the app's tables' changelogs and its own topics `names`, then stop
    its producer; the names of all of them. Run it on an app built only for this, before the one
    that works starts: faust assigns only the topics its consumer's first metadata shows, and a
    topic it creates on its way up can be missing from it, read (or its table recovered) only
    when the consumer next refreshes its metadata, minutes later."""
    topics = [table.changelog_topic for table in app.tables.values()]
    topics += [app.topic(name, internal=True) for name in names]
    try:
        for topic in topics:
            await topic.maybe_declare()
    finally:
        await app.producer.stop()
    return [name for topic in topics for name in topic.topics]


def guarded_agent(
    app: faust.App,
    topic_name: str,
    handler: StreamHandler,
    *,
    name: str,
    registry: EventRegistry = REGISTRY,
) -> Any:
    """Register an agent on `topic_name` (a physical name) that hands readable events to `handler`
    and dead-letters what it cannot read or what the handler refuses."""
    source = app.topic(topic_name, value_serializer="raw", key_serializer="raw")
    dlq = app.topic(dead_letter_topic(topic_name), value_serializer="raw", key_serializer="raw")

    async def dead_letter(letter: DeadLetter) -> None:
        record = letter.record
        key, value, copied = dlq_copy(letter, name)
        headers = [(k, v or b"") for k, v in copied]  # faust's channel takes bytes only
        sent = await dlq.send(key=key, value=value, headers=headers)
        await sent  # delivered before the source event is acknowledged
        log.warning(
            "event dead-lettered",
            consumer=name,
            reason_code=letter.reason_code,
            source=f"{record.topic}/{record.partition}/{record.offset}",
        )

    async def process(stream: AsyncIterable[Any]) -> None:
        async for event in stream.events():  # type: ignore[attr-defined]
            message = event.message
            replay_for = header(message, REPLAY_FOR)
            if replay_for is not None and replay_for.decode(errors="replace") != name:
                continue  # an operator's replay for another consumer
            decoded = decode(message, registry)
            if isinstance(decoded, DeadLetter):
                await dead_letter(decoded)
                continue
            token = current_trace.set(decoded.trace)
            try:
                await _handle_with_retry(handler, decoded)
            except Exception as exc:  # noqa: BLE001 - must not escape the agent, see module doc
                await dead_letter(DeadLetter.from_failure(message, decoded, exc))
            finally:
                current_trace.reset(token)

    process.__name__ = name
    return app.agent(source, name=name, concurrency=1)(process)


async def _handle_with_retry(handler: StreamHandler, delivery: Delivery) -> None:
    backoff = Backoff()
    while True:
        try:
            await handler(delivery)
            return
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("transient failure in stream handler; retrying", error=repr(exc))
            await backoff.wait()

"""The broker itself refuses whoever may not write or read (contracts/access.py): a client with no
credentials or wrong ones is not let in; each service may write only its own topic, the platforms'
`integration` principal only `orders.commands`, operators nothing; a service reads only what it
consumes and commits only its own consumer group. An outside client (kcat) is refused the same way."""

from __future__ import annotations

import asyncio

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ScramMechanism, UserScramCredentialDeletion
from pydantic import SecretStr

from contracts.access import INTEGRATION, OPERATOR, SERVICES
from contracts.topics import CONSUMERS, OWNERS, Topic, with_prefix
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.provisioning import upsert_users_now
from tests.kcat import kcat
from tests.stack import Stack

pytestmark = pytest.mark.integration
REFUSED = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED}
WRITE_REFUSED = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED}


def write(kafka: KafkaAccess, topic: str) -> str:
    """Write one record as `kafka`'s principal: "written", "refused" by the broker, or what else
    went wrong. (Not idempotent: an idempotent producer of a principal that may write no topic at
    all is refused its producer id before it names a topic.)"""
    outcome: list[KafkaError | None] = []
    producer = Producer({**kafka.librdkafka(), "message.timeout.ms": 10_000, "acks": "all"})
    try:
        producer.produce(topic, b"probe", on_delivery=lambda err, _: outcome.append(err))
        producer.flush(15)
    except KafkaException as exc:
        outcome.append(exc.args[0])
    assert outcome, f"no answer for a write to {topic}"
    error = outcome[0]
    if error is None:
        return "written"
    return "refused" if error.code() in WRITE_REFUSED else error.name()


def read(kafka: KafkaAccess, topic: str, group: str) -> int | None:
    """Join `group` and fetch `topic`: None if allowed, else the refusal's error code."""
    consumer = Consumer(
        {
            **kafka.librdkafka(),
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.subscribe([topic])
        for _ in range(40):
            message = consumer.poll(0.5)
            error = message.error() if message is not None else None
            if error is not None and error.code() in REFUSED:
                code: int = error.code()
                return code
            if consumer.assignment():
                return None
        raise AssertionError(f"neither assigned {topic} nor refused within 20 s")
    finally:
        consumer.close()


@pytest.mark.parametrize("principal", [*SERVICES, INTEGRATION, OPERATOR])
async def test_each_principal_writes_only_the_topics_it_owns(
    stack: Stack, topic_prefix: str, principal: str
) -> None:
    kafka = stack.kafka_as(principal)
    outcome = {
        topic: await asyncio.to_thread(write, kafka, with_prefix(topic_prefix, topic.value))
        for topic in Topic
    }
    expected = {topic: "written" if OWNERS[topic] == principal else "refused" for topic in Topic}
    assert outcome == expected


async def test_a_service_reads_only_what_it_consumes_and_commits_only_its_own_group(
    stack: Stack, topic_prefix: str
) -> None:
    orders_events = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    assert (
        "settlement" in CONSUMERS[Topic.ORDERS_EVENTS] and "suppliers" not in CONSUMERS[Topic.ORDERS_EVENTS]
    )
    settlement, suppliers = stack.kafka_as("settlement"), stack.kafka_as("suppliers")
    assert await asyncio.to_thread(read, settlement, orders_events, f"{topic_prefix}settlement") is None
    refused_topic = await asyncio.to_thread(read, suppliers, orders_events, f"{topic_prefix}suppliers")
    assert refused_topic in REFUSED
    # settlement may read orders.events, but not in the refunds service's consumer group
    refused_group = await asyncio.to_thread(read, settlement, orders_events, f"{topic_prefix}refunds")
    assert refused_group == KafkaError.GROUP_AUTHORIZATION_FAILED


async def test_an_outside_client_without_credentials_or_with_wrong_ones_is_not_let_in(
    stack: Stack, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    anonymous = KafkaAccess(stack.bootstrap_servers)
    code, out = await kcat(anonymous, "-P", "-t", topic, "-m", "5", stdin=b"forged\n")
    assert (code != 0 and "SASL authentication" in out) or "Disconnected" in out, out
    wrong = stack.kafka_as("orders").as_principal("orders", SecretStr("not-the-password"))
    code, out = await kcat(wrong, "-P", "-t", topic, "-m", "5", stdin=b"forged\n")
    assert code != 0 and "Authentication failed" in out, out
    # the owner, through the same outside tool, is let in
    code, out = await kcat(stack.kafka_as("orders"), "-P", "-t", topic, stdin=b"its own record\n")
    assert code == 0, out


async def test_a_password_set_by_provisioning_lets_its_principal_in_and_rotating_it_locks_the_old_out(
    stack: Stack, topic_prefix: str
) -> None:
    user = f"probe-{topic_prefix.strip('.')}"
    first, second = SecretStr("first-password"), SecretStr("second-password")
    topic = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    try:
        await asyncio.to_thread(upsert_users_now, stack.kafka, {user: first})
        code, out = await kcat(stack.kafka.as_principal(user, first), "-L", "-t", topic)
        assert code == 0, out  # in (and refused any topic: it has no ACL)
        await asyncio.to_thread(upsert_users_now, stack.kafka, {user: second})
        code, out = await kcat(stack.kafka.as_principal(user, first), "-L", "-t", topic)
        assert code != 0 and "Authentication failed" in out, out
        code, out = await kcat(stack.kafka.as_principal(user, second), "-L", "-t", topic)
        assert code == 0, out
    finally:
        admin = AdminClient(stack.kafka.librdkafka())
        deletion = UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)
        for future in admin.alter_user_scram_credentials([deletion]).values():
            future.result()

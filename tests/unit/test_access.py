"""The ACL table derived from the topic registry says exactly who may write, read and commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.access import (
    INTEGRATION,
    OPERATOR,
    PRINCIPALS,
    SERVICES,
    Grant,
    Operation,
    Resource,
    grants,
    topics,
)
from contracts.topics import CONSUMERS, OWNERS, Topic
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.provisioning import unprovision_now


def allowed(principal: str, operation: Operation, resource: Resource = Resource.TOPIC) -> set[str]:
    return {
        g.name
        for g in grants("p.")
        if g.principal == principal and g.operation is operation and g.resource is resource
    }


def test_each_service_writes_its_own_topic_the_dlqs_of_what_it_reads_and_its_replays() -> None:
    for service in SERVICES:
        own = {f"p.{t.value}" for t, owner in OWNERS.items() if owner == service}
        read = {f"p.{t.value}" for t, readers in CONSUMERS.items() if service in readers}
        replays = {f"p.{service}.replays"} if read else set()
        assert allowed(service, Operation.WRITE) == own | {f"{name}.dlq" for name in read} | replays
        assert allowed(service, Operation.READ) == read | replays
        assert allowed(service, Operation.READ, Resource.GROUP) == ({f"p.{service}"} if read else set())


def test_platforms_write_only_commands_and_operators_read_everything_and_write_nothing() -> None:
    assert allowed(INTEGRATION, Operation.WRITE) == {"p.orders.commands"}
    assert allowed(INTEGRATION, Operation.READ) == set()
    assert allowed(OPERATOR, Operation.WRITE) == set()
    assert Grant(OPERATOR, Resource.TOPIC, "p.", Operation.READ, prefixed=True) in grants("p.")
    assert Grant(OPERATOR, Resource.GROUP, "p.", Operation.DESCRIBE, prefixed=True) in grants("p.")
    assert Grant(OPERATOR, Resource.TOPIC, "*", Operation.READ) in grants("")  # no prefix: every topic


def test_nobody_may_write_a_topic_but_its_owner() -> None:
    for topic in Topic:
        writers = {g.principal for g in grants() if g.name == topic.value and g.operation is Operation.WRITE}
        assert writers == {OWNERS[topic]}


def test_every_acl_names_a_provisioned_topic_or_a_group() -> None:
    names = set(topics("p."))
    for g in grants("p."):
        assert g.resource is Resource.GROUP or g.prefixed or g.name in names, g


def test_the_compose_stack_makes_a_password_for_every_principal() -> None:
    script = (Path(__file__).resolve().parents[2] / "deploy" / "docker" / "credentials.sh").read_text()
    listed = next(line for line in script.splitlines() if line.strip().startswith("for principal in"))
    assert set(listed.split(" in ", 1)[1].split(";")[0].split()) == set(PRINCIPALS)


def test_unprovisioning_refuses_to_run_without_a_prefix() -> None:
    with pytest.raises(ValueError, match="needs a prefix"):
        unprovision_now(KafkaAccess("127.0.0.1:9"), "")

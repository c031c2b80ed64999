"""Who may do what on the broker, derived from the topic registry (`contracts.topics`): the ACLs
that `unisettle kafka provision` creates, one table for every deployment.

- each topic's owner may write it (a service its own events; `integration`, the procurement
  platforms, only `orders.commands`);
- each consumer of a topic may read it and write its dead-letter topic, and may read and write its
  own replay topic and commit only its own consumer group;
- each stream worker (`STREAMS`: the supplier profile's `profiles`) may read its source topics and
  write their dead-letter topics, and owns every topic and the group named after it (faust creates
  its changelogs and internal topics, so it may create those and no others);
- `operator` (operators' tools: kcat, `unisettle status`) may read every topic and describe every
  group, and write nothing;
- `broker` is the brokers' own principal, the only super user; nothing else is allowed
  (`allow.everyone.if.no.acl.found=false`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts.topics import CONSUMERS, OWNERS, Topic, dead_letter_topic, replay_topic, with_prefix

SERVICES = ("orders", "settlement", "suppliers", "refunds", "invoices")
INTEGRATION = "integration"
OPERATOR = "operator"
BROKER = "broker"
# Stream workers (faust) and the topics they read; each is a principal, its app id its name.
STREAMS: dict[str, tuple[Topic, ...]] = {
    "profiles": (Topic.ORDERS_EVENTS, Topic.REFUNDS_EVENTS, Topic.SETTLEMENT_EVENTS),
}
PRINCIPALS = (*SERVICES, *STREAMS, INTEGRATION, OPERATOR, BROKER)  # each has its own SCRAM credential


class Resource(StrEnum):
    TOPIC = "topic"
    GROUP = "group"


class Operation(StrEnum):
    READ = "read"
    WRITE = "write"
    DESCRIBE = "describe"
    CREATE = "create"


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW ACL: `principal` may `operation` the resource `name` (a literal name, or every
    name starting with it when `prefixed`)."""

    principal: str
    resource: Resource
    name: str
    operation: Operation
    prefixed: bool = False


def consumers() -> list[str]:
    """The services that consume some topic (they run consumer groups)."""
    return sorted({service for services in CONSUMERS.values() for service in services})


def topics(prefix: str = "") -> list[str]:
    """Every topic a deployment has: the registry's topics, their dead-letter topics and each
    consumer's replay topic."""
    names = [with_prefix(prefix, t.value) for t in OWNERS]
    names += [dead_letter_topic(name) for name in list(names)]
    return names + [with_prefix(prefix, replay_topic(c)) for c in consumers()]


def grants(prefix: str = "") -> list[Grant]:
    """The deployment's ACLs for topics and groups named with `prefix`."""
    found: set[Grant] = set()
    for topic, owner in OWNERS.items():
        found.add(Grant(owner, Resource.TOPIC, with_prefix(prefix, topic.value), Operation.WRITE))
    for topic, services in CONSUMERS.items():
        name = with_prefix(prefix, topic.value)
        for service in services:
            found.add(Grant(service, Resource.TOPIC, name, Operation.READ))
            found.add(Grant(service, Resource.TOPIC, dead_letter_topic(name), Operation.WRITE))
    for service in consumers():
        replays = with_prefix(prefix, replay_topic(service))
        found.add(Grant(service, Resource.TOPIC, replays, Operation.WRITE))
        found.add(Grant(service, Resource.TOPIC, replays, Operation.READ))
        found.add(Grant(service, Resource.GROUP, with_prefix(prefix, service), Operation.READ))
    for worker, sources in STREAMS.items():
        for topic in sources:
            name = with_prefix(prefix, topic.value)
            found.add(Grant(worker, Resource.TOPIC, name, Operation.READ))
            found.add(Grant(worker, Resource.TOPIC, dead_letter_topic(name), Operation.WRITE))
        own = with_prefix(prefix, worker)  # its changelogs, internal topics and their dead letters
        for operation in (Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE):
            found.add(Grant(worker, Resource.TOPIC, own, operation, prefixed=True))
        found.add(Grant(worker, Resource.GROUP, own, Operation.READ, prefixed=True))  # each generation
    everything, prefixed = (prefix, True) if prefix else ("*", False)  # "*": every name
    for resource, operation in ((Resource.TOPIC, Operation.READ), (Resource.TOPIC, Operation.DESCRIBE)):
        found.add(Grant(OPERATOR, resource, everything, operation, prefixed))
    found.add(Grant(OPERATOR, Resource.GROUP, everything, Operation.DESCRIBE, prefixed))
    return sorted(found)

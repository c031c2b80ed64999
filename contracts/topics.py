"""Every topic name in UniSettle. Services take names from here, never from string literals."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ORDERS_EVENTS = "orders.events"
    ORDERS_COMMANDS = "orders.commands"
    SETTLEMENT_EVENTS = "settlement.events"
    SUPPLIERS_EVENTS = "suppliers.events"
    REFUNDS_EVENTS = "refunds.events"
    INVOICES_EVENTS = "invoices.events"

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.value)

    @property
    def key(self) -> str:
        """What a message on this topic is keyed by (and so partitioned by)."""
        return KEYS[self]


# The money-moving topics are keyed by grant id and co-partitioned (the same partition count):
# all of a grant's money events reach one settlement process, in order, so two processes never
# touch the same grant's accounts. An order's or a refund's events share its grant: they stay in
# order too. The others are keyed by their aggregate. A deployment that keyed the money topics by
# order id cuts over by draining, then switching: writes stopped at the edge, every outbox sent and
# every consumer's lag 0, then the new version started (README, "Keys and partitions").
KEYS: dict[Topic, str] = {
    Topic.ORDERS_EVENTS: "grant_id",
    Topic.REFUNDS_EVENTS: "grant_id",
    Topic.ORDERS_COMMANDS: "the platform's external reference",
    Topic.SETTLEMENT_EVENTS: "aggregate_id",
    Topic.SUPPLIERS_EVENTS: "supplier_id",
    Topic.INVOICES_EVENTS: "aggregate_id",
}


# Who alone may write each topic: a service its own events, procurement platforms (through the
# `integration` principal) the commands. The broker's ACLs and every consumer enforce it: an
# envelope whose `producer` is not the topic's owner is dead-lettered (`unexpected_producer`).
OWNERS: dict[Topic, str] = {
    Topic.ORDERS_EVENTS: "orders",
    Topic.ORDERS_COMMANDS: "integration",
    Topic.SETTLEMENT_EVENTS: "settlement",
    Topic.SUPPLIERS_EVENTS: "suppliers",
    Topic.REFUNDS_EVENTS: "refunds",
    Topic.INVOICES_EVENTS: "invoices",
}

# Which services consume each topic (each service's `events.EVENTS` says the same from the event
# classes it handles; tests/unit/test_access.py holds the two together).
CONSUMERS: dict[Topic, frozenset[str]] = {
    Topic.ORDERS_EVENTS: frozenset({"settlement", "refunds", "invoices"}),
    Topic.ORDERS_COMMANDS: frozenset({"orders"}),
    Topic.SETTLEMENT_EVENTS: frozenset({"orders", "refunds", "invoices"}),
    Topic.SUPPLIERS_EVENTS: frozenset({"orders", "settlement", "invoices"}),
    Topic.REFUNDS_EVENTS: frozenset({"orders", "settlement"}),
    Topic.INVOICES_EVENTS: frozenset({"settlement"}),
}


def dead_letter_topic(topic: str) -> str:
    """Where poison events of `topic` go, with the reason in headers."""
    return f"{topic}.dlq"


REPLAYS = ".replays"


def replay_topic(consumer: str) -> str:
    """Where an operator's replay of `consumer`'s dead letters goes: a topic of that consumer
    alone (only it writes and reads it), so that replaying never needs write access to the
    topic the event first came on."""
    return f"{consumer}{REPLAYS}"


def is_replay_topic(topic: str) -> bool:
    """Whether a (physical) topic is a consumer's replay topic."""
    return topic.endswith(REPLAYS)


def with_prefix(prefix: str, topic: str) -> str:
    """Physical topic name; a prefix isolates test runs and environments on one broker."""
    return f"{prefix}{topic}" if prefix else topic

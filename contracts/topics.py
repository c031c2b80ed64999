"""Every topic name in UniSettle. Services take names from here, never from string literals."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ORDERS_EVENTS = "orders.events"
    ORDERS_COMMANDS = "orders.commands"
    SETTLEMENT_EVENTS = "settlement.events"
    SUPPLIERS_EVENTS = "suppliers.events"
    REFUNDS_EVENTS = "refunds.events"

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.value)


def dead_letter_topic(topic: str) -> str:
    """Where poison events of `topic` go, with the reason in headers."""
    return f"{topic}.dlq"


def with_prefix(prefix: str, topic: str) -> str:
    """Physical topic name; a prefix isolates test runs and environments on one broker."""
    return f"{prefix}{topic}" if prefix else topic

"""UniSettle's event contracts: the envelope, every event payload, and the topic names."""

from contracts.envelope import Envelope
from contracts.money import Money
from contracts.registry import REGISTRY, EventRegistry, UnknownEvent
from contracts.topics import Topic

__all__ = ["REGISTRY", "Envelope", "EventRegistry", "Money", "Topic", "UnknownEvent"]

"""What the console's pages share: the services' APIs (called as the signed-in person), the
settings, and the operator's access to Kafka for consumer lag."""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.context import BaseContext
from plumbing.kafka_access import KafkaAccess
from services.console.adapters.backend import Backend
from services.console.config import ConsoleSettings


@dataclass
class Context(BaseContext):
    backend: Backend
    settings: ConsoleSettings
    kafka: KafkaAccess

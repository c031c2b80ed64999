"""Which failures are transient, and how long to wait before trying again."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NotLeaderForPartitionError

TRANSIENT: tuple[type[Exception], ...] = (
    ConnectionError,
    OSError,
    TimeoutError,
    asyncio.TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.LockNotAvailableError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotLeaderForPartitionError,
)


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass on its own (lost connection, deadlock); not a bad event."""
    return isinstance(exc, TRANSIENT)


@dataclass
class Backoff:
    """Exponential backoff with equal jitter, capped: half the ceiling plus a random half, so
    many clients spread out while none retries at once."""

    initial: float = 0.1
    maximum: float = 10.0
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * (2**self.attempt))
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0

    async def wait(self) -> None:
        await asyncio.sleep(self.next_delay())

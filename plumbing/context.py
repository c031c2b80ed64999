"""What every service's context starts from: its pool, its outbox and its clock. Each service's
`context.py` extends `BaseContext` with what its commands, events and timers need besides."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Self

import asyncpg

from plumbing.clock import Clock
from plumbing.messaging.outbox import Outbox

# A loop the service runs for as long as it lives (a listener, a timer), supervised and restarted.
Background = tuple[str, Callable[[], Awaitable[None]]]


@dataclass
class BaseContext:
    pool: asyncpg.Pool
    outbox: Outbox
    clock: Clock

    @classmethod
    def extending(cls, base: BaseContext, **more: Any) -> Self:
        """The service's context: the base one's parts and the service's own (`more`)."""
        return cls(**{f.name: getattr(base, f.name) for f in fields(BaseContext)}, **more)

    @property
    def today(self) -> date:
        return self.clock.now().date()

    def background(self) -> Sequence[Background]:
        """Loops the context itself needs running (e.g. a LISTEN connection); none by default."""
        return ()

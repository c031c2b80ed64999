"""What the console's pages share: the services' APIs (called as the signed-in person), the
settings, and for the operations view the operator's access to Kafka and the services' databases."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from plumbing.context import BaseContext
from plumbing.ops.status import LagReader
from services.console.adapters.backend import Backend
from services.console.config import ConsoleSettings


@dataclass
class Context(BaseContext):
    backend: Backend
    settings: ConsoleSettings
    lag: LagReader  # consumer lag, read as the operator
    databases: dict[str, asyncpg.Pool]  # each service's, for the operations view

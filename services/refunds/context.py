"""What the refunds service's commands, event handlers and timers share."""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.context import BaseContext
from services.refunds.domain.case import Deadlines


@dataclass
class Context(BaseContext):
    deadlines: Deadlines

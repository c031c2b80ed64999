"""What the orders service's commands, event handlers and timers share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plumbing.context import Background, BaseContext
from plumbing.db.notifications import Changes
from services.orders.domain.policy import Deadlines

STATUS_CHANNEL = "order_status"  # notified by the orders table's trigger (migration 005)


@dataclass
class Context(BaseContext):
    deadlines: Deadlines
    status_changes: Changes  # wakes readers waiting for an order's status (wait_for)

    def background(self) -> Sequence[Background]:
        return [("status-changes", self.status_changes.run)]

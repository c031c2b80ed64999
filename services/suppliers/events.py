"""What suppliers does with other services' events: nothing yet — it owns the catalog and the
suppliers' records, and no other service's event changes them. It runs no consumer."""

from __future__ import annotations

from plumbing.messaging.appliers import Events
from services.suppliers.context import Context

EVENTS: Events[Context] = Events.none()

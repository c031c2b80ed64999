"""What the console does with other services' events: nothing — it reads their APIs as the
person signed in. It runs no consumer."""

from __future__ import annotations

from plumbing.messaging.appliers import Events
from services.console.context import Context

EVENTS: Events[Context] = Events.none()

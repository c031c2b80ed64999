"""Event handlers of the orders service, registered in HANDLERS at the bottom."""

from __future__ import annotations

from plumbing.delivery import Handler

HANDLERS: dict[str, Handler] = {}

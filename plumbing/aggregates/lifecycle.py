"""What every aggregate with a life of states shares (orders, refund cases, suppliers): who acts
when nobody does (a deadline, an answer from another service), and the one refusal of a step the
current state does not allow, with the state and what it may be done from."""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

from contracts.events.common import Actor
from plumbing.errors import Conflict

SYSTEM = Actor(user_id="system", role="system")


class IllegalTransition(Conflict):
    code = "illegal_transition"


def require(status: Enum, allowed: Collection[Enum], refusal: str) -> None:
    """Refuse (`refusal`: "cannot ship an order that is CANCELLED") unless `status` is allowed."""
    if status not in allowed:
        raise IllegalTransition(
            refusal,
            details={"status": status.value, "allowed_from": sorted(s.value for s in allowed)},
        )

"""How a consumer says that an event contradicts what it already knows.

No consumer trusts an event blindly, even one its topic's owner wrote: an event about an order, an
escrow or a refund case must name the university, grant, supplier and amounts the consumer holds
for it. Each service decides what it knows (settlement its escrows, orders its orders, refunds its
view of orders); this is the one way they spell a disagreement out, field by field, for the dead
letter's reason.
"""

from __future__ import annotations

from collections.abc import Mapping

# The codes of a contradiction's dead letter, the same whichever consumer refuses the event.
CONTRADICTS_ORDER = "event_contradicts_order"
REFUND_NOT_REQUESTED = "refund_not_requested"


def differences(who: str, known: Mapping[str, object], claimed: Mapping[str, object | None]) -> list[str]:
    """Each field on which `claimed` disagrees with `known`, as `field: event says X, <who> has Y`;
    a claim of None is a field the event does not name."""
    return [
        f"{name}: event says {got!r}, {who} has {known[name]!r}"
        for name, got in claimed.items()
        if got is not None and got != known[name]
    ]

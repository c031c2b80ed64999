"""How refunds' view of an order follows orders' events, and what it refuses of them.

The view moves only along the order's life: placed → paid → shipped → received → completed, or
off to cancelled, closed or rejected where orders allows it. An event whose status the view has
already passed (a replay, or a forged receipt of a completed order) is old news and changes
nothing; one whose status the view cannot reach from where it is (a cancellation of a shipped
order), or that names another university, grant, supplier or amount than the order's, contradicts
the order and is dead-lettered. The envelope's version decides nothing: a forged event's version
could otherwise make every later real one look older.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from plumbing.messaging.consistency import differences
from services.refunds.domain.eligibility import OrderView

NEXT: dict[str, frozenset[str]] = {
    "PLACED": frozenset({"PAID", "CANCELLED", "CLOSED", "REJECTED"}),
    "PAID": frozenset({"SHIPPED", "CANCELLED", "CLOSED"}),
    "SHIPPED": frozenset({"RECEIVED", "CLOSED"}),
    "RECEIVED": frozenset({"COMPLETED"}),
    "COMPLETED": frozenset(),
    "CANCELLED": frozenset(),
    "CLOSED": frozenset(),
    "REJECTED": frozenset(),
}


def _after(status: str) -> frozenset[str]:
    """Every status an order can reach from `status` (itself excluded)."""
    seen: set[str] = set()
    todo = list(NEXT[status])
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo += NEXT[s]
    return frozenset(seen)


AFTER = {status: _after(status) for status in NEXT}


class Verdict(Enum):
    APPLY = "apply"
    OLD_NEWS = "old_news"
    CONTRADICTS = "contradicts"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    detail: str = ""


@dataclass(frozen=True)
class Claim:
    """What an order event says of its order: its university (the envelope's), and the grant,
    supplier and amount its payload names (None where it names none)."""

    tenant_id: str
    grant_id: str | None = None
    supplier_id: str | None = None
    total_minor: int | None = None


def decide(view: OrderView, claim: Claim, status: str) -> Decision:
    """Whether an event that puts the order in `status` moves the view there."""
    known = {
        "tenant_id": view.tenant_id,
        "grant_id": view.grant_id,
        "supplier_id": view.supplier_id,
        "total_minor": view.total_minor,
    }
    claimed = {
        "tenant_id": claim.tenant_id,
        "grant_id": claim.grant_id,
        "supplier_id": claim.supplier_id,
        "total_minor": claim.total_minor,
    }
    found = differences("refunds", known, claimed)
    if found:
        return Decision(Verdict.CONTRADICTS, f"order {view.order_id}: " + "; ".join(found))
    if status in NEXT[view.status]:
        return Decision(Verdict.APPLY)
    if status == view.status or view.status in AFTER.get(status, frozenset()):
        return Decision(Verdict.OLD_NEWS)
    return Decision(Verdict.CONTRADICTS, f"order {view.order_id}: cannot become {status} from {view.status}")

"""The profile worker refuses facts that contradict the order's placement: another university or
supplier, a refund larger than the order, a refund completed that nobody asked for."""

from __future__ import annotations

from plumbing.messaging.consistency import CONTRADICTS_ORDER, REFUND_NOT_REQUESTED
from services.profiles.facts import OrderFact, contradiction, known_order

PLACED = OrderFact(
    "O-1",
    "SUP-004",
    {
        "kind": "placed",
        "order_id": "O-1",
        "university": "tsinghua",
        "at": "2026-12-01T08:00:00+00:00",
        "value_minor": 1_600,
    },
    "tsinghua",
)


def fact(kind: str, university: str = "tsinghua", supplier: str | None = None, **more: object) -> OrderFact:
    return OrderFact("O-1", supplier, {"kind": kind, **more}, university)


def test_facts_that_agree_with_the_order_pass() -> None:
    known = known_order(PLACED)
    assert contradiction(known, fact("shipped", supplier="SUP-004")) is None
    assert contradiction(known, fact("refund_requested", refund_id="R-1", amount_minor=1_600)) is None
    known["refunds"]["R-1"] = 1_600
    assert contradiction(known, fact("refund_completed", refund_id="R-1", amount_minor=1_600)) is None


def test_facts_that_contradict_the_order_are_refused() -> None:
    known = known_order(PLACED)
    assert contradiction(known, fact("shipped", university="fudan")) == (
        CONTRADICTS_ORDER,
        "order O-1: tenant_id: event says 'fudan', the profile has 'tsinghua'",
    )
    assert contradiction(known, fact("paid", supplier="SUP-001"))[0] == CONTRADICTS_ORDER  # type: ignore[index]
    big = fact("refund_requested", refund_id="R-1", amount_minor=10_000_000)
    assert contradiction(known, big)[0] == CONTRADICTS_ORDER  # type: ignore[index]
    forged = fact("refund_completed", refund_id="R-forged", amount_minor=1_600)
    assert contradiction(known, forged)[0] == REFUND_NOT_REQUESTED  # type: ignore[index]
    known["refunds"]["R-1"] = 500
    assert contradiction(known, fact("refund_completed", refund_id="R-1", amount_minor=501)) is not None


def test_an_order_kept_before_the_checks_is_not_checked() -> None:
    assert (
        contradiction({"supplier": "SUP-004", "day": "2026-12-01"}, fact("shipped", university="fudan"))
        is None
    )

"""The profile's rules on facts: an event applied twice changes nothing; windows count what was
placed inside them; a rate with nothing to measure is null and scores as 1; a university sees its
own orders only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.profiles import figures

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
PLACED = {"kind": "placed", "order_id": "O-1", "university": "tsinghua", "at": "2026-12-01T08:00:00+00:00"}


def order(*facts: dict[str, Any]) -> figures.Facts:
    built: figures.Facts = {}
    for fact in facts:
        built = figures.apply(built, fact)
    return built


def test_the_same_fact_twice_is_the_same_order() -> None:
    facts: list[dict[str, Any]] = [
        {**PLACED, "value_minor": 8_400},
        {"kind": "paid", "at": "2026-12-01T08:00:00+00:00", "ship_by": "2026-12-03T08:00:00+00:00"},
        {"kind": "refund_completed", "refund_id": "R-1", "amount_minor": 500},
    ]
    assert order(*facts) == order(*facts, *facts)
    assert order(*facts)["refunds"] == {"R-1": {"refunded_minor": 500}}


def test_a_new_order_not_yet_due_has_no_rates_and_a_full_score() -> None:
    fresh = order(
        {**PLACED, "value_minor": 8_400},
        {"kind": "paid", "at": "2026-12-01T08:00:00+00:00", "ship_by": "2026-12-03T08:00:00+00:00"},
    )
    got = figures.window([fresh], [], now=NOW, days=30, university=None)
    assert (got["orders"], got["order_value_minor"], got["shipped_due"]) == (1, 8_400, 0)
    assert got["ship_on_time_rate"] is None and got["refund_rate_by_count"] == 0.0
    assert got["score"] == 100.0
    assert figures.window([], [], now=NOW, days=30, university=None)["score"] is None


def test_a_window_counts_what_was_placed_inside_it_and_a_university_its_own_only() -> None:
    old = order({**PLACED, "order_id": "O-0", "at": "2026-10-01T08:00:00+00:00", "value_minor": 1_000})
    other = order({**PLACED, "order_id": "O-2", "university": "pku", "value_minor": 2_000})
    mine = order({**PLACED, "value_minor": 3_000})
    assert figures.window([old, other, mine], [], now=NOW, days=30, university=None)["orders"] == 2
    assert figures.window([old, other, mine], [], now=NOW, days=90, university=None)["orders"] == 3
    pku = figures.window([old, other, mine], [], now=NOW, days=90, university="pku")
    assert (pku["orders"], pku["order_value_minor"], "payouts" in pku) == (1, 2_000, False)

"""Refunds' view of an order moves only along the order's life; an event it has passed is old
news, and one it cannot reach, or naming another university, grant, supplier or total, contradicts
the order — whatever version the envelope claims."""

from __future__ import annotations

import pytest

from services.refunds.domain.eligibility import OrderView
from services.refunds.domain.order_view import Claim, Verdict, decide


def view(status: str) -> OrderView:
    return OrderView("O-1", "tsinghua", "G-1", "alice", "SUP-004", 1_600, status, None)


TSINGHUA = Claim("tsinghua")


@pytest.mark.parametrize(
    ("now", "event", "verdict"),
    [
        ("PLACED", "PAID", Verdict.APPLY),
        ("PAID", "SHIPPED", Verdict.APPLY),
        ("SHIPPED", "RECEIVED", Verdict.APPLY),
        ("RECEIVED", "COMPLETED", Verdict.APPLY),
        ("SHIPPED", "CLOSED", Verdict.APPLY),  # fully refunded
        ("PAID", "CANCELLED", Verdict.APPLY),
        ("SHIPPED", "PAID", Verdict.OLD_NEWS),  # a replay
        ("COMPLETED", "RECEIVED", Verdict.OLD_NEWS),  # a forged receipt of a completed order
        ("COMPLETED", "PLACED", Verdict.OLD_NEWS),
        ("SHIPPED", "SHIPPED", Verdict.OLD_NEWS),
        ("SHIPPED", "CANCELLED", Verdict.CONTRADICTS),  # a shipped order is never cancelled
        ("CANCELLED", "SHIPPED", Verdict.CONTRADICTS),
        ("COMPLETED", "CLOSED", Verdict.CONTRADICTS),
        ("PLACED", "COMPLETED", Verdict.CONTRADICTS),
    ],
)
def test_the_view_follows_the_order_s_life(now: str, event: str, verdict: Verdict) -> None:
    assert decide(view(now), TSINGHUA, event).verdict is verdict


def test_an_event_naming_another_university_grant_supplier_or_total_contradicts() -> None:
    for claim in (
        Claim("fudan"),
        Claim("tsinghua", grant_id="G-2"),
        Claim("tsinghua", supplier_id="SUP-001"),
        Claim("tsinghua", total_minor=1_601),
    ):
        decision = decide(view("PAID"), claim, "SHIPPED")
        assert decision.verdict is Verdict.CONTRADICTS
        assert "event says" in decision.detail and "refunds has" in decision.detail
    assert (
        decide(view("PAID"), Claim("tsinghua", "G-1", "SUP-004", 1_600), "SHIPPED").verdict is Verdict.APPLY
    )

"""Early payment's price, eligibility and terms by score band, with hand-computed fen."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.settlement.early_payment.domain import terms as financing
from services.settlement.early_payment.domain.terms import Candidate, discount, offer

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("face", "apr_bp", "days", "fen"),
    [
        (27_832, 1_200, 11, 101),  # 100.65 rounds up
        (36_500, 1_000, 5, 50),  # exactly 50.00
        (73_000, 500, 1, 10),  # exactly 10.00
        (1_825, 1_000, 1, 1),  # 0.50 exactly: half up
        (36_500, 1, 5, 0),  # 0.005, a tiny rate
        (182_500, 1, 1, 0),  # 0.05: rounds down to nothing
    ],
)
def test_the_discount_is_face_times_rate_times_days_over_365_rounded_half_up(
    face: int, apr_bp: int, days: int, fen: int
) -> None:
    assert discount(face, apr_bp, days) == fen


def test_days_early_run_to_the_payout_after_the_release_within_the_bound() -> None:
    assert financing.days_early(TODAY, date(2026, 12, 12), max_days=30) == 11
    assert financing.days_early(TODAY, TODAY, max_days=30) == 1  # released: the next payout run
    assert financing.days_early(TODAY, date(2027, 3, 1), max_days=30) == 30
    assert financing.days_early(TODAY, date(2026, 11, 30), max_days=30) == 1  # overdue release


def candidate(**changes: object) -> Candidate:
    fields: dict[str, object] = {
        "order_id": "O-1",
        "supplier_id": "SUP-1",
        "escrow_status": "held",
        "face_minor": 27_832,
        "expected_release": date(2026, 12, 12),
        "refund_open": False,
        "financed": False,
    }
    return Candidate(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, None),
        ({"escrow_status": None}, "order_not_found"),
        ({"financed": True}, "already_financed"),
        ({"refund_open": True}, "refund_open"),
        ({"expected_release": None}, "order_not_shipped"),
        ({"escrow_status": "released", "released_unpaid_minor": 27_831}, "already_paid_out"),
        ({"escrow_status": "released", "released_unpaid_minor": 27_832}, None),
        (
            {"escrow_status": "released", "released_unpaid_minor": 27_832, "awaiting_invoice": True},
            "held_for_invoices",
        ),
        ({"escrow_status": "voided"}, "order_not_financeable"),
    ],
)
def test_which_orders_may_be_paid_early(changes: dict[str, object], code: str | None) -> None:
    refused = financing.refusal(candidate(**changes))
    assert (refused.code if refused else None) == code


def test_terms_follow_the_score_band_and_an_unreadable_score_gets_the_lowest() -> None:
    by_score = financing.bands("90:100:900, 75:60:1200, 0:30:1800")
    terms: dict[str, Any] = {"apr_bp": 1_200, "limit_minor": 2_000_000, "by_score": by_score}
    assert (offer(98.8, known=True, **terms).apr_bp, offer(98.8, known=True, **terms).limit_minor) == (
        900,
        2_000_000,
    )
    assert offer(80.0, known=True, **terms).limit_minor == 1_200_000
    assert offer(12.5, known=True, **terms).apr_bp == 1_800
    assert offer(None, known=False, **terms).limit_minor == 600_000  # worker down: the lowest band
    assert offer(None, known=True, **terms).limit_minor == 2_000_000  # no orders yet: configured terms
    assert offer(50.0, known=True, apr_bp=1_200, limit_minor=2_000_000, by_score=()).apr_bp == 1_200
    with pytest.raises(ValueError, match="from 0"):
        financing.bands("90:100:900")

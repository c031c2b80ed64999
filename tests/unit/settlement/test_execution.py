"""Funding-execution figures, checked against values computed by hand."""

from __future__ import annotations

from datetime import date

from contracts.events.common import BudgetCategory, ExecutionTarget
from contracts.events.settlement import FundsRejectedReason
from services.settlement.grants.domain.execution import Figures, outlook
from services.settlement.grants.domain.grant import Grant

GRANT = Grant(
    grant_id="G-1",
    tenant_id="tsinghua",
    code="NSFC-1",
    title="t",
    pi_id="prof-wang",
    authorised_buyers=["alice"],
    budget={BudgetCategory.REAGENTS: 1_000_000},
    period_start=date(2026, 1, 1),
    period_end=date(2026, 12, 31),
    approval_threshold_minor=0,
    targets=[
        ExecutionTarget(on=date(2026, 6, 30), rate_bp=4_000),
        ExecutionTarget(on=date(2026, 12, 31), rate_bp=9_000),
    ],
)


def test_figures_by_hand() -> None:
    f = Figures(budget=1_000_000, encumbered=150_000, expended=300_000, refunded=20_000)
    assert f.available == 550_000
    assert f.rate_bp() == 3_000  # 30.00 %


def test_outlook_by_hand() -> None:
    # 300,000 fen spent in the first 100 days of a 365-day period: 3,000 fen a day;
    # projected 300,000 + 3,000 x 265 = 1,095,000 → 10,950 bp against a 9,000 bp target.
    view = outlook(
        Figures(1_000_000, 0, 300_000, 0),
        date(2026, 1, 1),
        date(2026, 12, 31),
        date(2026, 4, 10),
        GRANT.target_rate_bp(date(2026, 4, 10)),
        GRANT.target_rate_bp(date(2026, 12, 31)),
    )
    assert (view.elapsed_days, view.total_days, view.burn_per_day) == (100, 365, 3_000)
    assert (view.projected_expended, view.projected_rate_bp) == (1_095_000, 10_950)
    assert view.behind_target is False
    slow = outlook(
        Figures(1_000_000, 0, 100_000, 0), date(2026, 1, 1), date(2026, 12, 31), date(2026, 4, 10), 0, 9_000
    )
    assert slow.projected_rate_bp == 3_650 and slow.behind_target is True


def test_targets_interpolate_linearly_from_zero() -> None:
    assert GRANT.target_rate_bp(date(2026, 1, 1)) == 0
    assert GRANT.target_rate_bp(date(2026, 6, 30)) == 4_000
    assert GRANT.target_rate_bp(date(2026, 3, 31)) == 4_000 * 89 // 180  # 89 of 180 days
    assert GRANT.target_rate_bp(date(2027, 3, 1)) == 9_000


def test_why_a_grant_cannot_pay() -> None:
    assert GRANT.refusal("tsinghua", "alice", date(2026, 5, 1)) is None
    cases = [
        ("pku", "alice", date(2026, 5, 1), FundsRejectedReason.UNKNOWN_GRANT),
        ("tsinghua", "mallory", date(2026, 5, 1), FundsRejectedReason.BUYER_NOT_AUTHORISED),
        ("tsinghua", "alice", date(2027, 1, 1), FundsRejectedReason.OUTSIDE_GRANT_PERIOD),
    ]
    for tenant, buyer, on, reason in cases:
        refusal = GRANT.refusal(tenant, buyer, on)
        assert refusal is not None and refusal[0] is reason

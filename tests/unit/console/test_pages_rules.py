"""What the console computes itself: the grant chart's series, months of funding left, the
language and formats, the CSRF check."""

from __future__ import annotations

from datetime import date

from contracts.events.common import ExecutionTarget
from plumbing.web.auth import Principal, Role
from services.console.domain.charts import grant_chart, months_left
from services.console.domain.labels import language, rate
from services.console.domain.sessions import Session, digest

EXECUTION = {
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "total": {"budget": 1_200_000},
    "by_month": [
        {"month": "2026-02-01", "category": "reagents", "expended": 10_000, "refunded": 0},
        {"month": "2026-02-01", "category": "consumables", "expended": 5_000, "refunded": 0},
        {"month": "2026-04-01", "category": "reagents", "expended": 20_000, "refunded": 500},
    ],
    "outlook": {"projected_expended": 99_000},
}


def test_the_chart_has_a_cumulative_point_per_month_so_far_a_target_and_a_projection() -> None:
    targets = [ExecutionTarget(on=date(2026, 12, 31), rate_bp=9_000)]
    chart = grant_chart(EXECUTION, targets, date(2026, 4, 20))
    assert chart.labels[0] == "2026-01" and len(chart.labels) == 12
    assert chart.expended == [0, 15_000, 15_000, 35_000]  # January to April
    assert chart.target[-1] == 1_080_000  # 90 % of the budget at the end
    assert chart.target[0] == 88_920  # 31 January: 9,000 bp x 30/364 days = 741 bp of ¥12,000.00
    assert chart.projection[:3] == [None, None, None]
    assert chart.projection[3] == 35_000 and chart.projection[-1] == 99_000


def test_months_left_at_the_burn_rate() -> None:
    assert months_left(304_375, 1_000) == 10.0
    assert months_left(100, 0) is None


def test_language_money_and_rates() -> None:
    assert language("zh", None) == "zh" and language(None, "zh-CN,zh;q=0.9") == "zh"
    assert language("xx", "en-GB") == "en"
    assert rate(2458) == "24.58%" and rate(5) == "0.05%"


def test_a_form_must_carry_its_session_s_token() -> None:
    session = Session(Principal("fo-1", Role.UNIVERSITY_FINANCE, "tsinghua"), "s3cret-token")
    assert session.csrf_ok("s3cret-token")
    assert not session.csrf_ok(None) and not session.csrf_ok("other")
    assert digest("a") != digest("b") and len(digest("a")) == 64

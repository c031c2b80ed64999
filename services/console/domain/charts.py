"""What the grant view draws: cumulative expended by month against the time-based target and
the projection to the period's end; by category, expended, encumbered and available; the burn
rate and the months of funding it leaves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.events.common import ExecutionTarget
from contracts.execution import target_rate_bp

DAYS_PER_MONTH = 30.4375


def month_starts(start: date, end: date) -> list[date]:
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class GrantChart:
    labels: list[str]  # every month of the period
    expended: list[int]  # cumulative, one per month from the start to this month
    target: list[int]  # the time-based target at each month's end, over the whole period
    projection: list[int | None]  # from this month to the end, on the current burn rate

    def as_json(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "expended": self.expended,
            "target": self.target,
            "projection": self.projection,
        }


def grant_chart(execution: Mapping[str, Any], targets: Sequence[ExecutionTarget], today: date) -> GrantChart:
    start = date.fromisoformat(execution["period_start"])
    end = date.fromisoformat(execution["period_end"])
    budget = int(execution["total"]["budget"])
    months = month_starts(start, end)
    spent: dict[date, int] = {}
    for m in execution["by_month"]:
        month = date.fromisoformat(m["month"])
        spent[month] = spent.get(month, 0) + int(m["expended"])
    cumulative, running = [], 0
    for month in months:
        if month > today:
            break
        running += spent.get(month, 0)
        cumulative.append(running)
    target = [budget * target_rate_bp(start, targets, min(_month_end(m), end)) // 10_000 for m in months]
    projected_end = int(execution["outlook"]["projected_expended"])
    now_index = len(cumulative) - 1
    projection: list[int | None] = [None] * len(months)
    if cumulative and now_index < len(months) - 1:
        steps = len(months) - 1 - now_index
        for n in range(steps + 1):
            projection[now_index + n] = running + (projected_end - running) * n // steps
    return GrantChart([m.strftime("%Y-%m") for m in months], cumulative, target, projection)


def months_left(available: int, burn_per_day: int) -> float | None:
    """How long the available budget lasts at the current burn rate (None: nothing is spent)."""
    if burn_per_day <= 0:
        return None
    return available / (burn_per_day * DAYS_PER_MONTH)

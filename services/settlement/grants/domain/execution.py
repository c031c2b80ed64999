"""Funding execution of a grant: spent ÷ budget, with escrowed money counted as encumbrance, not
execution; burn rate and the rate projected at the period end against the time-based target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Figures:
    budget: int
    encumbered: int
    expended: int
    refunded: int

    @property
    def available(self) -> int:
        return self.budget - self.encumbered - self.expended

    def rate_bp(self) -> int:
        """Execution rate in basis points, rounded down."""
        return self.expended * 10_000 // self.budget if self.budget else 0


@dataclass(frozen=True)
class Outlook:
    elapsed_days: int
    total_days: int
    burn_per_day: int  # fen per day, rounded down
    projected_expended: int
    projected_rate_bp: int
    target_today_bp: int
    target_at_end_bp: int

    @property
    def behind_target(self) -> bool:
        return self.projected_rate_bp < self.target_at_end_bp


def outlook(
    figures: Figures, start: date, end: date, today: date, target_today_bp: int, target_at_end_bp: int
) -> Outlook:
    total = (end - start).days + 1
    elapsed = min(max((today - start).days + 1, 0), total)
    burn = figures.expended // elapsed if elapsed else 0
    projected = figures.expended + burn * (total - elapsed)
    rate = projected * 10_000 // figures.budget if figures.budget else 0
    return Outlook(elapsed, total, burn, projected, rate, target_today_bp, target_at_end_bp)

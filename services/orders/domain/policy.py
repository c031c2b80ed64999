"""How long each step may take. All durations are configurable per deployment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contracts.money import MAX_MINOR


@dataclass(frozen=True)
class Deadlines:
    approval: timedelta = timedelta(days=5)  # unapproved orders close
    payment: timedelta = timedelta(days=5)  # orders whose funds never arrive close
    ship: timedelta = timedelta(days=7)  # the supplier must ship, or the order cancels itself
    auto_confirm: timedelta = timedelta(days=10)  # receipt confirms itself after shipping
    auto_confirm_without_logistics: timedelta = timedelta(days=30)


# Amounts beyond this are refused rather than risk overflow anywhere downstream (bigint fen).
MAX_ORDER_MINOR = MAX_MINOR

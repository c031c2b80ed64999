"""What the suppliers service's commands and timers share."""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.context import BaseContext
from services.suppliers.adapters.bank import BankPort
from services.suppliers.adapters.profiles import ProfileReader


@dataclass
class Context(BaseContext):
    bank: BankPort  # the bank that checks account holders and sends micro-deposits
    profiles: ProfileReader  # the supplier profile, kept by the profile stream worker

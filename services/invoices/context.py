"""What the invoices service's commands, event handlers and timers share."""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.context import BaseContext
from services.invoices.domain.verification import TaxService


@dataclass
class Context(BaseContext):
    tax: TaxService  # the tax authority's verification service (查验), or its simulator

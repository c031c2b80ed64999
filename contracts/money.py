"""Money on the wire: an integer count of minor units (fen for CNY) and a currency code."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])]
# The largest amount UniSettle takes anywhere: ¥1,000,000,000,000.00. Larger is no purchase, budget
# or rule of a university, and every sum of such amounts stays far inside a 64-bit integer.
MAX_MINOR = 10**14
MinorUnits = Annotated[int, Field(ge=0, le=MAX_MINOR, strict=True, description="amount in minor units (fen)")]


class Money(BaseModel):
    """A non-negative amount. Never a float: `amount_minor` is an integer of fen."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    amount_minor: MinorUnits
    currency: CurrencyCode = "CNY"

    @classmethod
    def cny(cls, amount_minor: int) -> Money:
        return cls(amount_minor=amount_minor, currency="CNY")


def yuan(minor: int) -> str:
    """An amount as people read it: ¥12,845.67 (-¥3.00 below zero)."""
    sign, minor = ("-", -minor) if minor < 0 else ("", minor)
    return f"{sign}¥{minor // 100:,}.{minor % 100:02d}"

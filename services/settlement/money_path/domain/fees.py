"""The platform fee. Rounding rule: half up, to the fen, computed in integers (never floats)."""

from __future__ import annotations


def platform_fee(gross_minor: int, rate_bp: int) -> int:
    """`rate_bp` basis points of `gross_minor`, rounded half up: 1234 fen at 60 bp → 7 fen (7.404)."""
    if gross_minor < 0 or not 0 <= rate_bp <= 10_000:
        raise ValueError("fee needs a non-negative amount and a rate between 0 and 10,000 bp")
    return (gross_minor * rate_bp + 5_000) // 10_000

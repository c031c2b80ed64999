"""Settings of the settlement service (environment prefix SETTLEMENT_)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class SettlementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SETTLEMENT_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/settlement"
    http_port: int = 8002
    # A poll of money events is decided in memory and written in a few statements whatever its
    # size: larger polls spread each statement's cost over more events.
    consumer_max_batch: int = Field(default=2000, ge=1, le=10_000)
    # Two members of the group in one process: one decides a poll while the other's transaction
    # waits on the database (each has its own partitions, so they never share a grant).
    consumer_lanes: int = Field(default=2, ge=1, le=16)
    # The platform fee in basis points of each released escrow, rounded half up to the fen.
    fee_rate_bp: int = Field(default=60, ge=0, le=10_000)
    # What the guarantee fund can advance at once for refunds suppliers cannot cover.
    guarantee_fund_capital_minor: int = Field(default=10_000_000, ge=0)
    payout_interval_hours: float = Field(default=24, gt=0)
    # The payout bank simulator stands in for the bank until a real adapter exists.
    bank_simulator_failure_rate: float = Field(default=0.0, ge=0, le=1)
    bank_simulator_closed_accounts: list[str] = Field(default_factory=list)
    # The simulated bank account's balance before its first booking.
    bank_simulator_opening_balance_minor: int = Field(default=1_000_000_000, ge=0)
    # Settlement runs as if this many days later than the system clock: to rehearse days ahead
    # against the bank simulator (a booking days late, a month end). Always 0 against a real bank.
    clock_offset_days: int = Field(default=0, ge=0, le=3660)
    # The platform's escrow bank account: the one account whose statements are reconciled.
    bank_account: str = Field(default="31050161373600000918", min_length=4, max_length=34)
    # How many days apart a statement line and a payout of the same amount may be for the
    # amount-and-date rule to suggest they are one.
    reconciliation_window_days: int = Field(default=3, ge=0, le=31)
    # A suspense item open longer than this many days is flagged for operators.
    suspense_flag_after_days: int = Field(default=5, ge=0)
    # Early payment: what the financing fund holds to advance, the annual rate of the discount
    # (basis points), what one supplier may owe it at once, how long a quote holds, the longest
    # wait it saves (the longest auto-confirm, 30 days), and how often releases repay it.
    early_payment_capital_minor: int = Field(default=100_000_000, ge=0)
    early_payment_apr_bp: int = Field(default=1_200, ge=0, le=10_000)
    early_payment_limit_minor: int = Field(default=2_000_000, ge=0)
    early_payment_quote_valid_seconds: float = Field(default=900, gt=0)
    early_payment_max_days: int = Field(default=30, ge=1, le=365)
    early_payment_sweep_seconds: float = Field(default=5, gt=0)
    # Terms by the supplier's 90-day profile score, best first, as min_score:limit_percent:apr_bp
    # ("90:100:900,75:60:1200,0:30:1800"); empty: the terms above for everyone. The score is read
    # from the profile stream worker; when it cannot be, the lowest band applies.
    early_payment_score_bands: str = ""
    profiles_url: str = "http://127.0.0.1:8006"

    @field_validator("early_payment_score_bands")
    @classmethod
    def _bands(cls, value: str) -> str:
        from services.settlement.early_payment.domain.terms import bands

        bands(value)  # refused at start when it does not read
        return value

"""Settings of the refunds service (environment prefix REFUNDS_)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings
from services.refunds.domain.case import Deadlines


class RefundsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDS_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/refunds"
    http_port: int = 8004
    seller_response_hours: float = Field(default=5 * 24, gt=0)
    buyer_return_hours: float = Field(default=5 * 24, gt=0)
    seller_confirm_hours: float = Field(default=5 * 24, gt=0)
    escalation_hours: float = Field(default=5 * 24, gt=0)
    payment_sla_hours: float = Field(default=24, gt=0)
    after_sales_days: float = Field(default=7, ge=0)
    timer_poll_seconds: float = Field(default=1.0, gt=0)

    def deadlines(self) -> Deadlines:
        return Deadlines(
            seller_response=timedelta(hours=self.seller_response_hours),
            buyer_return=timedelta(hours=self.buyer_return_hours),
            seller_confirm=timedelta(hours=self.seller_confirm_hours),
            escalation=timedelta(hours=self.escalation_hours),
            payment_sla=timedelta(hours=self.payment_sla_hours),
            after_sales_window=timedelta(days=self.after_sales_days),
        )

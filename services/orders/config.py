"""Settings of the orders service (environment prefix ORDERS_)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings
from services.orders.domain.policy import Deadlines


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/orders"
    http_port: int = 8001
    approval_window_hours: float = Field(default=5 * 24, gt=0)
    payment_window_hours: float = Field(default=5 * 24, gt=0)
    ship_window_hours: float = Field(default=7 * 24, gt=0)
    auto_confirm_hours: float = Field(default=10 * 24, gt=0)
    auto_confirm_without_logistics_hours: float = Field(default=30 * 24, gt=0)
    timer_poll_seconds: float = Field(default=1.0, gt=0)

    def deadlines(self) -> Deadlines:
        return Deadlines(
            approval=timedelta(hours=self.approval_window_hours),
            payment=timedelta(hours=self.payment_window_hours),
            ship=timedelta(hours=self.ship_window_hours),
            auto_confirm=timedelta(hours=self.auto_confirm_hours),
            auto_confirm_without_logistics=timedelta(hours=self.auto_confirm_without_logistics_hours),
        )

"""Settings of the orders service (environment prefix ORDERS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/orders"
    http_port: int = 8001

"""Settings of the console (environment prefix CONSOLE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.settings import ServiceSettings

SERVICES = ("orders", "settlement", "suppliers", "refunds", "invoices")


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/console"
    http_port: int = 8005
    public_url: str = "http://127.0.0.1:8005"  # where people reach it (sign-in links point here)
    orders_url: str = "http://127.0.0.1:8001"
    settlement_url: str = "http://127.0.0.1:8002"
    suppliers_url: str = "http://127.0.0.1:8003"
    refunds_url: str = "http://127.0.0.1:8004"
    invoices_url: str = "http://127.0.0.1:8007"
    # The operations view acts on each service's dead letters as `unisettle dlq` does.
    orders_database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/orders"
    settlement_database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/settlement"
    suppliers_database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/suppliers"
    refunds_database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/refunds"
    invoices_database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/invoices"
    session_hours: float = Field(default=8, gt=0, le=24)
    link_minutes: float = Field(default=30, gt=0, le=24 * 60)
    secure_cookies: bool = False  # true behind HTTPS

    def kafka(self, principal: str) -> KafkaAccess:
        """The console reads consumer lag as the operator; it publishes nothing."""
        return super().kafka("operator")

    def url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url"))

    def dsn(self, service: str) -> str:
        return str(getattr(self, f"{service}_database_url"))

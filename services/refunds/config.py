"""Settings of the refunds service (environment prefix REFUNDS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class RefundsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDS_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/refunds"
    http_port: int = 8004

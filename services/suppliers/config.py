"""Settings of the suppliers service (environment prefix SUPPLIERS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class SuppliersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPLIERS_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/suppliers"
    http_port: int = 8003

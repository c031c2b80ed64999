"""Settings of the suppliers service (environment prefix SUPPLIERS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class SuppliersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPLIERS_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/suppliers"
    http_port: int = 8003
    licence_check_interval_seconds: float = Field(default=3600, gt=0)
    # The bank simulator stands in for the bank until a real adapter exists.
    bank_simulator_failure_rate: float = Field(default=0.0, ge=0, le=1)
    bank_simulator_latency_seconds: float = Field(default=0.0, ge=0, le=30)
    # the supplier-profile stream worker's page (services.profiles)
    profiles_url: str = "http://127.0.0.1:8006"

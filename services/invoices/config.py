"""Settings of the invoices service (environment prefix INVOICES_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class InvoicesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVOICES_", extra="ignore")

    database_url: str = "postgresql://unisettle:unisettle@127.0.0.1:15432/invoices"
    http_port: int = 8007
    # How often matched and held invoices are verified again with the tax service: one voided
    # (作废) or offset (红冲) since is un-matched and what it allowed, not yet paid, is held again.
    recheck_interval_seconds: float = Field(default=3600, gt=0)

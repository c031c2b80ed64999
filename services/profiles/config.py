"""Settings of the supplier-profile stream worker (environment prefix PROFILES_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.settings import StackSettings

PRINCIPAL = "profiles"


class ProfilesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", extra="ignore")

    http_host: str = "127.0.0.1"  # the worker's page is internal: the suppliers API serves it
    http_port: int = 8006
    log_level: str = "WARN"
    datadir: Path = Path(".stack/profiles")
    # its own Kafka password (its principal is `profiles`), else its entry in the credentials file
    kafka_password: SecretStr | None = None
    # how many days a day's facts are kept: the longest window and one day more
    retention_days: int = Field(default=366, ge=31)
    # A full rebuild: a new generation is a new consumer group with new tables, read from the
    # first event of every source topic (the old generation's topics can then be deleted).
    generation: int = Field(default=1, ge=1)
    stack: StackSettings = Field(default_factory=StackSettings)

    @property
    def app_name(self) -> str:
        return PRINCIPAL if self.generation == 1 else f"{PRINCIPAL}-g{self.generation}"

    def kafka(self) -> KafkaAccess:
        if self.kafka_password is not None and self.kafka_password.get_secret_value():
            return KafkaAccess(self.stack.kafka_bootstrap_servers, PRINCIPAL, self.kafka_password)
        return self.stack.kafka_as(PRINCIPAL)

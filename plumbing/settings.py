"""Settings shared by every service; each service subclasses ServiceSettings with its own prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from plumbing.messaging.kafka_access import MECHANISM, KafkaAccess, from_credentials
from plumbing.web.auth import TokenCodec

# The local stack's credentials file (deploy/stack.sh writes it when Kafka is formatted).
LOCAL_CREDENTIALS = Path(__file__).resolve().parents[1] / ".stack" / "kafka" / "credentials"

# Development only: deployments set UNISETTLE_JWT_SECRET.
DEV_JWT_SECRET = "unisettle-development-secret-change-me-in-production"  # noqa: S105


class StackSettings(BaseSettings):
    """Where the shared infrastructure is: the same for every service of one deployment."""

    model_config = SettingsConfigDict(env_prefix="UNISETTLE_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "UNISETTLE_KAFKA_BOOTSTRAP_SERVERS"),
    )
    # Operators' tools (the CLI, kcat) authenticate as UNISETTLE_KAFKA_USERNAME/_PASSWORD; without
    # them, as a principal of the credentials file (UNISETTLE_KAFKA_CREDENTIALS, else the local
    # stack's); without either, not at all (a broker that does not authenticate).
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_sasl_mechanism: str = MECHANISM  # the brokers' own listener may take PLAIN (containers)
    kafka_credentials: Path | None = None
    topic_prefix: str = ""
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_issuer: str = "unisettle"
    jwt_audience: str = "unisettle"
    # The edge of every service's API: the largest request body (routes that take documents or
    # statements allow more), and how many changes per second one client may make.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    write_rate_per_second: float = Field(default=50, gt=0)
    write_burst: int = Field(default=100, ge=1)

    def kafka_as(self, principal: str) -> KafkaAccess:
        """The cluster as `principal`, with its password from the credentials file."""
        path = self.kafka_credentials or (LOCAL_CREDENTIALS if LOCAL_CREDENTIALS.exists() else None)
        return from_credentials(self.kafka_bootstrap_servers, path, principal)

    def operator_kafka(self) -> KafkaAccess:
        """The cluster as the operator running a tool."""
        if self.kafka_username and self.kafka_password:
            user, password = self.kafka_username, self.kafka_password
            return KafkaAccess(self.kafka_bootstrap_servers, user, password, self.kafka_sasl_mechanism)
        return self.kafka_as("operator")

    def token_codec(self) -> TokenCodec:
        """The codec that issues and verifies this deployment's bearer tokens."""
        return TokenCodec(
            self.jwt_secret.get_secret_value(), issuer=self.jwt_issuer, audience=self.jwt_audience
        )


class ServiceSettings(BaseSettings):
    """Per-service settings; subclasses set `env_prefix` (ORDERS_, SETTLEMENT_, ...)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    http_host: str = "127.0.0.1"
    http_port: int
    log_level: str = "INFO"
    consumer_max_batch: int = Field(default=500, ge=1, le=10_000)
    consumer_lanes: int = Field(default=1, ge=1, le=16)
    relay_batch_size: int = Field(default=1000, ge=1, le=10_000)
    outbox_retention_hours: float = Field(default=24, gt=0)
    # Must outlast how far back a topic can be replayed; ledger ids keep money safe beyond it.
    dedup_retention_hours: float = Field(default=8 * 24, gt=0)
    # The service's own Kafka password (e.g. ORDERS_KAFKA_PASSWORD; its principal is its name),
    # else its entry in the stack's credentials file.
    kafka_password: SecretStr | None = None
    stack: StackSettings = Field(default_factory=StackSettings)

    def kafka(self, principal: str) -> KafkaAccess:
        if self.kafka_password is not None and self.kafka_password.get_secret_value():
            return KafkaAccess(self.stack.kafka_bootstrap_servers, principal, self.kafka_password)
        return self.stack.kafka_as(principal)

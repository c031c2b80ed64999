"""How a process reaches Kafka, and as whom: the bootstrap servers and, on an authenticating
cluster, a SCRAM-SHA-512 principal (one per service, `integration` for procurement platforms,
`operator` for operators' tools, `broker` for the brokers themselves). The password is a
`SecretStr`: it never appears in a repr, a log line or an error."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap_servers: str
    username: str | None = None
    password: SecretStr | None = None
    mechanism: str = MECHANISM

    @property
    def authenticated(self) -> bool:
        return self.username is not None and self.password is not None

    def as_principal(self, username: str, password: SecretStr | None) -> KafkaAccess:
        """The same cluster, as another principal."""
        return replace(self, username=username, password=password)

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        if not self.authenticated:
            return {"bootstrap_servers": self.bootstrap_servers}
        assert self.password is not None
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password.get_secret_value(),
        }

    def librdkafka(self) -> dict[str, str | int | float | bool]:
        """Configuration for librdkafka clients (confluent-kafka, kcat's `-X`)."""
        config: dict[str, str | int | float | bool] = {"bootstrap.servers": self.bootstrap_servers}
        if self.authenticated:
            assert self.username is not None and self.password is not None
            config |= {
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanisms": self.mechanism,
                "sasl.username": self.username,
                "sasl.password": self.password.get_secret_value(),
            }
        return config


def from_credentials(bootstrap_servers: str, credentials: Path | None, principal: str) -> KafkaAccess:
    """The cluster as `principal`, its password from a credentials file; not authenticated
    without a file or an entry for it."""
    password = read_credentials(credentials).get(principal) if credentials is not None else None
    if password is None:
        return KafkaAccess(bootstrap_servers)
    return KafkaAccess(bootstrap_servers, principal, password)


def read_credentials(path: Path) -> dict[str, SecretStr]:
    """The stack's credentials file: `principal=password` lines (written when the stack's Kafka
    storage is formatted, readable by its owner only)."""
    found: dict[str, SecretStr] = {}
    for line in path.read_text().splitlines():
        name, sep, password = line.partition("=")
        if sep and name.strip() and not name.startswith("#"):
            found[name.strip()] = SecretStr(password.strip())
    return found

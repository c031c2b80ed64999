"""`unisettle kafka`: the deployment's topics and ACLs — provision them, or print the ACL table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import KafkaException

from cli.common import fail
from contracts.access import grants
from plumbing.messaging.kafka_access import read_credentials
from plumbing.messaging.provisioning import provision_now, upsert_users_now
from plumbing.settings import StackSettings

app = typer.Typer(help="The deployment's Kafka topics and ACLs.", no_args_is_help=True)
Prefix = Annotated[
    str | None,
    typer.Option("--prefix", help="topic prefix (default: UNISETTLE_TOPIC_PREFIX)"),
]


Users = Annotated[
    Path | None,
    typer.Option("--users", help="a `principal=password` file: set these SCRAM passwords first", exists=True),
]


@app.command()
def provision(prefix: Prefix = None, users: Users = None) -> None:
    """Create what is missing of every topic (replicated over up to three brokers) and, on an
    authenticating cluster, the ACLs of contracts/access.py. Run as the brokers' principal
    (UNISETTLE_KAFKA_USERNAME=broker and its password); idempotent."""
    stack = StackSettings()
    try:
        if users is not None:
            upsert_users_now(stack.operator_kafka(), read_credentials(users))
        done = provision_now(stack.operator_kafka(), stack.topic_prefix if prefix is None else prefix)
    except KafkaException as exc:
        raise fail("kafka_refused", str(exc.args[0])) from exc
    created = f"{len(done.created)} topics created" if done.created else "every topic already there"
    print(
        f"kafka: {done.brokers} broker(s), replication {done.replication}, min.insync.replicas "
        f"{done.min_insync}; {created}; {done.acls} ACLs"
    )


@app.command()
def acls(prefix: Prefix = None) -> None:
    """Print the ACL table for a prefix: principal, resource, name, operation."""
    stack = StackSettings()
    for g in grants(stack.topic_prefix if prefix is None else prefix):
        name = f"{g.name}*" if g.prefixed else g.name
        print(f"User:{g.principal:<12} {g.resource.value:<6} {name:<40} {g.operation.value}")

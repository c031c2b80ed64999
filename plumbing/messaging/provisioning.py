"""Provisioning a deployment's Kafka resources, as the brokers' own principal: every topic of
`contracts.access.topics` (replicated over up to three brokers, `min.insync.replicas` one less
on a cluster) and, on an authenticating cluster, the ACLs of `contracts.access.grants`. Services
create nothing: they may only write their own topics and read what they consume.

It speaks to Kafka through confluent-kafka's admin client (librdkafka), which has the ACL API
aiokafka lacks; its calls block, so the coroutines run them in a thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)
from pydantic import SecretStr

from contracts.access import Grant, Operation, Resource, grants, topics
from plumbing.messaging.kafka_access import KafkaAccess

PARTITIONS = 6
TIMEOUT = 30.0
_RESOURCES = {Resource.TOPIC: ResourceType.TOPIC, Resource.GROUP: ResourceType.GROUP}
_OPERATIONS = {Operation.READ: AclOperation.READ, Operation.WRITE: AclOperation.WRITE}
_OPERATIONS[Operation.DESCRIBE] = AclOperation.DESCRIBE
_OPERATIONS[Operation.CREATE] = AclOperation.CREATE


@dataclass(frozen=True)
class Provisioned:
    brokers: int
    replication: int
    min_insync: int
    created: list[str]
    acls: int


def binding(grant: Grant) -> AclBinding:
    return AclBinding(
        _RESOURCES[grant.resource],
        grant.name,
        ResourcePatternType.PREFIXED if grant.prefixed else ResourcePatternType.LITERAL,
        f"User:{grant.principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def provision_now(access: KafkaAccess, prefix: str = "", partitions: int = PARTITIONS) -> Provisioned:
    """Create what is missing of the deployment's topics and ACLs for `prefix` (idempotent)."""
    admin = AdminClient(access.librdkafka())
    brokers, replication, min_insync, created = _create_topics(admin, topics(prefix), partitions)
    acls = [binding(g) for g in grants(prefix)] if access.authenticated else []
    for future in admin.create_acls(acls, request_timeout=TIMEOUT).values() if acls else ():
        future.result()
    _until_in_force(admin, acls)
    return Provisioned(brokers, replication, min_insync, created, len(acls))


def upsert_users_now(access: KafkaAccess, users: dict[str, SecretStr]) -> None:
    """Set each principal's SCRAM-SHA-512 password (a cluster whose credentials were not made at
    format time, e.g. containers; also how a password is rotated)."""
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    changes: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(name, info, password.get_secret_value().encode())
        for name, password in users.items()
    ]
    admin = AdminClient(access.librdkafka())
    for future in admin.alter_user_scram_credentials(changes, request_timeout=TIMEOUT).values():
        future.result()


def create_topics_now(access: KafkaAccess, names: list[str], partitions: int = PARTITIONS) -> list[str]:
    """Create what is missing of `names`, replicated as the deployment's topics are."""
    return _create_topics(AdminClient(access.librdkafka()), names, partitions)[3]


def wait_for_topics(access: KafkaAccess, names: list[str]) -> None:
    """Return once the cluster's metadata shows each of `names` with its partitions led (a client
    that starts then sees them)."""
    admin = AdminClient(access.librdkafka())
    _until(lambda: _all_led(admin, names), f"topics {names} in the cluster's metadata")


def _all_led(admin: AdminClient, names: list[str]) -> bool:
    topics = admin.list_topics(timeout=TIMEOUT).topics
    return all(
        name in topics
        and topics[name].error is None
        and topics[name].partitions
        and all(p.leader >= 0 for p in topics[name].partitions.values())
        for name in names
    )


def _create_topics(admin: AdminClient, names: list[str], partitions: int) -> tuple[int, int, int, list[str]]:
    metadata = admin.list_topics(timeout=TIMEOUT)
    brokers = len(metadata.brokers)
    replication = min(3, brokers)
    min_insync = max(1, replication - 1)
    missing = [name for name in names if name not in metadata.topics]
    config = {"min.insync.replicas": str(min_insync), "unclean.leader.election.enable": "false"}
    new = [NewTopic(name, partitions, replication, config=config) for name in missing]
    for future in admin.create_topics(new, operation_timeout=TIMEOUT).values() if new else ():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # another process was first
                raise
    return brokers, replication, min_insync, missing


def _until_in_force(admin: AdminClient, acls: list[AclBinding]) -> None:
    """Wait until the broker's authorizer holds every ACL: the controller has committed them when
    create_acls answers, but a broker applies them when it replays the metadata log, a moment later
    — a client let in before then would be refused."""
    wanted = set(acls)
    everything = AclBindingFilter(  # None matches any name, principal and host (the stubs say str)
        ResourceType.ANY,
        None,  # type: ignore[arg-type]
        ResourcePatternType.ANY,
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        AclOperation.ANY,
        AclPermissionType.ANY,
    )

    def applied() -> bool:
        return not wanted or wanted <= set(admin.describe_acls(everything, request_timeout=TIMEOUT).result())

    _until(applied, f"the broker to apply {len(wanted)} ACLs")


def _until(done: Callable[[], bool], what: str) -> None:
    """Poll `done` until it is true; TimeoutError naming `what` after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {TIMEOUT:.0f} s for {what}")
        time.sleep(0.05)


def unprovision_now(access: KafkaAccess, prefix: str) -> None:
    """Delete a prefix's topics and ACLs (a test run's, once it is done); never a deployment's."""
    if not prefix:
        raise ValueError("unprovisioning needs a prefix: without one it would delete every topic")
    admin = AdminClient(access.librdkafka())
    existing = admin.list_topics(timeout=TIMEOUT).topics
    mine = [name for name in existing if name.startswith(prefix)]
    for future in admin.delete_topics(mine, operation_timeout=TIMEOUT).values() if mine else ():
        future.result()
    if access.authenticated:
        filters = [_filter(binding(g)) for g in grants(prefix)]
        for future in admin.delete_acls(filters, request_timeout=TIMEOUT).values():
            future.result()


def _filter(acl: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        acl.restype,
        acl.name,
        acl.resource_pattern_type,
        acl.principal,
        acl.host,
        acl.operation,
        acl.permission_type,
    )


async def provision(access: KafkaAccess, prefix: str = "", partitions: int = PARTITIONS) -> Provisioned:
    return await asyncio.to_thread(provision_now, access, prefix, partitions)


async def unprovision(access: KafkaAccess, prefix: str) -> None:
    await asyncio.to_thread(unprovision_now, access, prefix)

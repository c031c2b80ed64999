"""Operator actions on dead letters: list, inspect, replay to the consumer that refused them, or
discard — each resolution recorded with who and why."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import asyncpg

from contracts.topics import replay_topic
from plumbing.aggregates import audit
from plumbing.messaging.delivery import REPLAY_FOR, REPLAY_OF
from plumbing.messaging.outbox import Outbox, headers_from_json
from plumbing.web.auth import PLATFORM_TENANT


@dataclass(frozen=True)
class Letter:
    id: int
    consumer: str
    topic: str
    source: str
    event_type: str | None
    reason_code: str
    reason: str
    created_at: str
    resolution: str | None


class DeadLetterError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


async def list_letters(
    conn: asyncpg.Connection, *, include_resolved: bool = False, limit: int = 100
) -> list[Letter]:
    rows = await conn.fetch(
        """select id, consumer, topic, kafka_partition, kafka_offset, event_type, reason_code, reason,
                  created_at,
                  resolution from dead_letters where $1 or resolution is null order by id limit $2""",
        include_resolved,
        limit,
    )
    return [
        Letter(
            r["id"],
            r["consumer"],
            r["topic"],
            f"{r['topic']}/{r['kafka_partition']}/{r['kafka_offset']}",
            r["event_type"],
            r["reason_code"],
            r["reason"],
            r["created_at"].isoformat(),
            r["resolution"],
        )
        for r in rows
    ]


async def show(conn: asyncpg.Connection, letter_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("select * from dead_letters where id = $1", letter_id)
    if row is None:
        raise DeadLetterError("not_found", f"no dead letter {letter_id}")
    out = {k: v for k, v in row.items() if k not in ("value", "key", "headers")}
    out.update(_bytes_shown("key", row["key"]))
    out.update(_bytes_shown("value", row["value"]))
    out["headers"] = [
        {"name": name, **_bytes_shown("value", value)} for name, value in headers_from_json(row["headers"])
    ]
    return out


def _bytes_shown(name: str, data: bytes | None) -> dict[str, str | None]:
    """The true bytes, shown faithfully: as text when they are UTF-8, else as `<name>_base64`."""
    if data is None:
        return {name: None}
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{name}_base64": base64.b64encode(data).decode()}


async def resolve(
    conn: asyncpg.Connection, outbox: Outbox, letter_id: int, action: str, by: str, reason: str
) -> None:
    """Replay or discard, once. A replay goes through the outbox to the refusing consumer's own
    replay topic, marked for it and with the topic the event first came on (so that the owner
    check and a later dead letter still speak of that topic), and the consumer forgets it had
    seen the event."""
    if action not in ("replayed", "discarded"):
        raise DeadLetterError("bad_action", "resolve with replayed or discarded")
    if not by.strip() or not reason.strip():
        raise DeadLetterError("who_and_why", "say who resolves it and why")
    async with conn.transaction():
        row = await conn.fetchrow("select * from dead_letters where id = $1 for update", letter_id)
        if row is None:
            raise DeadLetterError("not_found", f"no dead letter {letter_id}")
        if row["resolution"] is not None:
            raise DeadLetterError(
                "already_resolved", f"dead letter {letter_id} was already {row['resolution']}"
            )
        if action == "replayed":
            if row["event_id"] is not None:
                await conn.execute(
                    "delete from processed_events where consumer = $1 and event_id = $2",
                    row["consumer"],
                    row["event_id"],
                )
            kept = headers_from_json(row["headers"])
            source = dict(kept).get(REPLAY_OF) or row["topic"].encode()  # a replay refused again
            headers = [(k, v) for k, v in kept if not k.startswith("dlq.")]
            headers += [(REPLAY_FOR, row["consumer"].encode()), (REPLAY_OF, source)]
            destination = outbox.physical(replay_topic(row["consumer"]))
            await outbox.append_raw(conn, [(destination, row["key"], row["value"], headers)])
        await conn.execute(
            """update dead_letters set resolution = $2, resolved_by = $3, resolution_reason = $4,
                   resolved_at = now()
               where id = $1""",
            letter_id,
            action,
            by,
            reason,
        )
        await audit.record(
            conn,
            audit.Audited(f"dead_letter.{action}", by, "platform_ops", reason),
            tenant_id=PLATFORM_TENANT,
            subject=f"dead_letter:{row['consumer']}:{letter_id}",
            before={"resolution": None, "event_type": row["event_type"], "reason_code": row["reason_code"]},
            after={"resolution": action, "topic": row["topic"], "event_id": row["event_id"]},
        )

"""Postgres pools and numbered SQL migrations, applied at start under an advisory lock."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg

from plumbing.ops.logs import get_logger

log = get_logger(__name__)

PLUMBING_MIGRATIONS = Path(__file__).parent / "migrations"


class Connection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection that remembers whether its work wrote to the outbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outbox_written = False

    def wrote_outbox(self) -> None:
        self.outbox_written = True


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    on_outbox_written: Callable[[], None] | None = None,
) -> asyncpg.Pool:
    """A pool whose connections are handed back without asyncpg's reset query (one more round
    trip per use): nothing on a pooled connection keeps session state — no LISTEN, session
    advisory lock, SET or cursor outlives its use (those live on connections of their own) — and
    an open transaction is still rolled back when a connection comes back.

    `on_outbox_written` is called when a connection whose work wrote to the outbox is handed
    back, i.e. after that work committed (or rolled back): it wakes the relay."""

    async def handed_back(conn: Connection) -> None:
        if conn.outbox_written:
            conn.outbox_written = False
            if on_outbox_written is not None:
                on_outbox_written()

    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=60,
        reset=handed_back,
        connection_class=Connection,
    )
    assert pool is not None
    return pool


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def migrate(conn: asyncpg.Connection, scope: str, directory: Path) -> list[str]:
    """Apply `directory`'s NNN_name.sql files not yet applied for `scope`; returns their names.

    Several processes may start at once: a session advisory lock lets one migrate at a time.
    """
    files = sorted(directory.glob("[0-9][0-9][0-9]_*.sql"))
    applied_now: list[str] = []
    await conn.execute("select pg_advisory_lock($1)", _lock_key(f"migrate:{scope}"))
    try:
        await conn.execute(
            """create table if not exists schema_migrations (
                   scope text not null, version integer not null, name text not null,
                   applied_at timestamptz not null default now(), primary key (scope, version))"""
        )
        done = {
            r["version"]
            for r in await conn.fetch("select version from schema_migrations where scope = $1", scope)
        }
        for path in files:
            version = int(path.name[:3])
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute(
                    "insert into schema_migrations (scope, version, name) values ($1, $2, $3)",
                    scope,
                    version,
                    path.name,
                )
            applied_now.append(f"{scope}/{path.name}")
            log.info("migration applied", scope=scope, migration=path.name)
    finally:
        await conn.execute("select pg_advisory_unlock($1)", _lock_key(f"migrate:{scope}"))
    return applied_now


async def migrate_service(dsn: str, service: str, directory: Path) -> list[str]:
    """Plumbing tables first, then the service's own schema."""
    conn = await asyncpg.connect(dsn)
    try:
        applied = await migrate(conn, "plumbing", PLUMBING_MIGRATIONS)
        applied += await migrate(conn, service, directory)
        return applied
    finally:
        await conn.close()

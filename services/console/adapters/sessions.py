"""Where sign-in links and sessions are kept (`sign_in_links`, `sessions`), by digest."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from plumbing.web.auth import Principal, Role
from services.console.domain.sessions import Session

_WHO = "subject, role, tenant_id, supplier_id, org_unit_id"


def _principal(row: asyncpg.Record) -> Principal:
    return Principal(
        subject=row["subject"],
        role=Role(row["role"]),
        tenant_id=row["tenant_id"],
        supplier_id=row["supplier_id"],
        org_unit_id=row["org_unit_id"],
    )


def _columns(who: Principal) -> tuple[str, str, str, str | None, str | None]:
    """`_WHO`'s values for a principal."""
    return who.subject, who.role.value, who.tenant_id, who.supplier_id, who.org_unit_id


async def add_link(
    conn: asyncpg.Connection, digest: str, who: Principal, by: str, now: datetime, expires: datetime
) -> None:
    await conn.execute(
        f"""insert into sign_in_links (digest, {_WHO}, created_by, created_at, expires_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        digest,
        *_columns(who),
        by,
        now,
        expires,
    )


async def redeem(conn: asyncpg.Connection, digest: str, now: datetime) -> Principal | None:
    """The link's principal — once: the link is spent in the same statement."""
    row = await conn.fetchrow(
        f"""update sign_in_links set used_at = $2
            where digest = $1 and used_at is null and expires_at > $2 returning {_WHO}""",
        digest,
        now,
    )
    return _principal(row) if row else None


async def open_session(
    conn: asyncpg.Connection, digest: str, who: Principal, csrf: str, now: datetime, expires: datetime
) -> None:
    await conn.execute(
        f"""insert into sessions (digest, {_WHO}, csrf, created_at, expires_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        digest,
        *_columns(who),
        csrf,
        now,
        expires,
    )


async def session(conn: asyncpg.Connection, digest: str, now: datetime) -> Session | None:
    row = await conn.fetchrow(
        f"""select {_WHO}, csrf from sessions
            where digest = $1 and ended_at is null and expires_at > $2""",
        digest,
        now,
    )
    return Session(_principal(row), row["csrf"]) if row else None


async def end(conn: asyncpg.Connection, digest: str, now: datetime) -> None:
    await conn.execute(
        "update sessions set ended_at = $2 where digest = $1 and ended_at is null", digest, now
    )


async def forget(conn: asyncpg.Connection, now: datetime) -> int:
    """Drop what can no longer let anyone in; how many rows went."""
    links = await conn.execute("delete from sign_in_links where expires_at < $1", now)
    ended = await conn.execute("delete from sessions where expires_at < $1 or ended_at is not null", now)
    return int(links.split()[-1]) + int(ended.split()[-1])

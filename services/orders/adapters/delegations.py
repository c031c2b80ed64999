"""Where delegations are kept (`approval_delegations`)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from contracts.events.common import Actor
from services.orders.domain.delegation import Delegation

_COLUMNS = """delegation_id, tenant_id, delegator_id, delegator_role, delegator_unit, delegate_id,
              valid_from, valid_until, revoked_at"""


def _of(row: asyncpg.Record) -> Delegation:
    return Delegation(
        row["delegation_id"],
        row["tenant_id"],
        Actor(user_id=row["delegator_id"], role=row["delegator_role"]),
        row["delegator_unit"],
        row["delegate_id"],
        row["valid_from"],
        row["valid_until"],
        row["revoked_at"],
    )


async def add(conn: asyncpg.Connection, d: Delegation, now: datetime) -> None:
    await conn.execute(
        f"""insert into approval_delegations ({_COLUMNS}, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, null, $9)""",
        d.delegation_id,
        d.tenant_id,
        d.delegator.user_id,
        d.delegator.role,
        d.delegator_unit,
        d.delegate_id,
        d.valid_from,
        d.valid_until,
        now,
    )


async def get(conn: asyncpg.Connection, tenant_id: str, delegation_id: str) -> Delegation | None:
    row = await conn.fetchrow(
        f"select {_COLUMNS} from approval_delegations where tenant_id = $1 and delegation_id = $2 for update",
        tenant_id,
        delegation_id,
    )
    return _of(row) if row else None


async def revoke(conn: asyncpg.Connection, delegation_id: str, now: datetime) -> None:
    await conn.execute(
        "update approval_delegations set revoked_at = $2 where delegation_id = $1", delegation_id, now
    )


async def to(conn: asyncpg.Connection, tenant_id: str, delegate_id: str, now: datetime) -> list[Delegation]:
    """The delegations in force now to `delegate_id`."""
    rows = await conn.fetch(
        f"""select {_COLUMNS} from approval_delegations
            where tenant_id = $1 and delegate_id = $2 and valid_until > $3 and valid_from <= $3
              and revoked_at is null order by delegation_id""",
        tenant_id,
        delegate_id,
        now,
    )
    return [_of(r) for r in rows]


async def involving(conn: asyncpg.Connection, tenant_id: str, user_id: str) -> list[Delegation]:
    """Every delegation from or to `user_id`, newest first."""
    rows = await conn.fetch(
        f"""select {_COLUMNS} from approval_delegations
            where tenant_id = $1 and (delegator_id = $2 or delegate_id = $2)
            order by valid_from desc, delegation_id""",
        tenant_id,
        user_id,
    )
    return [_of(r) for r in rows]

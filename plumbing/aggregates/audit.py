"""The audit trail: every action that moves money or changes who may act, with who did it, when,
the state before and after, and why.

An entry is written in the same transaction as the change it records, so there is never a change
without its entry nor an entry for a change that rolled back. The table refuses updates, deletes
and truncation (migration 002). Each service keeps the trail of its own actions and serves it at
`GET /v1/audit`: platform operations read every entry, university finance those of its university.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from plumbing.errors import Forbidden
from plumbing.ops.tracing import current_trace
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles, require_tenant
from plumbing.web.pagination import InvalidCursor, decode_cursor, encode_cursor


@dataclass(frozen=True)
class Audited:
    """An action about to be taken, to be recorded with the state before and after it."""

    action: str
    actor_id: str
    actor_role: str
    reason: str | None = None

    @classmethod
    def by(cls, principal: Principal, action: str, reason: str | None = None) -> Audited:
        return cls(action, principal.subject, principal.role.value, reason)

    @classmethod
    def by_deadline(cls, action: str, reason: str) -> Audited:
        """An action nobody took: a deadline passed and the rules decided (silence, expiry)."""
        return cls(action, "system", "system", reason)


async def record(
    conn: asyncpg.Connection,
    audited: Audited,
    *,
    tenant_id: str,
    subject: str,
    before: Any,
    after: Any,
    at: datetime | None = None,
) -> None:
    """Append one entry; call it inside the transaction that makes the change."""
    trace = current_trace.get()
    await conn.execute(
        """insert into audit_log (occurred_at, actor_id, actor_role, tenant_id, action, subject,
                                  before, after, reason, trace_id)
           values (coalesce($1, now()), $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)""",
        at,
        audited.actor_id,
        audited.actor_role,
        tenant_id,
        audited.action,
        subject,
        _json(before),
        _json(after),
        audited.reason,
        trace.trace_id if trace else None,
    )


def _json(state: Any) -> str | None:
    return None if state is None else json.dumps(to_jsonable_python(state), sort_keys=True)


# ---------------------------------------------------------------- reading it


async def entries(
    conn: asyncpg.Connection,
    *,
    tenant_id: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    after_id: int = 0,
    limit: int = 100,
    newest: bool = False,
) -> list[dict[str, Any]]:
    """Entries after `after_id`, oldest first (or the newest `limit`, still oldest first)."""
    rows = await conn.fetch(
        f"""select * from audit_log
            where id > $1 and ($2::text is null or tenant_id = $2)
              and ($3::text is null or subject = $3) and ($4::text is null or action = $4)
            order by id {"desc" if newest else ""} limit $5""",
        after_id,
        tenant_id,
        subject,
        action,
        limit,
    )
    found = [
        {
            **dict(r),
            "before": json.loads(r["before"]) if r["before"] is not None else None,
            "after": json.loads(r["after"]) if r["after"] is not None else None,
        }
        for r in rows
    ]
    return found[::-1] if newest else found


def changes(before: Any, after: Any) -> str:
    """What an entry changed, in one line: `status: SHIPPED → RECEIVED, funds: held → released`."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"{_text(before)} → {_text(after)}"
    return ", ".join(
        f"{key}: {_text(before.get(key))} → {_text(after.get(key))}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    )


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class AuditEntryOut(BaseModel):
    id: int
    occurred_at: datetime
    actor_id: str
    actor_role: str
    tenant_id: str
    action: str
    subject: str
    before: Any
    after: Any
    reason: str | None
    trace_id: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None


Auditor = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS, Role.UNIVERSITY_FINANCE))]


def audit_router() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/v1/audit", response_model=AuditPage)
    async def read_audit(
        request: Request,
        auditor: Auditor,
        tenant_id: Annotated[str | None, Query(max_length=200)] = None,
        subject: Annotated[str | None, Query(max_length=300)] = None,
        action: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        cursor: Annotated[str | None, Query(max_length=100)] = None,
    ) -> AuditPage:
        """The audit trail of this service, oldest first: platform operations see every entry,
        university finance only its own university's (asking for another's is refused). The
        trail spans the university, so an officer scoped to one unit is refused (`outside_scope`)."""
        if auditor.org_unit_id is not None:
            raise Forbidden(
                "the audit trail is read by the whole university's finance office", code="outside_scope"
            )
        if auditor.role is not Role.PLATFORM_OPS:
            if tenant_id is not None:
                require_tenant(auditor, tenant_id)
            tenant_id = auditor.tenant_id
        after = decode_cursor(cursor)
        if after and not (after.isascii() and after.isdigit() and len(after) <= 18):
            raise InvalidCursor("the cursor is not one this API gave out")
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as conn:
            rows = await entries(
                conn,
                tenant_id=tenant_id,
                subject=subject,
                action=action,
                after_id=int(after or 0),
                limit=limit + 1,
            )
        page = [AuditEntryOut(**row) for row in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(entries=page, next_cursor=encode_cursor(str(page[-1].id)) if more else None)

    return router

"""Approvers hand on their approvals for a period: a dean away lets a vice-dean approve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from pydantic import AwareDatetime, BaseModel, Field

from contracts.events.common import Actor
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from plumbing.web.request_bodies import RequestBody
from services.orders.adapters import delegations as store
from services.orders.api.deps import Ctx
from services.orders.commands import delegations as commands
from services.orders.domain.delegation import Delegation

router = APIRouter(prefix="/v1/delegations", tags=["delegations"])
Delegator = Annotated[
    Principal,
    Depends(require_roles(Role.RESEARCHER, Role.UNIT_APPROVER, Role.SAFETY_OFFICER, Role.UNIVERSITY_FINANCE)),
]
Anyone = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.RESEARCHER, Role.LAB_MEMBER, Role.UNIT_APPROVER, Role.SAFETY_OFFICER, Role.UNIVERSITY_FINANCE
        )
    ),
]


class DelegationIn(RequestBody):
    delegate_id: Annotated[str, Field(min_length=1, max_length=200)]
    valid_from: AwareDatetime | None = None  # now when not given
    valid_until: AwareDatetime


class DelegationOut(BaseModel):
    delegation_id: str
    delegator: Actor
    delegator_unit: str | None
    delegate_id: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    in_force: bool

    @classmethod
    def of(cls, d: Delegation, now: datetime) -> DelegationOut:
        return cls(
            delegation_id=d.delegation_id,
            delegator=d.delegator,
            delegator_unit=d.delegator_unit,
            delegate_id=d.delegate_id,
            valid_from=d.valid_from,
            valid_until=d.valid_until,
            revoked_at=d.revoked_at,
            in_force=d.in_force(now),
        )


@router.post("", response_model=DelegationOut, status_code=status.HTTP_201_CREATED)
async def delegate(body: DelegationIn, ctx: Ctx, by: Delegator) -> DelegationOut:
    """Let `delegate_id` give, from `valid_from` until `valid_until`, the approvals you would give
    (in your role and scope). The delegate never approves their own order, nor yours."""
    made = await commands.delegate(ctx, by, body.delegate_id, body.valid_from, body.valid_until)
    return DelegationOut.of(made, ctx.clock.now())


@router.get("", response_model=list[DelegationOut])
async def mine(ctx: Ctx, who: Anyone) -> list[DelegationOut]:
    """The delegations you made and those made to you."""
    async with ctx.pool.acquire() as conn:
        found = await store.involving(conn, who.tenant_id, who.subject)
    now = ctx.clock.now()
    return [DelegationOut.of(d, now) for d in found]


@router.post("/{delegation_id}/revoke", response_model=DelegationOut)
async def revoke(
    delegation_id: Annotated[str, Path(min_length=1, max_length=200)], ctx: Ctx, by: Delegator
) -> DelegationOut:
    """Take your approvals back from now on."""
    return DelegationOut.of(await commands.revoke(ctx, by, delegation_id), ctx.clock.now())

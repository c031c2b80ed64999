"""Refund cases: buyers ask, suppliers answer, operations decide disputes; everyone reads the
cases they are party to, with the timeline of who did what, when and why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from contracts.events.common import Actor
from contracts.events.refunds import DisputeDecision
from contracts.money import MAX_MINOR
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import Principal, Role
from plumbing.web.request_bodies import ReasonIn, RequestBody
from services.refunds.adapters import queries
from services.refunds.api.deps import Buyer, Ctx, Ops, Reader, RefundIdPath, Supplier
from services.refunds.commands import cases as commands
from services.refunds.domain.case import NotYourCase, RefundCase

router = APIRouter(prefix="/v1/refunds", tags=["refunds"])
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class RequestIn(RequestBody):
    order_id: Annotated[str, Field(min_length=1, max_length=200)]
    amount_minor: Annotated[int, Field(strict=True, gt=0, le=MAX_MINOR)]
    reason_code: Annotated[str, Field(min_length=1, max_length=64, examples=["damaged", "wrong_item"])]
    reason: Text
    goods_return: bool = False


class ReturnIn(RequestBody):
    carrier: Annotated[str, Field(min_length=1, max_length=100)]
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]


class DecisionIn(RequestBody):
    decision: DisputeDecision
    awarded_minor: Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR)] = 0
    reason: Text


class StepOut(BaseModel):
    at: datetime
    action: str
    actor_id: str
    actor_role: str
    to_status: str
    reason: str | None


class CaseOut(BaseModel):
    refund_id: str
    order_id: str
    supplier_id: str
    grant_id: str
    buyer: Actor
    amount_minor: int
    reason_code: str
    reason: str
    goods_return: bool
    status: str
    deadline: datetime | None
    agreed_at: datetime | None
    pay_by: datetime | None
    settled_at: datetime | None
    source: str | None
    timeline: list[StepOut] = []


def may_see(p: Principal, case: RefundCase) -> bool:
    if p.role is Role.PLATFORM_OPS:
        return True
    if p.role is Role.SUPPLIER:
        return case.supplier_id == p.supplier_id
    if case.tenant_id != p.tenant_id:
        return False
    if p.org_unit_id is not None:
        # Refunds does not keep the organisation tree: an officer of one unit reads a refund
        # through its order (orders) and its money through the unit's execution (settlement).
        return False
    return p.role is Role.UNIVERSITY_FINANCE or case.buyer.user_id == p.subject


def own_supplier(p: Principal) -> Callable[[RefundCase], bool]:
    def check(case: RefundCase) -> bool:
        if case.supplier_id != p.supplier_id:
            raise NotYourCase("this case belongs to another supplier")
        return True

    return check


async def out(ctx: Ctx, case: RefundCase) -> CaseOut:
    async with ctx.pool.acquire() as conn:
        steps = await queries.steps(conn, case.refund_id)
    return CaseOut(
        refund_id=case.refund_id,
        order_id=case.order_id,
        supplier_id=case.supplier_id,
        grant_id=case.grant_id,
        buyer=case.buyer,
        amount_minor=case.amount_minor,
        reason_code=case.reason_code,
        reason=case.reason,
        goods_return=case.goods_return,
        status=case.status.value,
        deadline=case.deadline,
        agreed_at=case.agreed_at,
        pay_by=case.pay_by,
        settled_at=case.settled_at,
        source=case.source.value if case.source else None,
        timeline=[StepOut(**dict(s)) for s in steps],
    )


@router.post("", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
async def request(body: RequestIn, ctx: Ctx, buyer: Buyer) -> CaseOut:
    """Ask for a refund on a PAID, SHIPPED or received order, or within 7 days after completion."""
    case = await commands.request(
        ctx,
        buyer.tenant_id,
        buyer.actor,
        body.order_id,
        body.amount_minor,
        body.reason_code,
        body.reason,
        body.goods_return,
    )
    return await out(ctx, case)


@router.get("/{refund_id}", response_model=CaseOut)
async def get_case(refund_id: RefundIdPath, ctx: Ctx, reader: Reader) -> CaseOut:
    return await out(ctx, await commands.act(ctx, refund_id, lambda c: None, lambda c: may_see(reader, c)))


@router.post("/{refund_id}/agree", response_model=CaseOut)
async def agree(refund_id: RefundIdPath, ctx: Ctx, supplier: Supplier) -> CaseOut:
    case = await commands.act(
        ctx,
        refund_id,
        lambda c: c.agree(supplier.actor, ctx.clock.now(), ctx.deadlines),
        own_supplier(supplier),
        Audited.by(supplier, "refund.agreed"),
    )
    return await out(ctx, case)


@router.post("/{refund_id}/refuse", response_model=CaseOut)
async def refuse(refund_id: RefundIdPath, body: ReasonIn, ctx: Ctx, supplier: Supplier) -> CaseOut:
    case = await commands.act(
        ctx,
        refund_id,
        lambda c: c.refuse(supplier.actor, body.reason, ctx.clock.now(), ctx.deadlines),
        own_supplier(supplier),
        Audited.by(supplier, "refund.refused", body.reason),
    )
    return await out(ctx, case)


@router.post("/{refund_id}/confirm-goods", response_model=CaseOut)
async def confirm_goods(refund_id: RefundIdPath, ctx: Ctx, supplier: Supplier) -> CaseOut:
    case = await commands.act(
        ctx,
        refund_id,
        lambda c: c.confirm_goods(supplier.actor, ctx.clock.now(), ctx.deadlines),
        own_supplier(supplier),
        Audited.by(supplier, "refund.goods_confirmed"),
    )
    return await out(ctx, case)


@router.post("/{refund_id}/ship-back", response_model=CaseOut)
async def ship_back(refund_id: RefundIdPath, body: ReturnIn, ctx: Ctx, buyer: Buyer) -> CaseOut:
    case = await commands.act(
        ctx,
        refund_id,
        lambda c: c.ship_back(
            buyer.actor, body.carrier, body.tracking_number, ctx.clock.now(), ctx.deadlines
        ),
        lambda c: may_see(buyer, c),
    )
    return await out(ctx, case)


@router.post("/{refund_id}/escalate", response_model=CaseOut)
async def escalate(refund_id: RefundIdPath, body: ReasonIn, ctx: Ctx, buyer: Buyer) -> CaseOut:
    case = await commands.act(
        ctx,
        refund_id,
        lambda c: c.escalate(buyer.actor, body.reason, ctx.clock.now()),
        lambda c: may_see(buyer, c),
    )
    return await out(ctx, case)


@router.post("/{refund_id}/withdraw", response_model=CaseOut)
async def withdraw(refund_id: RefundIdPath, ctx: Ctx, buyer: Buyer) -> CaseOut:
    case = await commands.act(
        ctx, refund_id, lambda c: c.withdraw(buyer.actor, ctx.clock.now()), lambda c: may_see(buyer, c)
    )
    return await out(ctx, case)


@router.post("/{refund_id}/decide", response_model=CaseOut)
async def decide(refund_id: RefundIdPath, body: DecisionIn, ctx: Ctx, ops: Ops) -> CaseOut:
    """Operations decide a dispute: a full or partial refund, or none."""
    case = await commands.act(
        ctx,
        refund_id,
        lambda c: c.decide(
            ops.actor, body.decision, body.awarded_minor, body.reason, ctx.clock.now(), ctx.deadlines
        ),
        lambda c: True,
        Audited.by(ops, "refund.decided", body.reason),
    )
    return await out(ctx, case)

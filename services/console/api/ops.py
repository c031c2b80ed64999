"""The operations view (platform operations): per service the outbox backlog, consumer lag and
dead letters — replayed or discarded from the page, as with the CLI — payout runs and their
failures, the last statements' exceptions (长款, 短款), and the guarantee fund's exposure."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from plumbing.ops.dead_letters import DeadLetterError
from plumbing.web.auth import Role
from services.console.adapters import operations
from services.console.adapters.backend import Refused
from services.console.api.deps import Ctx, PageError, SignedIn, render
from services.console.config import SERVICES
from services.console.domain.sessions import Session

router = APIRouter(include_in_schema=False)


def _ops(session: Session) -> None:
    if session.principal.role is not Role.PLATFORM_OPS:
        raise PageError(403, "forbidden", "The operations view is for platform operations.")


@router.get("/ops")
async def ops(request: Request, session: SignedIn, ctx: Ctx) -> Response:
    _ops(session)
    prefix, db = ctx.settings.stack.topic_prefix, ctx.databases
    statuses = await asyncio.gather(*(operations.status(s, db[s], ctx.lag, prefix) for s in SERVICES))
    letters = await asyncio.gather(*(operations.letters(db[s]) for s in SERVICES))
    try:
        payouts = await ctx.backend.get(session.principal, "settlement", "/v1/payouts")
        guarantee = await ctx.backend.get(session.principal, "settlement", "/v1/guarantee")
        statements = await ctx.backend.get(session.principal, "settlement", "/v1/reconciliation/statements")
    except Refused as exc:
        raise PageError(502, exc.code, exc.message) from exc
    return render(
        request,
        "ops.html",
        session=session,
        statuses=statuses,
        letters=dict(zip(SERVICES, letters, strict=True)),
        payouts=payouts,
        failed=[p for p in payouts if p["status"] == "failed"],
        guarantee=guarantee,
        statements=statements,
    )


@router.post("/ops/dead-letters/{service}/{letter_id}/{action}")
async def resolve(
    service: Annotated[str, Path(pattern="^(orders|settlement|suppliers|refunds)$")],
    letter_id: Annotated[int, Path(ge=1, le=2**62)],
    action: Annotated[str, Path(pattern="^(replay|discard)$")],
    session: SignedIn,
    ctx: Ctx,
    csrf: Annotated[str | None, Form()] = None,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _ops(session)
    if not session.csrf_ok(csrf):
        raise PageError(403, "csrf", "This form is not from a page of this session.")
    done = "replayed" if action == "replay" else "discarded"
    why = reason.strip() or f"{done} from the console"
    try:
        await operations.resolve(
            ctx.databases[service],
            ctx.settings.stack.topic_prefix,
            letter_id,
            done,
            session.principal.subject,
            why,
        )
    except DeadLetterError as exc:
        raise PageError(409 if exc.code == "already_resolved" else 404, exc.code, str(exc)) from exc
    return RedirectResponse("/ops", status_code=303)

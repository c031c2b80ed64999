"""Signing in and out. Platform operations (or `make up`) create one-time links for a person
(`POST /v1/sign-in-links`, a bearer token of platform_ops); opening one starts a session in an
HttpOnly, SameSite=Lax cookie and spends the link; signing out ends the session. A real deployment
puts the university's single sign-on (OIDC) in front of `/sign-in`: the identity provider's
callback would open the session the same way (README, "The console")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from plumbing.aggregates import audit
from plumbing.errors import RuleViolation, Unauthenticated
from plumbing.web.auth import PLATFORM_TENANT, Principal, Role
from plumbing.web.auth_deps import require_roles
from plumbing.web.request_bodies import RequestBody
from services.console.adapters import sessions
from services.console.api.deps import Ctx, PageError, SignedIn, render
from services.console.domain.sessions import COOKIE, digest, new_secret

router = APIRouter(tags=["console sign-in"])
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
Id = Annotated[str, Field(min_length=1, max_length=200)]


class LinkIn(RequestBody):
    subject: Id
    role: Role
    tenant_id: Annotated[str, Field(min_length=1, max_length=64)]
    supplier_id: Id | None = None
    org_unit_id: Id | None = None


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


@router.post("/v1/sign-in-links", response_model=LinkOut, status_code=status.HTTP_201_CREATED)
async def create_link(body: LinkIn, ctx: Ctx, ops: Ops) -> LinkOut:
    """A one-time sign-in link for a person, valid `CONSOLE_LINK_MINUTES` (30) and once."""
    who = Principal(body.subject, body.role, body.tenant_id, body.supplier_id, org_unit_id=body.org_unit_id)
    try:  # a principal no token could carry (a supplier without its id, …) gets no link
        ctx.backend.codec.verify(ctx.backend.codec.issue(who, ttl=timedelta(minutes=1)))
    except Unauthenticated as exc:
        raise RuleViolation(exc.message, code="invalid_principal") from exc
    secret, now = new_secret(), ctx.clock.now()
    expires = now + timedelta(minutes=ctx.settings.link_minutes)
    async with ctx.pool.acquire() as conn, conn.transaction():
        await sessions.add_link(conn, digest(secret), who, ops.subject, now, expires)
        await audit.record(
            conn,
            audit.Audited.by(ops, "console.link_created"),
            tenant_id=who.tenant_id if who.tenant_id != PLATFORM_TENANT else PLATFORM_TENANT,
            subject=f"person:{who.subject}",
            before=None,
            after={"role": who.role.value, "org_unit_id": who.org_unit_id, "expires_at": expires},
        )
    return LinkOut(url=f"{ctx.settings.public_url}/sign-in/{secret}", expires_at=expires)


@router.get("/sign-in/{secret}", include_in_schema=False)
async def sign_in(secret: Annotated[str, Path(max_length=200)], request: Request, ctx: Ctx) -> Response:
    now = ctx.clock.now()
    async with ctx.pool.acquire() as conn, conn.transaction():
        who = await sessions.redeem(conn, digest(secret), now)
        if who is None:
            raise PageError(410, "link_spent", "This sign-in link was used already or has expired.")
        cookie, csrf = new_secret(), new_secret()
        await sessions.open_session(
            conn, digest(cookie), who, csrf, now, now + timedelta(hours=ctx.settings.session_hours)
        )
    answer = RedirectResponse("/", status_code=303)
    answer.set_cookie(
        COOKIE,
        cookie,
        max_age=int(ctx.settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    return answer


@router.post("/sign-out", include_in_schema=False)
async def sign_out(
    session: SignedIn, request: Request, ctx: Ctx, csrf: Annotated[str | None, Form()] = None
) -> Response:
    if not session.csrf_ok(csrf):
        raise PageError(403, "csrf", "This form is not from a page of this session.")
    secret = request.cookies.get(COOKIE, "")
    async with ctx.pool.acquire() as conn:
        await sessions.end(conn, digest(secret), ctx.clock.now())
    answer = render(request, "signed_out.html")
    answer.delete_cookie(COOKIE, path="/")
    return answer

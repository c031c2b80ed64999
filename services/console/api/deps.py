"""What every page needs: the session from its cookie, the language, rendering, and the pages
that say no (401 sign in, 403, 404) in the same shape as the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from plumbing.service import context_dependency
from services.console.adapters import sessions
from services.console.context import Context
from services.console.domain.labels import FORMATS, LABELS, language
from services.console.domain.sessions import COOKIE, Session, digest

Ctx = Annotated[Context, Depends(context_dependency(Context))]
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.filters.update(FORMATS)


class PageError(Exception):
    """A page that says no: rendered as HTML with its status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def lang_of(request: Request) -> str:
    return language(
        request.query_params.get("lang") or request.cookies.get("lang"),
        request.headers.get("accept-language"),
    )


def render(
    request: Request, template: str, status: int = 200, session: Session | None = None, **values: Any
) -> HTMLResponse:
    lang = lang_of(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "t": LABELS[lang],
            "lang": lang,
            "session": session,
            "who": session.principal if session else None,
            **values,
        },
        status_code=status,
    )


async def signed_in(request: Request, ctx: Ctx) -> Session:
    secret = request.cookies.get(COOKIE)
    found = None
    if secret:
        async with ctx.pool.acquire() as conn:
            found = await sessions.session(conn, digest(secret), ctx.clock.now())
    if found is None:
        raise PageError(401, "not_signed_in", "Sign in with the link you were given.")
    return found


SignedIn = Annotated[Session, Depends(signed_in)]

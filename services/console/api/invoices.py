"""The finance office's invoices to resolve: held invoices with each finding, and red-letter
invoices suppliers owe — from the invoices API as the person signed in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.adapters.backend import Refused
from services.console.api.deps import Ctx, SignedIn, render
from services.console.api.finance import refused

router = APIRouter(include_in_schema=False)


@router.get("/invoices")
async def invoices(request: Request, session: SignedIn, ctx: Ctx) -> Response:
    who = session.principal
    try:
        held = await ctx.backend.get(
            who, "invoices", f"/v1/universities/{who.tenant_id}/invoices", status="held"
        )
        owed = await ctx.backend.get(
            who, "invoices", f"/v1/universities/{who.tenant_id}/red-letters", open="true"
        )
    except Refused as exc:
        raise refused(exc) from exc
    return render(request, "invoices.html", session=session, held=held, owed=owed)

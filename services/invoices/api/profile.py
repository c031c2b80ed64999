"""A university's invoicing profile (finance of the whole university)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from contracts.events.common import CreditCode
from plumbing.errors import NotFound
from plumbing.web.request_bodies import RequestBody
from services.invoices.adapters.profiles import Profile
from services.invoices.api.deps import Ctx, FinanceOrOps, FinanceRole, TenantIdPath, whole_university
from services.invoices.commands import profile as commands
from services.invoices.domain.matching import Tolerance

router = APIRouter(tags=["invoicing profile"])


class ProfileIn(RequestBody):
    buyer_name: Annotated[str, Field(min_length=1, max_length=300)]
    buyer_tax_id: CreditCode
    tolerance_bp: Annotated[int, Field(strict=True, ge=0, le=10_000)] = 0  # default exact
    tolerance_minor: Annotated[int, Field(strict=True, ge=0, le=10**9)] = 0
    variance_authority_minor: Annotated[int, Field(strict=True, ge=0, le=10**12)] = 0
    red_letter_hold_days: Annotated[int | None, Field(strict=True, ge=0, le=365)] = None
    payouts_need_invoices: bool = True


class ProfileOut(ProfileIn):
    tenant_id: str

    @classmethod
    def of(cls, p: Profile) -> ProfileOut:
        return cls(
            tenant_id=p.tenant_id,
            buyer_name=p.buyer_name,
            buyer_tax_id=p.buyer_tax_id,
            tolerance_bp=p.tolerance.percent_bp,
            tolerance_minor=p.tolerance.absolute_fen,
            variance_authority_minor=p.variance_authority_minor,
            red_letter_hold_days=p.red_letter_hold_days,
            payouts_need_invoices=p.payouts_need_invoices,
        )


@router.get("/v1/universities/{tenant_id}/invoicing-profile", response_model=ProfileOut)
async def get_profile(tenant_id: TenantIdPath, ctx: Ctx, finance: FinanceOrOps) -> ProfileOut:
    whole_university(finance, tenant_id)
    found = await commands.get_profile(ctx, tenant_id)
    if found is None:
        raise NotFound("the university has not set up invoicing", code="invoicing_not_set_up")
    return ProfileOut.of(found)


@router.put("/v1/universities/{tenant_id}/invoicing-profile", response_model=ProfileOut)
async def put_profile(tenant_id: TenantIdPath, body: ProfileIn, ctx: Ctx, finance: FinanceRole) -> ProfileOut:
    """The buyer on the university's invoices (name and credit code), the match tolerance (the
    larger of `tolerance_bp` of the ordered amount and `tolerance_minor`; default exact), the
    variance finance may accept (`variance_authority_minor`), after how many days an owed
    red-letter invoice holds the supplier's payouts (none: never), and whether payouts need
    matched invoices (from now on). Audited."""
    whole_university(finance, tenant_id)
    profile = Profile(
        tenant_id,
        body.buyer_name,
        body.buyer_tax_id,
        Tolerance(body.tolerance_bp, body.tolerance_minor),
        body.variance_authority_minor,
        body.red_letter_hold_days,
        body.payouts_need_invoices,
    )
    return ProfileOut.of(await commands.set_profile(ctx, finance, profile))

"""The tax service's simulator, for demos and tests: operations tell it which invoices were
issued and which were voided, as a seller's tax-control system would tell the real one. It is
not the tax authority; a deployment with a real connection has no use for these routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from contracts.events.common import CreditCode
from plumbing.web.request_bodies import RequestBody
from services.invoices.adapters.tax_simulator import TaxSimulator
from services.invoices.api.deps import Ctx, Ops
from services.invoices.domain.verification import Issued

router = APIRouter(prefix="/v1/tax-simulator/invoices", tags=["tax service simulator"])
Number = Annotated[str, Field(pattern=r"^\d{18,20}$")]


class IssueIn(RequestBody):
    number: Number
    seller_tax_id: CreditCode
    buyer_tax_id: CreditCode
    issued_on: date
    total_minor: Annotated[int, Field(strict=True, ge=-(10**13), le=10**13)]
    offsets: Number | None = None


class IssuedOut(BaseModel):
    number: str
    seller_tax_id: str
    buyer_tax_id: str
    issued_on: date
    total_minor: int
    status: str

    @classmethod
    def of(cls, i: Issued) -> IssuedOut:
        return cls(
            number=i.number,
            seller_tax_id=i.seller_tax_id,
            buyer_tax_id=i.buyer_tax_id,
            issued_on=i.issued_on,
            total_minor=i.total_fen,
            status=i.status.value,
        )


def _simulator(ctx: Ctx) -> TaxSimulator:
    tax = ctx.tax
    assert isinstance(tax, TaxSimulator), "the tax service here is a real one"
    return tax


@router.post("", response_model=IssuedOut, status_code=201)
async def issue(body: IssueIn, ctx: Ctx, _: Ops) -> IssuedOut:
    """An invoice the tax system issued (a red-letter one: `offsets` and a negative total)."""
    issued = await _simulator(ctx).issue(
        body.number,
        seller_tax_id=body.seller_tax_id,
        buyer_tax_id=body.buyer_tax_id,
        issued_on=body.issued_on,
        total_minor=body.total_minor,
        offsets=body.offsets,
    )
    return IssuedOut.of(issued)


@router.post("/{number}/void", response_model=IssuedOut)
async def void(number: Annotated[str, Path(pattern=r"^\d{18,20}$")], ctx: Ctx, _: Ops) -> IssuedOut:
    """The seller voided the invoice (作废): the next recheck un-matches it."""
    return IssuedOut.of(await _simulator(ctx).void(number))

"""The bank simulator's side of the escrow account (only where the bank is simulated): its
statement of a day in each format a bank sends, money someone pays in, and a late booking."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import Field

from plumbing.errors import NotFound, RuleViolation
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from plumbing.web.request_bodies import RequestBody
from services.settlement.context import Context
from services.settlement.deps import Ctx
from services.settlement.payouts.adapters.bank import PayoutBankSimulator
from services.settlement.reconciliation.adapters.statements import (
    StatementFormat,
    camt053,
    swift,
    tabular,
    workbook,
)

router = APIRouter(prefix="/v1/bank-simulator", tags=["bank simulator"])
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
# The bank's statements are downloaded by whoever reconciles them, and by operations.
StatementReader = Annotated[Principal, Depends(require_roles(Role.RECONCILIATION, Role.PLATFORM_OPS))]
MEDIA = {
    StatementFormat.CAMT053: "application/xml",
    StatementFormat.MT940: "text/plain",
    StatementFormat.CSV: "text/csv",
    StatementFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
AMOUNT_FIELDS = ("amount", "debit_amount", "credit_amount", "balance")


def _simulator(ctx: Context) -> PayoutBankSimulator:
    if not isinstance(ctx.bank, PayoutBankSimulator):
        raise NotFound("the bank is not simulated here", code="not_simulated")
    return ctx.bank


@router.get(
    "/statement",
    response_class=PlainTextResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
async def simulated_statement(
    ctx: Ctx,
    _: StatementReader,
    on: date | None = None,
    format: StatementFormat = StatementFormat.CSV,
    layout: Annotated[str, Query(pattern="^(generic|cn_split|cn_flag|cmb)$")] = "generic",
    batch: Annotated[bool, Query(description="book each payout run as one line")] = False,
) -> Response:
    """The escrow account's statement of a day (default today) as the bank sends it: camt.053,
    MT940, or a bank's export in its layout as CSV or an Excel workbook (xlsx) — ready for
    `POST /v1/reconciliation/statements`."""
    if format not in MEDIA:
        raise RuleViolation(f"the simulator writes {', '.join(MEDIA)}", code="format_not_simulated")
    day = on or ctx.today
    statement = await _simulator(ctx).statement(day, batch=batch)
    if format is StatementFormat.CAMT053:
        content = camt053.write(statement, message_id=f"SIM{day:%Y%m%d}", created=ctx.clock.now())
    elif format is StatementFormat.MT940:
        content = swift.write(statement, reference=f"SIM{day:%Y%m%d}", sequence=day.timetuple().tm_yday)
    else:
        chosen = tabular.LAYOUTS[layout]
        if format is StatementFormat.XLSX:
            amounts = {chosen.columns[f][0] for f in AMOUNT_FIELDS if f in chosen.columns}
            rows = tabular.export_rows(statement, chosen)
            return Response(workbook.write(rows, amounts), media_type=MEDIA[format])
        content = tabular.write(statement, chosen)
    return PlainTextResponse(content, media_type=MEDIA[format])


class ReceiptIn(RequestBody):
    amount_minor: int = Field(strict=True, gt=0, le=10**13)
    payer_account: str = Field(min_length=4, max_length=34, pattern=r"^[0-9A-Za-z]+$")
    payer_name: str = Field(default="", max_length=140)
    remittance: str = Field(default="", max_length=140)


@router.post("/receipts", status_code=201)
async def receive(ctx: Ctx, _: Ops, body: ReceiptIn) -> dict[str, str]:
    """Someone pays money into the escrow account (it shows on today's statement)."""
    reference = await _simulator(ctx).receive(
        amount_minor=body.amount_minor,
        payer_account=body.payer_account,
        payer_name=body.payer_name,
        remittance=body.remittance,
    )
    return {"bank_reference": reference}


class RebookIn(RequestBody):
    on: date


@router.post("/bookings/{bank_reference}/rebook")
async def rebook(
    ctx: Ctx, _: Ops, bank_reference: Annotated[str, Path(min_length=3, max_length=40)], body: RebookIn
) -> dict[str, str]:
    """Book an entry on another day, as a bank does when it books a payment late."""
    if not await _simulator(ctx).rebook(bank_reference, body.on):
        raise NotFound(f"the bank booked nothing as {bank_reference}", code="booking_not_found")
    return {"bank_reference": bank_reference, "booked_on": body.on.isoformat()}

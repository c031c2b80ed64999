"""Invoices: a supplier submits one (the 数电票 XML as issued, or its fields as JSON) and sees
its invoices and what each unlocked; finance lists what to resolve and accepts a variance or
rejects an invoice; a requester sees each order's invoice state."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from plumbing.errors import NotFound, RuleViolation
from plumbing.web.request_bodies import Reason, RequestBody
from plumbing.web.uploads import read_capped
from services.invoices.adapters import queries
from services.invoices.adapters.formats import einvoice_xml
from services.invoices.adapters.formats.errors import MAX_BYTES, InvoiceTooLarge
from services.invoices.adapters.formats.invoice_json import InvoiceIn
from services.invoices.api.deps import (
    Ctx,
    FinanceRole,
    InvoiceIdPath,
    OrderIdPath,
    OrderReader,
    Reader,
    Submitter,
    SupplierIdPath,
    SupplierRole,
    TenantIdPath,
    own_supplier,
    whole_university,
)
from services.invoices.api.schemas import InvoiceOut, OrderInvoicesOut, RedLetterOut
from services.invoices.commands import invoices, red_letters
from services.invoices.domain.invoice import Invoice
from services.invoices.domain.matching import Allocation

router = APIRouter(tags=["invoices"])


class BilledLineIn(RequestBody):
    order_id: Annotated[str, Field(min_length=1, max_length=200)]
    line_no: Annotated[int, Field(strict=True, ge=1, le=500)]


class InvoiceSubmissionIn(RequestBody):
    invoice: InvoiceIn
    # what each invoice line bills, in the invoice's order; none for a red-letter invoice
    bills: Annotated[list[BilledLineIn], Field(max_length=2000)] = Field(default_factory=list)


class ResolutionIn(RequestBody):
    reason: Reason


def _too_large() -> InvoiceTooLarge:
    return InvoiceTooLarge(f"an invoice file is at most {MAX_BYTES} bytes")


def _bills(order_lines: str | None) -> list[Allocation]:
    """`O-1:1,O-1:2`: invoice line 1 bills line 1 of O-1, line 2 its line 2."""
    out = []
    for n, ref in enumerate(filter(None, (order_lines or "").split(",")), start=1):
        order_id, _, line_no = ref.strip().rpartition(":")
        if not order_id or not line_no.isdigit() or not 1 <= int(line_no) <= 500:
            raise RuleViolation(f"{ref!r} is not order_id:line_no", code="invalid_order_lines")
        out.append(Allocation(n, order_id, int(line_no)))
    return out


@router.post(
    "/v1/suppliers/{supplier_id}/invoices",
    response_model=InvoiceOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": InvoiceSubmissionIn.model_json_schema()},
                "application/xml": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def submit(
    supplier_id: SupplierIdPath,
    request: Request,
    ctx: Ctx,
    supplier: Submitter,
    content_type: Annotated[str, Header()] = "application/json",
    order_lines: Annotated[
        str | None,
        Query(max_length=20_000, description="XML only: what each invoice line bills, `O-1:1,O-1:2`"),
    ] = None,
) -> InvoiceOut:
    """Submit an invoice: the tax authority's 数电票 XML (`application/xml`, with `order_lines`)
    or the same fields as JSON (`{"invoice": …, "bills": [{order_id, line_no}, …]}`). It is
    verified with the tax service and matched against the orders and what was received:
    `matched` (what it covers may be paid out) or `held` with reasons. A red-letter invoice
    (`offsets` the original) clears the one a refund called for. A number used before on the
    platform is 409 `invoice_already_used`. A procurement platform (`integration`) may submit
    its suppliers' invoices here too."""
    own_supplier(supplier, supplier_id)
    media = content_type.split(";")[0].strip().lower()
    invoice: Invoice
    if media in ("application/xml", "text/xml"):
        invoice = einvoice_xml.read(await read_capped(request, MAX_BYTES, _too_large))
        bills = _bills(order_lines)
    elif media == "application/json":
        try:
            body = InvoiceSubmissionIn.model_validate_json(await read_capped(request, MAX_BYTES, _too_large))
        except ValidationError as exc:  # answered like any request FastAPI itself validates: 422
            raise RequestValidationError(exc.errors(include_url=False)) from None
        invoice = body.invoice.invoice()
        bills = [Allocation(n, b.order_id, b.line_no) for n, b in enumerate(body.bills, start=1)]
    else:
        raise RuleViolation(
            f"an invoice is application/xml or application/json, not {media!r}", code="unsupported_media_type"
        )
    if invoice.red_letter:
        rec = await red_letters.submit(ctx, supplier, supplier_id, invoice)
    else:
        rec = await invoices.submit(ctx, supplier, supplier_id, invoice, bills)
    return InvoiceOut.of(rec)


@router.get("/v1/suppliers/{supplier_id}/invoices", response_model=list[InvoiceOut])
async def supplier_invoices(
    supplier_id: SupplierIdPath,
    ctx: Ctx,
    supplier: SupplierRole,
    status: Annotated[Literal["matched", "held", "rejected", "voided", "red_letter"] | None, Query()] = None,
) -> list[InvoiceOut]:
    """The supplier's invoices, newest number first, with what each covers."""
    own_supplier(supplier, supplier_id)
    async with ctx.pool.acquire() as conn:
        await queries.known_supplier(conn, supplier_id)
        return [
            InvoiceOut.of(r) for r in await queries.invoices(conn, supplier_id=supplier_id, status=status)
        ]


@router.get("/v1/suppliers/{supplier_id}/red-letters", response_model=list[RedLetterOut])
async def supplier_red_letters(
    supplier_id: SupplierIdPath, ctx: Ctx, supplier: SupplierRole
) -> list[RedLetterOut]:
    """The red-letter invoices the supplier owes (and those it sent)."""
    own_supplier(supplier, supplier_id)
    async with ctx.pool.acquire() as conn:
        await queries.known_supplier(conn, supplier_id)
        return [RedLetterOut.of(r) for r in await queries.red_letters(conn, supplier_id=supplier_id)]


@router.get("/v1/universities/{tenant_id}/invoices", response_model=list[InvoiceOut])
async def university_invoices(
    tenant_id: TenantIdPath,
    ctx: Ctx,
    finance: FinanceRole,
    status: Annotated[Literal["matched", "held", "rejected", "voided", "red_letter"] | None, Query()] = None,
) -> list[InvoiceOut]:
    """The university's invoices (`status=held`: those finance is to resolve)."""
    whole_university(finance, tenant_id)
    async with ctx.pool.acquire() as conn:
        return [InvoiceOut.of(r) for r in await queries.invoices(conn, tenant_id=tenant_id, status=status)]


@router.get("/v1/universities/{tenant_id}/red-letters", response_model=list[RedLetterOut])
async def university_red_letters(
    tenant_id: TenantIdPath,
    ctx: Ctx,
    finance: FinanceRole,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> list[RedLetterOut]:
    """Red-letter invoices owed to the university (`open=true`: not received yet), oldest first."""
    whole_university(finance, tenant_id)
    async with ctx.pool.acquire() as conn:
        rows = await queries.red_letters(conn, tenant_id=tenant_id, open_only=open_only)
    return [RedLetterOut.of(r) for r in rows]


@router.get("/v1/invoices/{invoice_id}", response_model=InvoiceOut)
async def invoice(invoice_id: InvoiceIdPath, ctx: Ctx, reader: Reader) -> InvoiceOut:
    """One invoice with its lines, match findings and timeline (its supplier, the university's
    finance, operations; anyone else: 404)."""
    async with ctx.pool.acquire() as conn:
        rec = await invoices.visible(conn, reader, invoice_id)
        return InvoiceOut.of(rec, await queries.steps(conn, invoice_id))


@router.post("/v1/invoices/{invoice_id}/accept", response_model=InvoiceOut)
async def accept(invoice_id: InvoiceIdPath, body: ResolutionIn, ctx: Ctx, finance: FinanceRole) -> InvoiceOut:
    """Accept a held invoice's price or quantity variance, within the university's authority
    (403 `beyond_variance_authority`) and never on orders you requested (403
    `requester_may_not_accept`); the invoice then covers the ordered price."""
    return InvoiceOut.of(await invoices.resolve(ctx, finance, invoice_id, accept=True, reason=body.reason))


@router.post("/v1/invoices/{invoice_id}/reject", response_model=InvoiceOut)
async def reject(invoice_id: InvoiceIdPath, body: ResolutionIn, ctx: Ctx, finance: FinanceRole) -> InvoiceOut:
    """Reject a held invoice back to its supplier, with the reason it is shown."""
    return InvoiceOut.of(await invoices.resolve(ctx, finance, invoice_id, accept=False, reason=body.reason))


@router.get("/v1/orders/{order_id}/invoices", response_model=OrderInvoicesOut)
async def order_invoices(order_id: OrderIdPath, ctx: Ctx, reader: OrderReader) -> OrderInvoicesOut:
    """An order's invoice state: its invoices and the red-letter invoices its refunds call for
    (its requester and the grant's lab, the university's finance, its supplier, operations)."""
    async with ctx.pool.acquire() as conn:
        found = await queries.order_invoices(conn, reader, order_id)
    if found is None:
        raise NotFound(f"no order {order_id!r}", code="order_not_found")
    return found

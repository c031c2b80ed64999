"""Licence documents, uploaded as the raw file body with its content type."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from plumbing.web.uploads import read_capped
from services.suppliers.adapters import repository as repo
from services.suppliers.api.deps import Ctx, SelfOrOps, SupplierIdPath, SupplierSelf
from services.suppliers.api.schemas import DocumentOut
from services.suppliers.commands import suppliers as commands
from services.suppliers.domain.documents import MAX_DOCUMENT_BYTES, DocumentKind
from services.suppliers.domain.errors import DocumentTooLarge

router = APIRouter(prefix="/v1/suppliers/{supplier_id}/documents", tags=["documents"])


def _too_large() -> DocumentTooLarge:
    return DocumentTooLarge(f"documents are limited to {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")


@router.put(
    "/{kind}",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("application/pdf", "image/png", "image/jpeg")
            },
        }
    },
)
async def upload(
    supplier_id: SupplierIdPath,
    kind: DocumentKind,
    request: Request,
    response: Response,
    ctx: Ctx,
    _: SupplierSelf,
    content_type: Annotated[str, Header()],
    valid_until: Annotated[
        date | None, Query(description="expiry date; required for hazardous_licence")
    ] = None,
    licence_number: Annotated[str | None, Query(max_length=100)] = None,
) -> DocumentOut:
    """Upload a licence as the file itself (PDF, PNG or JPEG, checked by content, at most 10 MiB).
    The same file again is accepted with 200 and changes nothing."""
    content = await read_capped(request, MAX_DOCUMENT_BYTES, _too_large)
    doc, created = await commands.upload_document(
        ctx, supplier_id, kind, content_type, content, valid_until, licence_number
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return DocumentOut(
        kind=doc.kind.value,
        sha256=doc.sha256,
        content_type=doc.content_type,
        size_bytes=doc.size,
        valid_until=doc.valid_until,
        licence_number=doc.licence_number,
    )


@router.get("", response_model=list[DocumentOut])
async def list_documents(supplier_id: SupplierIdPath, ctx: Ctx, _: SelfOrOps) -> list[DocumentOut]:
    async with ctx.pool.acquire() as conn:
        await repo.existing(conn, supplier_id)
        rows = await repo.documents(conn, supplier_id)
    return [DocumentOut(**{k: r[k] for k in DocumentOut.model_fields}) for r in rows]

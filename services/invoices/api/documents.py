"""An invoice's PDF or OFD: attached by its supplier, read by whoever may see the invoice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from plumbing.web.uploads import read_capped
from services.invoices.api.deps import Ctx, InvoiceIdPath, Reader, SupplierRole
from services.invoices.commands import documents

router = APIRouter(prefix="/v1/invoices/{invoice_id}/document", tags=["invoices"])


def _too_large() -> documents.DocumentTooLarge:
    return documents.DocumentTooLarge(f"an invoice's document is at most {documents.MAX_BYTES} bytes")


@router.put(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(documents.ACCEPTED)
            },
        }
    },
)
async def attach(
    invoice_id: InvoiceIdPath,
    request: Request,
    response: Response,
    ctx: Ctx,
    supplier: SupplierRole,
    content_type: Annotated[str, Header()],
) -> dict[str, str]:
    """Attach the invoice's PDF or OFD as issued (checked by its bytes, at most 10 MiB); the same
    file again is 200 and changes nothing."""
    if not await documents.attach(
        ctx, supplier, invoice_id, content_type, await read_capped(request, documents.MAX_BYTES, _too_large)
    ):
        response.status_code = status.HTTP_200_OK
    return {"invoice_id": invoice_id}


@router.get("", response_class=Response)
async def read(invoice_id: InvoiceIdPath, ctx: Ctx, reader: Reader) -> Response:
    row = await documents.document(ctx, reader, invoice_id)
    extension = "pdf" if row["content_type"] == "application/pdf" else "ofd"
    return Response(
        bytes(row["content"]),
        media_type=row["content_type"],
        headers={
            "Content-Disposition": f'attachment; filename="{invoice_id}.{extension}"',
            "ETag": f'"{row["sha256"]}"',
        },
    )

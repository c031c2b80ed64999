"""The invoice's printable form (版式文件), the PDF or OFD the tax system issued it as: attached
by its supplier, checked by its bytes, audited; the same file again changes nothing."""

from __future__ import annotations

import hashlib

import asyncpg

from plumbing import documents
from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import AppError, NotFound, RuleViolation
from plumbing.web.auth import Principal
from services.invoices.commands.invoices import visible
from services.invoices.context import Context

MAX_BYTES = 10 * 1024 * 1024
ACCEPTED = frozenset({documents.PDF, documents.OFD})


class DocumentTooLarge(AppError):
    status_code = 413
    code = "document_too_large"


class DocumentRejected(RuleViolation):
    code = "unsupported_document"


def checked(declared: str, content: bytes) -> str:
    """The document's type, when its bytes are a PDF or an OFD and say what it declares."""
    if len(content) > MAX_BYTES:
        raise DocumentTooLarge(f"an invoice's document is at most {MAX_BYTES // (1024 * 1024)} MiB")
    actual = documents.sniff(content)
    if actual not in ACCEPTED:
        raise DocumentRejected("an invoice's document is its PDF or OFD file")
    if declared.split(";")[0].strip().lower() != actual:
        raise DocumentRejected(f"the file is {actual}, not {declared}", code="content_type_mismatch")
    return actual


async def attach(ctx: Context, by: Principal, invoice_id: str, declared: str, content: bytes) -> bool:
    """Attach the file; whether it changed anything (the same file again does not)."""
    content_type = checked(declared, content)
    digest = hashlib.sha256(content).hexdigest()
    async with ctx.pool.acquire() as conn, conn.transaction():
        rec = await visible(conn, by, invoice_id, for_update=True)
        if by.supplier_id != rec.supplier_id:
            raise NotFound(f"no invoice {invoice_id} of this supplier", code="invoice_not_found")
        before = await conn.fetchval("select sha256 from invoice_documents where invoice_id = $1", invoice_id)
        if before == digest:
            return False
        await conn.execute(
            """insert into invoice_documents (invoice_id, content_type, sha256, size, content, uploaded_at,
                   uploaded_by) values ($1, $2, $3, $4, $5, $6, $7)
               on conflict (invoice_id) do update set content_type = $2, sha256 = $3, size = $4,
                   content = $5, uploaded_at = $6, uploaded_by = $7""",
            invoice_id,
            content_type,
            digest,
            len(content),
            content,
            ctx.clock.now(),
            by.subject,
        )
        await audit.record(
            conn,
            Audited.by(by, "invoice.document_attached"),
            tenant_id=rec.tenant_id,
            subject=f"invoice:{invoice_id}",
            before={"sha256": before},
            after={"sha256": digest, "content_type": content_type, "size": len(content)},
        )
    return True


async def document(ctx: Context, by: Principal, invoice_id: str) -> asyncpg.Record:
    async with ctx.pool.acquire() as conn:
        await visible(conn, by, invoice_id)
        row = await conn.fetchrow(
            "select content_type, sha256, content from invoice_documents where invoice_id = $1", invoice_id
        )
    if row is None:
        raise NotFound(f"invoice {invoice_id} has no document attached", code="document_not_found")
    return row

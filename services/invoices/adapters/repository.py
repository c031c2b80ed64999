"""Invoices in Postgres: each invoice with its allocations, status and timeline, its events to
the outbox in the caller's transaction; and what the service knows of orders, suppliers and each
university's invoicing profile."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import asyncpg

from contracts.envelope import Envelope
from plumbing.messaging.outbox import Outbox
from services.invoices.domain.invoice import Invoice, InvoiceKind, InvoiceLine, Party
from services.invoices.domain.matching import Allocation, OrderedLine
from services.invoices.domain.record import InvoiceRecord, InvoiceStatus

PRODUCER = "invoices"


async def supplier_tax_id(conn: asyncpg.Connection, supplier_id: str) -> str | None:
    tax_id: str | None = await conn.fetchval(
        "select credit_code from suppliers_view where supplier_id = $1", supplier_id
    )
    return tax_id


async def orders(
    conn: asyncpg.Connection, order_ids: list[str], *, for_update: bool = False
) -> list[asyncpg.Record]:
    """The orders, in id order (the lock order of every command that locks several)."""
    return list(
        await conn.fetch(
            "select * from orders_view where order_id = any($1::text[]) order by order_id"
            + (" for update" if for_update else ""),
            order_ids,
        )
    )


async def ordered_lines(
    conn: asyncpg.Connection, rows: list[asyncpg.Record], but: str | None
) -> dict[tuple[str, int], OrderedLine]:
    """Each line of the orders: ordered, its unit price, received, and what invoices other than
    `but` (and not rejected or voided) already bill of it."""
    billed: dict[tuple[str, int], Decimal] = {}
    for r in await conn.fetch(
        """select order_id_line.value as a, i.lines from invoices i,
                  jsonb_array_elements(i.allocations) as order_id_line(value)
           where i.order_ids && $1::text[] and i.status in ('matched', 'held') and i.invoice_id <> $2""",
        [r["order_id"] for r in rows],
        but or "",
    ):
        a = json.loads(r["a"])
        line = json.loads(r["lines"])[a["invoice_line"] - 1]
        key = (a["order_id"], a["line_no"])
        billed[key] = billed.get(key, Decimal(0)) + Decimal(line["quantity"])
    out: dict[tuple[str, int], OrderedLine] = {}
    for r in rows:
        received = json.loads(r["received"])
        for line in json.loads(r["lines"]):
            key = (r["order_id"], line["line_no"])
            out[key] = OrderedLine(
                r["order_id"],
                line["line_no"],
                line["quantity"],
                line["unit_price_minor"],
                received.get(str(line["line_no"]), 0),
                billed.get(key, Decimal(0)),
            )
    return out


async def exists(conn: asyncpg.Connection, invoice_id: str) -> bool:
    return bool(await conn.fetchval("select 1 from invoices where invoice_id = $1", invoice_id))


async def get(conn: asyncpg.Connection, invoice_id: str, *, for_update: bool = False) -> InvoiceRecord | None:
    r = await conn.fetchrow(
        "select * from invoices where invoice_id = $1" + (" for update" if for_update else ""), invoice_id
    )
    return record_of(r) if r else None


def record_of(r: asyncpg.Record) -> InvoiceRecord:
    seller, buyer = json.loads(r["seller"]), json.loads(r["buyer"])
    invoice = Invoice(
        kind=InvoiceKind(r["kind"]),
        number=r["invoice_id"],
        issued_on=r["issued_on"],
        seller=Party(seller["name"], seller["tax_id"]),
        buyer=Party(buyer["name"], buyer["tax_id"]),
        lines=tuple(
            InvoiceLine(
                name=x["name"],
                specification=x["specification"],
                unit=x["unit"],
                quantity=Decimal(x["quantity"]),
                unit_price=Decimal(x["unit_price"]),
                amount_fen=x["amount_minor"],
                tax_rate=Decimal(x["tax_rate"]),
                tax_fen=x["tax_minor"],
            )
            for x in json.loads(r["lines"])
        ),
        amount_fen=r["amount_minor"],
        tax_fen=r["tax_minor"],
        total_fen=r["total_minor"],
        offsets=r["offsets"],
        remark=r["remark"],
    )
    return InvoiceRecord(
        invoice=invoice,
        supplier_id=r["supplier_id"],
        tenant_id=r["tenant_id"],
        allocations=tuple(Allocation(**a) for a in json.loads(r["allocations"])),
        status=InvoiceStatus(r["status"]),
        verification=r["verification"],
        reasons=list(r["reasons"]),
        findings=json.loads(r["findings"]),
        covers=json.loads(r["covers"]),
        variance_minor=r["variance_minor"],
        version=r["version"],
    )


def lines_json(invoice: Invoice) -> str:
    return json.dumps(
        [
            {
                "name": x.name,
                "specification": x.specification,
                "unit": x.unit,
                "quantity": str(x.quantity),
                "unit_price": str(x.unit_price),
                "amount_minor": x.amount_fen,
                "tax_rate": str(x.tax_rate),
                "tax_minor": x.tax_fen,
            }
            for x in invoice.lines
        ],
        ensure_ascii=False,
    )


async def save(
    conn: asyncpg.Connection,
    rec: InvoiceRecord,
    outbox: Outbox,
    *,
    new: bool = False,
    submitted: tuple[Any, str] | None = None,
    correlation_id: str | None = None,
) -> None:
    """The invoice's state, its timeline's new steps and its new events (keyed by the invoice)."""
    envelopes = Envelope.numbered(
        rec.events,
        producer=PRODUCER,
        aggregate_id=rec.invoice_id,
        after_version=rec.version,
        tenant_id=rec.tenant_id,
        correlation_id=correlation_id or f"invoice:{rec.invoice_id}",
    )
    rec.version += len(envelopes)
    if new:
        assert submitted is not None
        await _insert(conn, rec, *submitted)
    else:
        await conn.execute(
            """update invoices set status = $2, reasons = $3, findings = $4::jsonb, covers = $5::jsonb,
                   variance_minor = $6, verification = $7, version = $8 where invoice_id = $1""",
            rec.invoice_id,
            rec.status.value,
            rec.reasons,
            json.dumps(rec.findings, ensure_ascii=False),
            json.dumps(rec.covers),
            rec.variance_minor,
            rec.verification,
            rec.version,
        )
    first = await conn.fetchval(
        "select coalesce(max(seq), 0) from invoice_steps where invoice_id = $1", rec.invoice_id
    )
    await conn.executemany(
        """insert into invoice_steps (invoice_id, seq, at, action, actor_id, actor_role, status, reason)
           values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [
            (
                rec.invoice_id,
                first + n,
                s.at,
                s.action,
                s.actor.user_id,
                s.actor.role,
                s.status.value,
                s.reason,
            )
            for n, s in enumerate(rec.steps, start=1)
        ],
    )
    if envelopes:
        await outbox.append(conn, envelopes, key=rec.invoice_id)
    rec.events.clear()
    rec.steps.clear()


async def emit(
    conn: asyncpg.Connection,
    outbox: Outbox,
    payload: Any,
    *,
    aggregate_id: str,
    tenant_id: str,
    version: int = 1,
) -> None:
    """One event of an aggregate that has no table of its own (a profile, a red letter)."""
    envelopes = Envelope.numbered(
        [payload],
        producer=PRODUCER,
        aggregate_id=aggregate_id,
        after_version=version - 1,
        tenant_id=tenant_id,
        correlation_id=f"{aggregate_id}",
    )
    await outbox.append(conn, envelopes, key=aggregate_id)


async def _insert(conn: asyncpg.Connection, rec: InvoiceRecord, submitted_at: Any, submitted_by: str) -> None:
    inv = rec.invoice
    await conn.execute(
        """insert into invoices (invoice_id, supplier_id, tenant_id, kind, issued_on, seller, buyer,
               lines, amount_minor, tax_minor, total_minor, offsets, remark, allocations, order_ids,
               status, reasons, findings, covers, variance_minor, verification, submitted_at,
               submitted_by, version, checked_at)
           values ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13,
                   $14::jsonb, $15, $16, $17, $18::jsonb, $19::jsonb, $20, $21, $22, $23, $24, $22)""",
        rec.invoice_id,
        rec.supplier_id,
        rec.tenant_id,
        inv.kind.value,
        inv.issued_on,
        json.dumps({"name": inv.seller.name, "tax_id": inv.seller.tax_id}, ensure_ascii=False),
        json.dumps({"name": inv.buyer.name, "tax_id": inv.buyer.tax_id}, ensure_ascii=False),
        lines_json(inv),
        inv.amount_fen,
        inv.tax_fen,
        inv.total_fen,
        inv.offsets,
        inv.remark,
        json.dumps([a.__dict__ for a in rec.allocations]),
        rec.order_ids,
        rec.status.value,
        rec.reasons,
        json.dumps(rec.findings, ensure_ascii=False),
        json.dumps(rec.covers),
        rec.variance_minor,
        rec.verification,
        submitted_at,
        submitted_by,
        rec.version,
    )

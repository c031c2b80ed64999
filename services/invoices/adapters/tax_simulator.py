"""The tax authority's invoice service as UniSettle's deployments and tests meet it: it answers
verification (查验) from what it was told was issued, voided (作废) or offset by a red-letter
invoice (红冲), and "not found" for every other number — as the real one does. A red-letter
invoice for an invoice's whole total offsets it; one for part of it leaves it valid."""

from __future__ import annotations

from datetime import date

import asyncpg

from plumbing.errors import Conflict, NotFound, RuleViolation
from services.invoices.domain.invoice import Invoice
from services.invoices.domain.verification import Issued, Status, Verification, compare


class TaxSimulator:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def verify(self, invoice: Invoice) -> Verification:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow("select * from tax_issued where number = $1", invoice.number)
        return compare(invoice, _issued(row) if row else None)

    async def issue(
        self,
        number: str,
        *,
        seller_tax_id: str,
        buyer_tax_id: str,
        issued_on: date,
        total_minor: int,
        offsets: str | None = None,
    ) -> Issued:
        """Record an invoice as issued; a red-letter one (`offsets`, a negative total) offsets its
        original when it takes back the whole of it."""
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("select 1 from tax_issued where number = $1", number):
                raise Conflict(f"invoice {number} was issued already", code="already_issued")
            if offsets is not None:
                original = await conn.fetchrow(
                    "select * from tax_issued where number = $1 for update", offsets
                )
                if original is None:
                    raise NotFound(f"no issued invoice {offsets} to offset", code="invoice_not_found")
                if total_minor >= 0 or -total_minor > original["total_minor"]:
                    raise RuleViolation(
                        "a red-letter invoice's total is negative and no more than its original's",
                        code="invalid_red_letter",
                    )
                if -total_minor == original["total_minor"]:
                    await conn.execute("update tax_issued set status = 'offset' where number = $1", offsets)
            elif total_minor <= 0:
                raise RuleViolation("an invoice's total is positive", code="invalid_invoice")
            await conn.execute(
                """insert into tax_issued (number, seller_tax_id, buyer_tax_id, issued_on, total_minor,
                       status, offsets) values ($1, $2, $3, $4, $5, 'valid', $6)""",
                number,
                seller_tax_id,
                buyer_tax_id,
                issued_on,
                total_minor,
                offsets,
            )
            row = await conn.fetchrow("select * from tax_issued where number = $1", number)
        return _issued(row)

    async def void(self, number: str) -> Issued:
        """The seller voids an invoice (作废)."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "update tax_issued set status = 'voided' where number = $1 returning *", number
            )
        if row is None:
            raise NotFound(f"no issued invoice {number}", code="invoice_not_found")
        return _issued(row)


def _issued(row: asyncpg.Record) -> Issued:
    return Issued(
        number=row["number"],
        seller_tax_id=row["seller_tax_id"],
        buyer_tax_id=row["buyer_tax_id"],
        issued_on=row["issued_on"],
        total_fen=row["total_minor"],
        status=Status(row["status"]),
    )

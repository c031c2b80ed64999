"""Migration 003 keys grants by university: a ledger written before it (grant accounts named
`grant:<grant>:<category>`) comes out with every balance, transfer and figure where it was, under
the new names, and transfers are immutable again afterwards."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from plumbing.db.pool import migrate_service
from services.settlement.checks.invariants import run_checks

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "settlement" / "migrations"


async def test_grant_accounts_are_renamed_with_their_university(fresh_db: str, tmp_path: Path) -> None:
    before_003 = tmp_path / "migrations"
    before_003.mkdir()
    for path in sorted(MIGRATIONS.glob("00[12]_*.sql")):
        shutil.copy(path, before_003)
    await migrate_service(fresh_db, "settlement", before_003)

    budget, escrow = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.execute(
            """insert into grants (grant_id, tenant_id, code, title, pi_id, authorised_buyers, period_start,
                   period_end, approval_threshold_minor, version)
               values ('G-1', 'tsinghua', 'NSFC-1', 'Catalysis', 'prof-wang', '{alice}', '2026-01-01',
                   '2026-12-31', 0, 1);
               insert into grant_figures (grant_id, category, budget, encumbered)
                   values ('G-1', 'reagents', 1000, 300);
               insert into grant_monthly (grant_id, category, month, expended)
                   values ('G-1', 'reagents', '2026-04-01', 0);
               insert into accounts (account_id, kind, tenant_id, debits_posted)
                   values ('funding:tsinghua', 'funding', 'tsinghua', 1000);
               insert into accounts (account_id, kind, owner_id, tenant_id, category,
                   debits_must_not_exceed_credits, debits_pending, credits_posted)
                   values ('grant:G-1:reagents', 'grant', 'G-1', 'tsinghua', 'reagents', true, 300, 1000);
               insert into accounts (account_id, kind, owner_id, debits_must_not_exceed_credits,
                   credits_pending)
                   values ('supplier:SUP-1:payable', 'supplier_payable', 'SUP-1', true, 300);"""
        )
        await conn.executemany(
            """insert into transfers
                   (transfer_id, debit_account, credit_account, amount, kind, code, order_id)
               values ($1, $2, $3, $4, $5, $6, $7)""",
            [
                (budget, "funding:tsinghua", "grant:G-1:reagents", 1000, "posted", "budget", None),
                (escrow, "grant:G-1:reagents", "supplier:SUP-1:payable", 300, "pending", "escrow", "O-1"),
            ],
        )
        await conn.execute(
            "insert into pending_transfers (transfer_id, state) values ($1, 'pending')", escrow
        )
        await conn.execute(
            """insert into escrows (order_id, grant_id, tenant_id, supplier_id, amount, by_category, held,
                   status, version)
               values ('O-1', 'G-1', 'tsinghua', 'SUP-1', 300, '{"reagents": 300}', '{"reagents": 300}',
                   'held', 1)"""
        )
    finally:
        await conn.close()

    applied = await migrate_service(fresh_db, "settlement", MIGRATIONS)
    assert applied[0] == "settlement/003_grants_per_university.sql"

    conn = await asyncpg.connect(fresh_db)
    try:
        grant_accounts = await conn.fetch(
            "select account_id, debits_pending, credits_posted from accounts where kind = 'grant'"
        )
        assert [tuple(r) for r in grant_accounts] == [("grant:tsinghua:G-1:reagents", 300, 1000)]
        moved = await conn.fetch(
            "select transfer_id, debit_account, credit_account, amount from transfers order by seq"
        )
        assert [tuple(r) for r in moved] == [
            (budget, "funding:tsinghua", "grant:tsinghua:G-1:reagents", 1000),
            (escrow, "grant:tsinghua:G-1:reagents", "supplier:SUP-1:payable", 300),
        ]
        figures = await conn.fetch(
            "select tenant_id, grant_id, category, budget, encumbered from grant_figures"
        )
        assert [tuple(r) for r in figures] == [("tsinghua", "G-1", "reagents", 1000, 300)]
        assert [r.name for r in await run_checks(conn) if not r.ok] == []
        with pytest.raises(asyncpg.RaiseError, match="transfers are immutable"):
            await conn.execute("update transfers set amount = 1")
    finally:
        await conn.close()

"""`unisettle check`: verify the money invariants of docs/architecture.md over settlement's database.
Prints every check with its result; exits non-zero on any breach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from services.settlement.books.checks.accruals import accruals_match_the_ledger
from services.settlement.invoice_cover.checks.invoices import held_is_there, paid_against_invoices


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def _references(conn: asyncpg.Connection) -> str | None:
    """Every transfer names accounts that exist, a resolution the pending transfer it resolves,
    and every pending record a transfer (the ledger's tables check this here, not row by row)."""
    rows = await conn.fetch(
        """select t.transfer_id from transfers t
           where not exists (select 1 from accounts a where a.account_id = t.debit_account)
              or not exists (select 1 from accounts a where a.account_id = t.credit_account)
              or (t.pending_id is not null
                  and not exists (select 1 from transfers p where p.transfer_id = t.pending_id))
           union all
           select p.transfer_id from pending_transfers p
           where not exists (select 1 from transfers t where t.transfer_id = p.transfer_id)
              or (p.resolved_by is not null
                  and not exists (select 1 from transfers t where t.transfer_id = p.resolved_by))
           limit 5"""
    )
    return f"transfers name what does not exist: {[str(r['transfer_id']) for r in rows]}" if rows else None


async def _balanced(conn: asyncpg.Connection) -> str | None:
    row = await conn.fetchrow(
        """select sum(debits_pending) dp, sum(credits_pending) cp, sum(debits_posted) dpo,
            sum(credits_posted) cpo
           from accounts"""
    )
    if (row["dp"], row["dpo"]) != (row["cp"], row["cpo"]):
        return f"pending {row['dp']} vs {row['cp']}, posted {row['dpo']} vs {row['cpo']}"
    return None


async def _accounts_match_transfers(conn: asyncpg.Connection) -> str | None:
    rows = await conn.fetch(
        """with moves as (
               select debit_account as account, amount as dpo, 0::bigint as cpo, 0::bigint as dp,
               0::bigint as cp
                 from transfers where kind in ('posted', 'post_pending')
               union all select credit_account, 0, amount, 0,
               0 from transfers where kind in ('posted', 'post_pending')
               union all select t.debit_account, 0, 0, t.amount, 0 from transfers t
                 join pending_transfers p using (transfer_id) where p.state = 'pending'
               union all select t.credit_account, 0, 0, 0, t.amount from transfers t
                 join pending_transfers p using (transfer_id) where p.state = 'pending')
           select a.account_id from accounts a left join (
               select account, sum(dpo) dpo, sum(cpo) cpo, sum(dp) dp,
               sum(cp) cp from moves group by account) m
             on m.account = a.account_id
           where (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
              <> (coalesce(m.dpo, 0), coalesce(m.cpo, 0), coalesce(m.dp, 0), coalesce(m.cp, 0))
           limit 5"""
    )
    return f"totals differ from transfers on {[r['account_id'] for r in rows]}" if rows else None


async def _grants_within_budget(conn: asyncpg.Connection) -> str | None:
    over = await conn.fetch(
        """select account_id from accounts where kind = 'grant'
           and debits_pending + debits_posted > credits_posted limit 5"""
    )
    figures = await conn.fetch(
        "select tenant_id, grant_id, category from grant_figures where encumbered + expended > budget limit 5"
    )
    if over or figures:
        return f"over budget: {[r['account_id'] for r in over]} {[tuple(r) for r in figures]}"
    return None


async def _figures_match_ledger(conn: asyncpg.Connection) -> str | None:
    rows = await conn.fetch(
        """select f.tenant_id, f.grant_id, f.category from grant_figures f
           join accounts a on a.account_id = 'grant:' || f.tenant_id || ':' || f.grant_id || ':' || f.category
           where f.encumbered <> a.debits_pending
              or f.expended <> coalesce((select sum(amount) from transfers t
                                         where t.debit_account = a.account_id
                                           and t.code = 'escrow_release'), 0)
                             - coalesce((select sum(amount) from transfers t
                                         where t.credit_account = a.account_id
                                           and t.code in ('refund_supplier_balance', 'refund_advance')), 0)
           limit 5"""
    )
    return f"figures differ from the ledger for {[tuple(r) for r in rows]}" if rows else None


async def _months_add_up(conn: asyncpg.Connection) -> str | None:
    rows = await conn.fetch(
        """select f.tenant_id, f.grant_id, f.category from grant_figures f
           left join (select tenant_id, grant_id, category, sum(expended - refunded) net
                      from grant_monthly group by tenant_id, grant_id, category) m
             using (tenant_id, grant_id, category)
           where f.expended <> coalesce(m.net, 0)
           limit 5"""
    )
    return f"the months do not add up to the category for {[tuple(r) for r in rows]}" if rows else None


async def _escrows_resolved_once(conn: asyncpg.Connection) -> str | None:
    rows = await conn.fetch(
        """select e.order_id, e.status, e.amount, e.released,
                  count(*) filter (where p.state = 'pending') pending,
                  count(t.transfer_id) escrows,
                  coalesce((select sum(r.amount) from transfers r where r.order_id = e.order_id
                            and r.kind = 'post_pending'), 0) posted
           from escrows e
           left join transfers t on t.order_id = e.order_id and t.kind = 'pending'
           left join pending_transfers p on p.transfer_id = t.transfer_id
           group by e.order_id, e.status, e.amount, e.released"""
    )

    def consistent(r: asyncpg.Record) -> bool:
        if r["posted"] > r["amount"]:
            return False
        expected: dict[str, bool] = {
            "held": r["pending"] >= 1 and r["posted"] == r["released"],
            "released": r["pending"] == 0 and r["posted"] > 0,
            "voided": r["pending"] == 0 and r["posted"] == 0 and r["escrows"] > 0,
            "refunded": r["pending"] == 0 and r["posted"] == 0 and r["escrows"] > 0,
            "rejected": r["escrows"] == 0,
        }
        return expected[r["status"]]

    bad = [r["order_id"] for r in rows if not consistent(r)]
    return f"escrow and transfers disagree for {bad[:5]}" if bad else None


async def _paid_equals_settled_plus_refunded(conn: asyncpg.Connection) -> str | None:
    rows = await conn.fetch(
        """select e.order_id from escrows e
           where e.refunded <> coalesce(
                     (select sum(amount) from refund_payments r where r.order_id = e.order_id), 0)
              or e.refunded > e.amount
              or (e.status = 'released' and e.amount <> coalesce(
                    (select sum(amount) from refund_payments r where r.order_id = e.order_id
                       and r.source = 'escrow'), 0)
                  + coalesce((select sum(amount) from transfers t where t.order_id = e.order_id
                                and t.kind = 'post_pending'), 0))
           limit 5"""
    )
    return f"paid <> settled + refunded for {[r['order_id'] for r in rows]}" if rows else None


async def _receivables_covered(conn: asyncpg.Connection) -> str | None:
    owed_by = "coalesce(sum(debits_posted - credits_posted) filter (where kind = 'supplier_receivable'), 0)"
    out = "coalesce(sum(credits_posted - debits_posted) filter (where kind = 'guarantee_advanced'), 0)"
    row = await conn.fetchrow(
        f"""select {owed_by} owed, {out} out,
                   coalesce(sum(credits_posted) filter (where kind = 'guarantee_fund'), 0)
                   - coalesce((select sum(amount) from transfers
                               where code = 'receivable_replenish'), 0) capital
            from accounts"""
    )
    if row["owed"] != row["out"] or row["owed"] > row["capital"]:
        return f"receivables {row['owed']}, advanced {row['out']}, fund capital {row['capital']}"
    return None


async def _suspense_holds_open_lines(conn: asyncpg.Connection) -> str | None:
    """Suspense holds exactly the statement lines still open (money in as credit, money out as
    debit; a return on its way is a pending debit); a matched line's items add up to it."""
    row = await conn.fetchrow(
        """select coalesce((select credits_posted - debits_posted + credits_pending - debits_pending
                            from accounts where account_id = 'platform:suspense'), 0) as held,
                  coalesce((select sum(case direction when 'credit' then amount else -amount end)
                            from bank_statement_lines where state = 'open'), 0) as open_lines"""
    )
    if row["held"] != row["open_lines"]:
        return f"suspense holds {row['held']} fen, the open statement lines {row['open_lines']}"
    wrong = await conn.fetch(
        """select l.line_id from bank_statement_lines l
           join line_matches m on m.line_id = l.line_id and m.status = 'confirmed'
           join bank_items i on i.item_id = m.item_id
           group by l.line_id, l.amount having sum(i.amount) <> l.amount
           union all
           select l.line_id from bank_statement_lines l where l.state = 'matched' and l.payout_id is null
               and not exists (select 1 from line_matches m
                               where m.line_id = l.line_id and m.status = 'confirmed')
           union all
           -- a reversal and the line it undoes: each the other's, one in and one out, equal
           select l.line_id from bank_statement_lines l
               join suspense_resolutions r on r.line_id = l.line_id
               left join bank_statement_lines o on o.line_id = r.target
               left join suspense_resolutions b on b.line_id = o.line_id
           where l.state = 'reversed' and (o.line_id is null or o.state <> 'reversed'
               or b.target is distinct from l.line_id or o.amount <> l.amount or o.direction = l.direction)
           limit 5"""
    )
    return f"matched or reversed lines that do not add up: {[r['line_id'] for r in wrong]}" if wrong else None


async def _financing_adds_up(conn: asyncpg.Connection) -> str | None:
    """The financing fund's capital is what it holds plus what it has out; what suppliers owe it
    for advances is the open early payments' face not yet repaid; what it has out is those
    advances plus the receivables broken ones left; no supplier owes more than its limit."""
    from services.settlement.config import SettlementSettings  # the configured limit

    row = await conn.fetchrow(
        """select coalesce((select sum(amount) from transfers where code = 'financing_capital'), 0) capital,
                  coalesce(sum(credits_posted - debits_posted)
                           filter (where kind = 'financing_fund'), 0) fund,
                  coalesce(sum(credits_posted - debits_posted)
                           filter (where kind = 'financing_advanced'), 0) out,
                  coalesce(sum(debits_posted + debits_pending - credits_posted)
                           filter (where kind = 'supplier_financed'), 0) financed,
                  coalesce(sum(debits_posted - credits_posted)
                           filter (where kind = 'supplier_financing_receivable'), 0) receivable
           from accounts"""
    )
    open_ = await conn.fetchrow(
        """select coalesce(sum(face - repaid), 0) face,
                  coalesce(sum(advance) filter (where repaid = 0), 0) advance
           from early_payments where status in ('paying', 'open')"""
    )
    if row["capital"] != row["fund"] + row["out"]:
        return f"financing capital {row['capital']} != fund {row['fund']} + advanced {row['out']}"
    if row["financed"] != open_["face"]:
        return f"suppliers owe {row['financed']} fen for advances, the open early payments {open_['face']}"
    if row["out"] != open_["advance"] + row["receivable"]:
        return (
            f"the fund has {row['out']} fen out, open advances {open_['advance']}"
            f" + receivables {row['receivable']}"
        )
    limit = SettlementSettings().early_payment_limit_minor
    over = await conn.fetch(
        """select owner_id, sum(debits_posted + debits_pending - credits_posted) owed from accounts
           where kind in ('supplier_financed', 'supplier_financing_receivable')
           group by owner_id having sum(debits_posted + debits_pending - credits_posted) > $1 limit 5""",
        limit,
    )
    if over:
        return f"suppliers over the financing limit of {limit}: {[(r['owner_id'], r['owed']) for r in over]}"
    return None


CHECKS: list[tuple[str, Callable[[asyncpg.Connection], Awaitable[str | None]]]] = [
    ("0. every transfer names accounts and pending transfers that exist", _references),
    ("1. debits equal credits, pending and posted", _balanced),
    ("1. account totals equal the sum of their transfers", _accounts_match_transfers),
    ("2. no grant below zero; encumbered + expended <= budget", _grants_within_budget),
    ("2. execution figures agree with the ledger", _figures_match_ledger),
    ("2. each category's months add up to its expenditure", _months_add_up),
    ("3. each escrow resolved exactly once; posted <= escrowed", _escrows_resolved_once),
    ("4. per order: paid = settled + refunded; refunds <= order amount", _paid_equals_settled_plus_refunded),
    ("6. supplier receivables <= guarantee fund, matched by advances", _receivables_covered),
    ("9. suspense holds the open statement lines; matches add up", _suspense_holds_open_lines),
    (
        "10. financing: capital = fund + advanced = open advances + receivables; limits hold",
        _financing_adds_up,
    ),
    (
        "11. invoices: paid out per order - refunds <= matched invoices net of red letters",
        paid_against_invoices,
    ),
    ("11. invoices: what invoices hold is in the supplier's balance", held_is_there),
    ("13. received-not-invoiced (暂估) agrees with the escrows to the fen", accruals_match_the_ledger),
]


async def run_checks(conn: asyncpg.Connection) -> list[CheckResult]:
    results = []
    for name, check in CHECKS:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            problem = await check(conn)
        results.append(CheckResult(name, problem is None, problem or "ok"))
    return results


async def main(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        results = await run_checks(conn)
    finally:
        await conn.close()
    for r in results:
        print(f"{'PASS' if r.ok else 'FAIL'}  {r.name}: {r.detail}")
    return 0 if all(r.ok for r in results) else 1

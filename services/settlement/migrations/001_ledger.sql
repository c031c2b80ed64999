-- The double-entry ledger, grants, escrows and pre-aggregated funding-execution figures.

create table accounts (
    account_id       text primary key,
    kind             text    not null check (kind in ('funding', 'grant', 'supplier_payable',
                         'supplier_receivable', 'fee_income', 'guarantee_fund', 'guarantee_advanced',
                         'capital', 'bank', 'suspense')),
    owner_id         text,
    tenant_id        text,
    category         text,
    debits_must_not_exceed_credits boolean not null default false,
    debits_pending   bigint  not null default 0 check (debits_pending >= 0),
    debits_posted    bigint  not null default 0 check (debits_posted >= 0),
    credits_pending  bigint  not null default 0 check (credits_pending >= 0),
    credits_posted   bigint  not null default 0 check (credits_posted >= 0),
    -- A grant can never spend more than it was given, pending reservations included. This is the
    -- database's own guard, whatever the code above it does.
    constraint within_limit check (
        not debits_must_not_exceed_credits or debits_pending + debits_posted <= credits_posted
    )
);

-- Transfers are immutable: no update or delete ever touches this table.
create table transfers (
    transfer_id     uuid primary key,
    seq             bigserial   not null unique,  -- the order transfers were recorded in
    debit_account   text        not null references accounts,
    credit_account  text        not null references accounts,
    amount          bigint      not null check (amount >= 0),
    kind            text        not null check (kind in ('posted', 'pending', 'post_pending', 'void_pending')),
    code            text        not null,
    pending_id      uuid references transfers,
    order_id        text,
    created_at      timestamptz not null default now(),
    check (debit_account <> credit_account),
    check ((kind in ('post_pending', 'void_pending')) = (pending_id is not null))
);
create index transfers_by_order on transfers (order_id) where order_id is not null;
create unique index one_resolution_per_pending on transfers (pending_id) where pending_id is not null;

create function transfers_are_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'transfers are immutable';
end $$;
create trigger transfers_immutable before update or delete on transfers
    for each row execute function transfers_are_immutable();

-- The state of each two-phase transfer, resolved exactly once.
create table pending_transfers (
    transfer_id  uuid primary key references transfers,
    state        text not null check (state in ('pending', 'posted', 'voided')),
    resolved_by  uuid references transfers
);

create table grants (
    grant_id                  text primary key,
    tenant_id                 text    not null,
    code                      text    not null,
    title                     text    not null,
    pi_id                     text    not null,
    authorised_buyers         text[]  not null,
    period_start              date    not null,
    period_end                date    not null,
    approval_threshold_minor  bigint  not null check (approval_threshold_minor >= 0),
    targets                   jsonb   not null default '[]'::jsonb,
    open                      boolean not null default true,
    version                   integer not null,
    unique (tenant_id, code),
    check (period_start <= period_end)
);

create table escrows (
    order_id      text primary key,
    grant_id      text        not null,  -- may name an unknown grant (a rejected order)
    tenant_id     text        not null,
    supplier_id   text        not null,
    amount        bigint      not null check (amount >= 0),
    by_category   jsonb       not null,  -- the order amount by budget category
    held          jsonb       not null default '{}'::jsonb,  -- what is still pending, by category
    generation    integer     not null default 0,  -- bumped when a refund re-reserves the remainder
    refunded      bigint      not null default 0 check (refunded >= 0 and refunded <= amount),
    refunded_by_category jsonb not null default '{}'::jsonb,
    status        text        not null check (status in ('held', 'released', 'voided', 'refunded', 'rejected')),
    reason        text,
    fee           bigint      not null default 0,
    resolved_by   uuid,       -- the event that released or voided it: its replay is recognised
    version       integer     not null,
    updated_at    timestamptz not null default now()
);
create index escrows_by_grant on escrows (grant_id);

-- Every agreed refund paid, once, with where the money came from.
create table refund_payments (
    refund_id     text primary key,
    order_id      text        not null references escrows,
    amount        bigint      not null check (amount > 0),
    source        text        not null check (source in ('escrow', 'supplier_balance', 'guarantee_advance')),
    agreed_event  uuid        not null,
    paid_at       timestamptz not null default now()
);
create index refund_payments_by_order on refund_payments (order_id);

-- Funding execution, kept up to date in the same transaction as the money moves, so that a
-- read never scans the ledger.
create table grant_figures (
    grant_id    text   not null references grants,
    category    text   not null,
    budget      bigint not null default 0,
    encumbered  bigint not null default 0,
    expended    bigint not null default 0,
    refunded    bigint not null default 0,
    primary key (grant_id, category),
    check (encumbered >= 0 and expended >= 0 and encumbered + expended <= budget)
);
create table grant_monthly (
    grant_id  text   not null references grants,
    category  text   not null,
    month     date   not null,
    expended  bigint not null default 0,
    primary key (grant_id, category, month)
);

-- Who settlement may pay, from suppliers.events: state and the verified payout account.
create table payees (
    supplier_id       text primary key,
    legal_name        text,
    active            boolean not null default false,
    bank_account_id   text,
    account_masked    text,
    account_verified  boolean not null default false,
    version           integer not null
);

create table payout_runs (
    run_id       text primary key,
    started_by   text        not null,
    started_at   timestamptz not null default now(),
    payouts      integer     not null default 0,
    total        bigint      not null default 0,
    skipped      jsonb       not null default '{}'::jsonb
);

create table payouts (
    payout_id        text primary key,
    run_id           text        not null references payout_runs,
    supplier_id      text        not null,
    amount           bigint      not null check (amount > 0),
    bank_account_id  text        not null,
    status           text        not null check (status in ('pending', 'settled', 'failed')),
    bank_reference   text,
    failure          text,
    created_at       timestamptz not null default now(),
    resolved_at      timestamptz
);
create index payouts_by_supplier on payouts (supplier_id, created_at);
create index payouts_pending on payouts (payout_id) where status = 'pending';

-- The bank simulator's book of payouts (a stand-in for the bank's side).
create table bank_simulator_payouts (
    reference        text primary key,
    bank_account_id  text        not null,
    amount           bigint      not null,
    outcome          text        not null,
    created_at       timestamptz not null default now()
);

-- Imported bank statements and how each line matched the ledger.
create table bank_statements (
    statement_id  text primary key,  -- sha256 of the file: importing it again changes nothing
    imported_by   text        not null,
    imported_at   timestamptz not null default now(),
    lines         integer     not null
);
create table bank_statement_lines (
    statement_id  text        not null references bank_statements,
    line_no       integer     not null,
    on_date       date        not null,
    amount        bigint      not null check (amount > 0),
    direction     text        not null check (direction in ('credit', 'debit')),
    reference     text        not null,
    matched       text        not null check (matched in ('payout', 'suspense')),
    payout_id     text,
    primary key (statement_id, line_no)
);
create unique index statement_matches_payout_once on bank_statement_lines (payout_id) where payout_id is not null;

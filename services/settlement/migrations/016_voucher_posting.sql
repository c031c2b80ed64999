-- Posting vouchers to each university's finance system: what was posted (or refused, and why),
-- and the finance system's simulator's own book (its chart of accounts, closed periods and the
-- vouchers it holds, de-duplicated by voucher id as a real one does).
create table voucher_posts (
    tenant_id   text        not null,
    voucher_id  text        not null,
    period      text        not null,
    status      text        not null check (status in ('posted', 'rejected')),
    reason      text,
    attempts    integer     not null,
    last_at     timestamptz not null,
    primary key (tenant_id, voucher_id)
);
create index voucher_posts_by_period on voucher_posts (tenant_id, period, status);

create table finance_simulator_chart (
    tenant_id  text not null,
    account    text not null,
    primary key (tenant_id, account)
);
create table finance_simulator_closed (
    tenant_id  text not null,
    period     text not null,
    primary key (tenant_id, period)
);
create table finance_simulator_vouchers (
    tenant_id   text        not null,
    voucher_id  text        not null,
    day         date        not null,
    summary     text        not null,
    lines       jsonb       not null,
    posted_at   timestamptz not null,
    primary key (tenant_id, voucher_id)
);

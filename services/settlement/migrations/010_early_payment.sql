-- Early payment (账期融资): a supplier is paid now for orders whose escrow is held (shipped, no
-- open refund) or released and not yet paid out, at a discount priced as an annual rate; the
-- platform's financing fund advances it and is repaid from the escrow release.

-- When each order was shipped and when its receipt confirms itself (orders.OrderShipped).
create table shipments (
    order_id        text primary key,
    supplier_id     text        not null,
    shipped_at      timestamptz not null,
    auto_confirm_at timestamptz not null
);

-- A refund case closed without a refund (refunds.RefundClosed): no longer open.
alter table refund_requests add column closed boolean not null default false;

create table early_payment_quotes (
    quote_id     text primary key,
    supplier_id  text        not null,
    apr_bp       integer     not null check (apr_bp >= 0),
    lines        jsonb       not null,  -- per order: face, days early, discount, advance
    face         bigint      not null check (face > 0),
    discount     bigint      not null check (discount >= 0),
    advance      bigint      not null check (advance > 0),
    created_at   timestamptz not null,
    valid_until  timestamptz not null,
    status       text        not null check (status in ('quoted', 'accepted')),
    accepted_at  timestamptz,
    accepted_by  text
);
create index early_payment_quotes_by_supplier on early_payment_quotes (supplier_id, created_at desc);

-- An order's early payments: one at most that did not fail (the bank refusing the advance
-- leaves the order free to be financed again).
create table early_payments (
    order_id       text        not null,
    quote_id       text        not null references early_payment_quotes,
    supplier_id    text        not null,
    face           bigint      not null check (face > 0),      -- what the release pays the supplier
    discount       bigint      not null check (discount >= 0), -- the financing fund's income
    advance        bigint      not null check (advance > 0),   -- paid to the supplier now
    days           integer     not null check (days >= 1),
    status         text        not null check (status in ('paying', 'open', 'repaid', 'recovering',
                                                          'recovered', 'failed')),
    repaid         bigint      not null default 0 check (repaid >= 0),  -- taken from the release
    bank_reference text,
    failure        text,
    created_at     timestamptz not null,
    resolved_at    timestamptz,
    primary key (order_id, quote_id)
);
create unique index early_payments_once on early_payments (order_id) where status <> 'failed';
create index early_payments_open on early_payments (supplier_id) where status in ('paying', 'open', 'recovering');

-- The financing fund, what it has out, its income, and what each supplier owes it: advances not
-- yet repaid (financed) and what a refunded or cancelled order left owing (financing_receivable).
alter table accounts drop constraint accounts_kind_check, add constraint accounts_kind_check check (kind in (
    'funding', 'grant', 'supplier_payable', 'supplier_receivable', 'fee_income', 'guarantee_fund',
    'guarantee_advanced', 'capital', 'bank', 'suspense', 'reconciliation_differences',
    'financing_fund', 'financing_advanced', 'financing_income', 'supplier_financed',
    'supplier_financing_receivable'));

-- An early payment's advance leaves through the payout path: a payout of kind 'early' (the
-- bank pays it, statements show it, reconciliation matches it), resolved by its own command.
alter table payouts add column kind text not null default 'run' check (kind in ('run', 'early'));

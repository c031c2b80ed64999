-- Invoices, their three-way match and timeline; the red-letter invoices refunds call for; what
-- invoices knows of orders (orders.events), suppliers (suppliers.events) and each university's
-- invoicing profile; and the tax service's simulator (what it was told was issued).

create table orders_view (
    order_id     text primary key,
    tenant_id    text    not null,
    grant_id     text    not null,
    supplier_id  text    not null,
    buyer_id     text    not null,
    lines        jsonb   not null,  -- [{line_no, name, unit, quantity, unit_price_minor}]
    received     jsonb   not null default '{}',  -- line_no → quantity finally received
    receipts     integer[] not null default '{}',
    ended        boolean not null default false   -- cancelled or closed: nothing to invoice
);
create index orders_view_by_supplier on orders_view (supplier_id, order_id);

create table suppliers_view (
    supplier_id  text primary key,
    legal_name   text not null,
    credit_code  text not null
);

create table invoicing_profiles (
    tenant_id                text primary key,
    buyer_name               text    not null,
    buyer_tax_id             text    not null,
    tolerance_bp             integer not null check (tolerance_bp between 0 and 10000),
    tolerance_minor          bigint  not null check (tolerance_minor >= 0),
    variance_authority_minor bigint  not null check (variance_authority_minor >= 0),
    red_letter_hold_days     integer check (red_letter_hold_days between 0 and 365),
    payouts_need_invoices    boolean not null,
    updated_at               timestamptz not null,
    updated_by               text    not null,
    version                  integer not null default 1
);

create table invoices (
    invoice_id     text primary key,  -- its number: one use across the platform
    supplier_id    text    not null,
    tenant_id      text    not null,
    kind           text    not null,
    issued_on      date    not null,
    seller         jsonb   not null,
    buyer          jsonb   not null,
    lines          jsonb   not null,
    amount_minor   bigint  not null,
    tax_minor      bigint  not null,
    total_minor    bigint  not null,
    offsets        text,
    remark         text    not null default '',
    allocations    jsonb   not null,  -- [{invoice_line, order_id, line_no}]
    order_ids      text[]  not null,
    status         text    not null check (status in ('matched', 'held', 'rejected', 'voided', 'red_letter')),
    reasons        text[]  not null default '{}',
    findings       jsonb   not null default '[]',
    covers         jsonb   not null default '{}',  -- order id → fen covered
    variance_minor bigint  not null default 0,
    verification   text    not null,
    submitted_at   timestamptz not null,
    submitted_by   text    not null,
    checked_at     timestamptz,  -- when the tax service was last asked again
    version        integer not null
);
create index invoices_by_tenant on invoices (tenant_id, status, invoice_id);
create index invoices_by_supplier on invoices (supplier_id, invoice_id);
create index invoices_by_order on invoices using gin (order_ids);

create table invoice_steps (
    invoice_id  text        not null references invoices,
    seq         integer     not null,
    at          timestamptz not null,
    action      text        not null,
    actor_id    text        not null,
    actor_role  text        not null,
    status      text        not null,
    reason      text,
    primary key (invoice_id, seq)
);

create table red_letters (
    refund_id     text primary key,
    order_id      text        not null,
    supplier_id   text        not null,
    tenant_id     text        not null,
    invoice_id    text        not null references invoices,
    amount_minor  bigint      not null check (amount_minor > 0),
    owed_since    timestamptz not null,
    red_letter_id text references invoices,
    received_at   timestamptz
);
create index red_letters_open on red_letters (tenant_id, owed_since) where red_letter_id is null;

-- The tax service's simulator: every invoice it was told was issued, and what became of it.
create table tax_issued (
    number        text primary key,
    seller_tax_id text   not null,
    buyer_tax_id  text   not null,
    issued_on     date   not null,
    total_minor   bigint not null,
    status        text   not null check (status in ('valid', 'voided', 'offset')),
    offsets       text
);

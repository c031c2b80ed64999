-- Payouts against matched invoices (invoices.events): which universities pay suppliers only what
-- matched invoices cover, what each invoice covers of each order (red-letter invoices negative),
-- which orders wait on a held or voided invoice, the red-letter invoices owed, and what each
-- payout paid of each order.

create table invoicing_universities (
    tenant_id             text primary key,
    payouts_need_invoices boolean not null,
    red_letter_hold_days  integer
);

create table invoice_covers (
    invoice_id   text    not null,
    order_id     text    not null,
    supplier_id  text    not null,
    amount       bigint  not null,  -- fen with tax; a red-letter invoice's is negative
    withdrawn    boolean not null default false,  -- the invoice was voided or offset since
    primary key (invoice_id, order_id)
);
create index invoice_covers_by_supplier on invoice_covers (supplier_id, order_id);

-- Why an order's released money is held, when an invoice says so (none: no invoice yet).
create table invoice_holds (
    order_id     text not null,
    invoice_id   text not null,
    supplier_id  text not null,
    reason       text not null check (reason in ('invoice_variance', 'invoice_voided', 'invoice_rejected')),
    primary key (order_id, invoice_id)
);

create table red_letters_owed (
    refund_id    text primary key,
    supplier_id  text        not null,
    tenant_id    text        not null,
    order_id     text        not null,
    amount       bigint      not null,
    owed_since   timestamptz not null,
    received     boolean     not null default false
);
create index red_letters_owed_open on red_letters_owed (supplier_id) where not received;

create table payout_allocations (
    payout_id  text   not null,
    order_id   text   not null,
    amount     bigint not null check (amount > 0),
    primary key (payout_id, order_id)
);
create index payout_allocations_by_order on payout_allocations (order_id);

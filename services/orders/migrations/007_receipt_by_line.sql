-- Receipt by line: each order keeps its receipts (who, when, how much of each line, whether
-- still within its undo window); each university its receipt rules.
alter table orders add column receipts jsonb not null default '[]'::jsonb;

create table receipt_policies (
    tenant_id             text primary key,
    receiver_must_differ  boolean     not null default false,
    undo_window_seconds   integer     not null default 0 check (undo_window_seconds between 0 and 604800),
    set_by                text        not null,
    set_at                timestamptz not null default now()
);

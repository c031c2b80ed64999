-- Refund cases, their timeline, and what refunds knows of orders (from orders.events).

create table orders_view (
    order_id      text primary key,
    tenant_id     text        not null,
    grant_id      text        not null,
    buyer_id      text        not null,
    supplier_id   text        not null,
    total_minor   bigint      not null,
    status        text        not null,
    completed_at  timestamptz,
    version       integer     not null
);

create table refund_cases (
    refund_id     text primary key,
    order_id      text        not null references orders_view,
    tenant_id     text        not null,
    grant_id      text        not null,
    supplier_id   text        not null,
    buyer         jsonb       not null,
    amount_minor  bigint      not null check (amount_minor > 0),
    reason_code   text        not null,
    reason        text        not null,
    goods_return  boolean     not null,
    status        text        not null,
    opened_at     timestamptz not null,
    deadline      timestamptz,
    agreed_at     timestamptz,
    pay_by        timestamptz,
    settled_at    timestamptz,
    source        text,
    version       integer     not null
);
-- One open case per order, whatever races the API.
create unique index one_open_case_per_order on refund_cases (order_id)
    where status not in ('COMPLETED', 'CLOSED');
create index refund_cases_due on refund_cases (deadline) where deadline is not null;
create index refund_cases_by_supplier on refund_cases (supplier_id, refund_id);

create table refund_steps (
    refund_id   text        not null references refund_cases,
    seq         integer     not null,
    at          timestamptz not null,
    action      text        not null,
    actor_id    text        not null,
    actor_role  text        not null,
    to_status   text        not null,
    reason      text,
    primary key (refund_id, seq)
);

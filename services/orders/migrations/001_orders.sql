-- Orders: the orders themselves, their timeline and deadlines, checkout idempotency, and the
-- projections of other services' events that checkout reads (catalog, grants).

create table orders (
    order_id            text primary key,
    checkout_id         text        not null,
    tenant_id           text        not null,
    grant_id            text        not null,
    pi_id               text        not null,
    buyer               jsonb       not null,
    supplier_id         text        not null,
    lines               jsonb       not null,
    total_minor         bigint      not null check (total_minor >= 0),
    currency            text        not null,
    status              text        not null,
    funds               text        not null,
    approvals_required  text[]      not null,
    approvals_given     jsonb       not null default '{}'::jsonb,
    carrier             text,
    tracking_number     text,
    refund_open         boolean     not null default false,
    refunded_minor      bigint      not null default 0 check (refunded_minor >= 0 and refunded_minor <= total_minor),
    external_ref        text,
    placed_at           timestamptz not null,
    updated_at          timestamptz not null default now(),
    version             integer     not null
);
create index orders_by_tenant on orders (tenant_id, order_id);
create index orders_by_supplier on orders (supplier_id, order_id);
create index orders_by_grant on orders (grant_id, order_id);
create index orders_by_checkout on orders (checkout_id);

create table order_timeline (
    order_id     text        not null references orders,
    seq          integer     not null,
    at           timestamptz not null,
    action       text        not null,
    actor_id     text        not null,
    actor_role   text        not null,
    from_status  text,
    to_status    text        not null,
    reason       text,
    primary key (order_id, seq)
);

-- Deadlines. A paused timer has no due time, only the time that was left.
create table order_timers (
    order_id    text        not null references orders,
    kind        text        not null,
    due_at      timestamptz,
    remaining   interval,
    primary key (order_id, kind),
    check ((due_at is null) <> (remaining is null))
);
create index order_timers_due on order_timers (due_at) where due_at is not null;

-- Idempotent checkout: the same key and body give the same answer.
create table checkouts (
    tenant_id        text        not null,
    buyer_id         text        not null,
    idempotency_key  text        not null,
    request_hash     text        not null,
    checkout_id      text        not null unique,
    response         jsonb       not null,
    created_at       timestamptz not null default now(),
    primary key (tenant_id, buyer_id, idempotency_key)
);

-- Platform commands, idempotent per platform and external reference.
create table platform_commands (
    platform_id   text        not null,
    external_ref  text        not null,
    kind          text        not null,
    request_hash  text        not null,
    checkout_id   text,
    received_at   timestamptz not null default now(),
    primary key (platform_id, external_ref, kind)
);

-- Projection of suppliers.events: who sells what, at which price version.
create table catalog_suppliers (
    supplier_id              text primary key,
    state                    text    not null,
    hazardous_licence_until  date,
    version                  integer not null
);
create table catalog_listings (
    listing_id   text primary key,
    supplier_id  text    not null,
    sku          text    not null,
    active       boolean not null,
    version      integer not null,
    name         text    not null,
    unit         text    not null,
    price_minor  bigint  not null,
    category     text    not null,
    hazardous    boolean not null,
    cas_number   text,
    unique (supplier_id, sku)
);

-- Projection of settlement's grant events: thresholds and approvers.
create table grants (
    grant_id                  text primary key,
    tenant_id                 text    not null,
    pi_id                     text    not null,
    authorised_buyers         text[]  not null,
    approval_threshold_minor  bigint  not null,
    open                      boolean not null,
    version                   integer not null
);

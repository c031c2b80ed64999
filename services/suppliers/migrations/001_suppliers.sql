-- Suppliers: onboarding state, documents and licences, bank accounts, catalog listings.

create table suppliers (
    supplier_id                 text primary key,
    legal_name                  text        not null,
    credit_code                 text        not null unique,
    contact                     jsonb       not null,
    categories                  text[]      not null,
    state                       text        not null,
    state_reason                text,
    has_business_licence        boolean     not null default false,
    hazardous_licence_until     date,
    hazardous_licence_expired   boolean     not null default false,
    version                     integer     not null,  -- last aggregate_version emitted
    registered_at               timestamptz not null default now(),
    updated_at                  timestamptz not null default now()
);
create index suppliers_state on suppliers (state, supplier_id);
-- The licence-expiry job looks only at licences that can still expire.
create index suppliers_hazardous_expiry on suppliers (hazardous_licence_until)
    where hazardous_licence_until is not null and not hazardous_licence_expired;

create table supplier_documents (
    supplier_id     text        not null references suppliers,
    kind            text        not null check (kind in ('business_licence', 'hazardous_licence')),
    sha256          text        not null,
    content_type    text        not null,
    size_bytes      integer     not null,
    content         bytea       not null,
    valid_until     date,
    licence_number  text,
    uploaded_at     timestamptz not null default now(),
    primary key (supplier_id, kind, sha256)
);

create table bank_accounts (
    account_id       text        primary key,
    supplier_id      text        not null references suppliers,
    bank_name        text        not null,
    account_number   text        not null,
    holder_name      text        not null,
    status           text        not null check (status in ('pending', 'verified', 'locked', 'replaced')),
    deposit_minor    integer     not null check (deposit_minor between 1 and 99),
    deposit_sent_at  timestamptz not null,
    wrong_answers    integer     not null default 0,
    verified_at      timestamptz,
    created_at       timestamptz not null default now()
);
-- At most one current account per supplier; replaced ones are kept for the audit trail.
create unique index bank_accounts_current on bank_accounts (supplier_id) where status <> 'replaced';

create table listings (
    listing_id        text primary key,
    supplier_id       text    not null references suppliers,
    sku               text    not null,
    status            text    not null check (status in ('active', 'withdrawn')),
    version           integer not null,
    withdrawn_reason  text,
    unique (supplier_id, sku)
);
create index listings_active on listings (listing_id) where status = 'active';

-- Every price/details version is kept: an order refers to the version it was placed at.
create table listing_versions (
    listing_id    text        not null references listings,
    version       integer     not null,
    name          text        not null,
    unit          text        not null,
    price_minor   bigint      not null check (price_minor > 0),
    category      text        not null,
    hazard_class  text,
    cas_number    text,
    hazardous     boolean     not null,
    created_at    timestamptz not null default now(),
    primary key (listing_id, version)
);

-- The bank simulator's own book (a stand-in for the bank's side of the micro-deposits).
create table bank_simulator_transfers (
    reference       text        primary key,
    account_number  text        not null,
    holder_name     text        not null,
    amount_minor    integer     not null,
    created_at      timestamptz not null default now()
);
create index bank_simulator_by_account on bank_simulator_transfers (account_number, created_at);

-- Sign-in links and sessions of the console. Only digests of the secrets are kept: a copy of
-- the table lets no one in.
create table sign_in_links (
    digest       text        primary key,
    subject      text        not null,
    role         text        not null,
    tenant_id    text        not null,
    supplier_id  text,
    org_unit_id  text,
    created_by   text        not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    used_at      timestamptz
);

create table sessions (
    digest       text        primary key,
    subject      text        not null,
    role         text        not null,
    tenant_id    text        not null,
    supplier_id  text,
    org_unit_id  text,
    csrf         text        not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    ended_at     timestamptz
);

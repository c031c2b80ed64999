-- A university's organisation tree (contracts.events.organisation): units with their parent
-- history and approval rules, and each grant's unit history. Periods are JSON lists as the
-- events carry them; a university's tree is read whole (plumbing.org_tree).
create table org_units (
    tenant_id    text    not null,
    unit_id      text    not null,
    code         text    not null,
    name         text    not null,
    kind         text    not null check (kind in ('school', 'department', 'lab')),
    active_from  date    not null,
    closed_from  date,
    parents      jsonb   not null,
    rules        jsonb   not null default '[]'::jsonb,
    version      integer not null,
    primary key (tenant_id, unit_id),
    unique (tenant_id, code)
);

create table grant_units (
    tenant_id text    not null,
    grant_id  text    not null,
    units     jsonb   not null,
    version   integer not null,
    primary key (tenant_id, grant_id)
);

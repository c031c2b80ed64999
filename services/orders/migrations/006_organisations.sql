-- Settlement's organisation tree as orders projects it (settlement.OrgUnit… and
-- settlement.GrantOrgUnitChanged): the same rows settlement keeps, read by plumbing.org_tree.
-- `version` is the last event of the unit (or grant) applied: duplicates and stale events change nothing.
create table org_units (
    tenant_id    text    not null,
    unit_id      text    not null,
    code         text    not null,
    name         text    not null,
    kind         text    not null,
    active_from  date    not null,
    closed_from  date,
    parents      jsonb   not null,
    rules        jsonb   not null default '[]'::jsonb,
    version      integer not null,
    primary key (tenant_id, unit_id)
);

create table grant_units (
    tenant_id text    not null,
    grant_id  text    not null,
    units     jsonb   not null,
    version   integer not null,
    primary key (tenant_id, grant_id)
);

-- Who acts for an approver while away: the delegator's role and scope, a period, revocable.
create table approval_delegations (
    delegation_id   text        primary key,
    tenant_id       text        not null,
    delegator_id    text        not null,
    delegator_role  text        not null,
    delegator_unit  text,
    delegate_id     text        not null,
    valid_from      timestamptz not null,
    valid_until     timestamptz not null,
    revoked_at      timestamptz,
    created_at      timestamptz not null
);
create index approval_delegations_by_delegate on approval_delegations (tenant_id, delegate_id, valid_until);

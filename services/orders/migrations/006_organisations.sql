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

-- An order's approvals as steps, given in order: what asked for each (the grant, a unit's rule,
-- the university's hazardous-items rule) and who may give it. Orders placed before keep their
-- reasons, each a step in the order the approvers were asked.
alter table orders add column approval_steps jsonb not null default '[]'::jsonb;
update orders o set approval_steps = coalesce((
    select jsonb_agg(jsonb_build_object(
        'key', r, 'reason', r,
        'approver', case when r = 'hazardous_item' then 'safety_officer'
                         when o.buyer->>'user_id' = o.pi_id then 'university_finance'
                         else 'principal_investigator' end,
        'scope_units', '[]'::jsonb, 'unit_id', null, 'rule', replace(r, '_', ' '))
        order by r desc)
    from unnest(o.approvals_required) r), '[]'::jsonb)
where cardinality(o.approvals_required) > 0;

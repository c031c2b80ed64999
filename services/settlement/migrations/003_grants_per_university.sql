-- A grant's id is its university's own: two universities may each have a grant "G-1" (a
-- collaborative project often carries one national number at every institution). Grants, their
-- figures and their ledger accounts are keyed by university and grant id.

alter table grant_figures drop constraint grant_figures_grant_id_fkey;
alter table grant_monthly drop constraint grant_monthly_grant_id_fkey;

alter table grant_figures add column tenant_id text;
update grant_figures f set tenant_id = g.tenant_id from grants g where g.grant_id = f.grant_id;
alter table grant_figures alter column tenant_id set not null;
alter table grant_monthly add column tenant_id text;
update grant_monthly m set tenant_id = g.tenant_id from grants g where g.grant_id = m.grant_id;
alter table grant_monthly alter column tenant_id set not null;

alter table grants drop constraint grants_pkey;
alter table grants add primary key (tenant_id, grant_id);
alter table grant_figures drop constraint grant_figures_pkey;
alter table grant_figures add primary key (tenant_id, grant_id, category);
alter table grant_figures add foreign key (tenant_id, grant_id) references grants;
alter table grant_monthly drop constraint grant_monthly_pkey;
alter table grant_monthly add primary key (tenant_id, grant_id, category, month);
alter table grant_monthly add foreign key (tenant_id, grant_id) references grants;

drop index escrows_by_grant;
create index escrows_by_grant on escrows (tenant_id, grant_id);

-- Grant accounts were `grant:<grant>:<category>`; they become `grant:<university>:<grant>:<category>`.
-- Transfers are immutable to every writer; this one-time rename of the accounts they name is the
-- only exception, made with the guard off inside this migration's transaction. Amounts, ids and
-- order of the transfers do not change.
insert into accounts (account_id, kind, owner_id, tenant_id, category, debits_must_not_exceed_credits,
                      debits_pending, debits_posted, credits_pending, credits_posted)
select 'grant:' || tenant_id || ':' || owner_id || ':' || category, kind, owner_id, tenant_id, category,
       debits_must_not_exceed_credits, debits_pending, debits_posted, credits_pending, credits_posted
from accounts where kind = 'grant';
alter table transfers disable trigger transfers_immutable;
update transfers t set debit_account = 'grant:' || a.tenant_id || ':' || a.owner_id || ':' || a.category
from accounts a where a.account_id = t.debit_account and a.kind = 'grant'
  and a.account_id = 'grant:' || a.owner_id || ':' || a.category;
update transfers t set credit_account = 'grant:' || a.tenant_id || ':' || a.owner_id || ':' || a.category
from accounts a where a.account_id = t.credit_account and a.kind = 'grant'
  and a.account_id = 'grant:' || a.owner_id || ':' || a.category;
alter table transfers enable trigger transfers_immutable;
delete from accounts where kind = 'grant' and account_id = 'grant:' || owner_id || ':' || category;

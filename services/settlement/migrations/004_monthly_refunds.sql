-- Refunds paid after a release give expenditure back in the month they are paid: a month's net
-- expenditure is expended - refunded, and the months of a category add up to its figure.
alter table grant_monthly add column refunded bigint not null default 0;
insert into grant_monthly (tenant_id, grant_id, category, month, expended, refunded)
select a.tenant_id, a.owner_id, a.category, date_trunc('month', t.created_at at time zone 'UTC')::date,
       0, sum(t.amount)
from transfers t join accounts a on a.account_id = t.credit_account
where a.kind = 'grant' and t.code in ('refund_supplier_balance', 'refund_advance')
group by 1, 2, 3, 4
on conflict (tenant_id, grant_id, category, month) do update set refunded = excluded.refunded;

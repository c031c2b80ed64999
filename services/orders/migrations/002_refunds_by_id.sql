-- An order remembers each refund case by id (open, closed or paid), so that hearing of a case
-- again, e.g. a replay of refunds.events older than the dedup window, changes nothing.
alter table orders add column refunds jsonb not null default '{}'::jsonb;

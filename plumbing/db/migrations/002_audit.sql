-- The audit trail: who did what to money or to who may act, when, before/after and why.
-- Written in the same transaction as the change it records; append-only.
create table audit_log (
    id          bigint generated always as identity primary key,
    occurred_at timestamptz not null default now(),
    actor_id    text        not null,
    actor_role  text        not null,
    tenant_id   text        not null,
    action      text        not null,
    subject     text        not null,
    before      jsonb,
    after       jsonb,
    reason      text,
    trace_id    text
);
create index audit_log_by_tenant on audit_log (tenant_id, id);
create index audit_log_by_subject on audit_log (subject, id);

create function audit_log_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'the audit trail is append-only' using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_refuse_change();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_refuse_change();

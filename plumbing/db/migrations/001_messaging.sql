-- Reliable messaging tables, present in every service's database.

-- Transactional outbox: rows are written in the same transaction as the state change and
-- published in id order by the relay. `value` is bytes so a dead letter can carry malformed input.
create table outbox (
    id          bigserial primary key,
    topic       text        not null,
    key         bytea,
    value       bytea       not null,
    headers     jsonb       not null default '[]'::jsonb,
    event_id    uuid,
    created_at  timestamptz not null default now(),
    sent_at     timestamptz
);
create index outbox_unsent on outbox (id) where sent_at is null;
create index outbox_sent_at on outbox (sent_at) where sent_at is not null;

-- Wake the relay when rows commit (one notification per statement, delivered at commit).
create function outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('outbox', '');
    return null;
end $$;
create trigger outbox_notify after insert on outbox
    for each statement execute function outbox_notify();

-- Idempotent consumers: an event's id is recorded in the same transaction as its effects.
create table processed_events (
    consumer      text        not null,
    event_id      uuid        not null,
    processed_at  timestamptz not null default now(),
    primary key (consumer, event_id)
);
create index processed_events_age on processed_events (processed_at);

-- Poison events kept for operators to inspect, replay or discard; also published to <topic>.dlq.
create table dead_letters (
    id                 bigserial primary key,
    consumer           text        not null,
    topic              text        not null,
    kafka_partition    integer     not null,
    kafka_offset       bigint      not null,
    key                bytea,
    value              bytea       not null,
    headers            jsonb       not null default '[]'::jsonb,
    event_id           uuid,
    event_type         text,
    reason_code        text        not null,
    reason             text        not null,
    created_at         timestamptz not null default now(),
    resolution         text check (resolution in ('replayed', 'discarded')),
    resolved_by        text,
    resolution_reason  text,
    resolved_at        timestamptz,
    unique (consumer, topic, kafka_partition, kafka_offset)
);

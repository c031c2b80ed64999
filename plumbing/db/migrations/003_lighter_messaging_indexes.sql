-- Every consumed event writes a dedup row and every emitted event an outbox row, and the relay
-- marks each outbox row sent: the indexes only the hourly purge reads are block-range indexes
-- now (rows arrive in time order, so a BRIN index of a few pages finds the old ones), instead
-- of one more B-tree entry per row on the money path.
drop index processed_events_age;
create index processed_events_age on processed_events using brin (processed_at);
drop index outbox_sent_at;
create index outbox_created_at on outbox using brin (created_at);

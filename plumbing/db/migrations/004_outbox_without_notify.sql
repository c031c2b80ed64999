-- The outbox no longer notifies on insert. A transaction that has issued NOTIFY takes one lock
-- for the whole cluster while it commits (its WAL flush included), so every notifying commit
-- of every service waited for the one before it. The relay is woken in the process instead,
-- when a connection that wrote to the outbox is handed back to the pool (after its commit), and
-- polls every `idle_poll_seconds` for rows written by other processes.
drop trigger outbox_notify on outbox;
drop function outbox_notify();

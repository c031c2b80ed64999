-- A transfer's `seq` (the order transfers were recorded in) comes from its sequence, unique by
-- construction; no read looks a transfer up by it, so it no longer costs a B-tree entry per transfer.
alter table transfers drop constraint transfers_seq_key;

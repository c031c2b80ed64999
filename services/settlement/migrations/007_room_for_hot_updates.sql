-- Escrows, pending transfers, accounts and execution figures are written once and then updated
-- in place (released, resolved, moved): room on each page lets Postgres keep the new version on
-- the same page and skip new index entries (a heap-only update). New rows leave the room; a
-- later vacuum or rewrite gives existing pages theirs.
alter table escrows set (fillfactor = 70);
alter table pending_transfers set (fillfactor = 70);
alter table accounts set (fillfactor = 50);
alter table grant_figures set (fillfactor = 50);
alter table grant_monthly set (fillfactor = 70);

-- The ledger's two hot tables no longer carry foreign keys: checking each reference as a row is
-- written (a lookup and a share lock on the account per transfer, twice) cost more than all the
-- rest of a poll's writes. The writer opens every account a transfer names earlier in the same
-- transaction, and `unisettle check` verifies every reference (invariant 0) — the same integrity,
-- checked where it costs nothing on the money path.
alter table transfers
    drop constraint transfers_debit_account_fkey,
    drop constraint transfers_credit_account_fkey,
    drop constraint transfers_pending_id_fkey;
alter table pending_transfers
    drop constraint pending_transfers_transfer_id_fkey,
    drop constraint pending_transfers_resolved_by_fkey;

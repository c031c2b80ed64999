-- Received-not-invoiced (暂估) at any date: when each invoice's cover was recorded and withdrawn.
alter table invoice_covers add column recorded_at timestamptz not null default now();
alter table invoice_covers add column withdrawn_at timestamptz;
update invoice_covers set withdrawn_at = recorded_at where withdrawn;

-- Escrows released before receipt by line (migration 013) were left with released = 0: what they
-- released is the ledger's, and they were released by one receipt.
update escrows e
   set released = coalesce((select sum(t.amount) from transfers t
                            where t.order_id = e.order_id and t.code = 'escrow_release'
                              and t.kind = 'post_pending'), 0),
       receipts = '{1}'
 where e.status = 'released' and e.released = 0;

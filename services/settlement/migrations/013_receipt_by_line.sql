-- Receipt by line: an escrow is released receipt by receipt; it keeps the gross released so far
-- (the fee of each release is what it adds to the fee on the whole) and the receipts released on
-- it (a replay of one is recognised).
alter table escrows add column released bigint not null default 0 check (released >= 0 and released <= amount);
alter table escrows add column receipts integer[] not null default '{}';

-- Every refund a buyer asked for (refunds.RefundRequested): an agreed refund is paid only when it
-- is one of these, on the same order, for no more than was asked.
create table refund_requests (
    refund_id    text primary key,
    order_id     text   not null,
    tenant_id    text   not null,
    grant_id     text   not null,
    supplier_id  text   not null,
    amount       bigint not null check (amount > 0)
);

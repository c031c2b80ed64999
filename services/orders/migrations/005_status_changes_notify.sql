-- A change of an order's status is announced on the `order_status` channel (the order id as the
-- payload) when its transaction commits: `GET /v1/orders/{id}?wait_for=` is woken by it.
create function orders_status_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('order_status', new.order_id);
    return null;
end $$;
create trigger orders_status_notify after update of status on orders
    for each row when (old.status is distinct from new.status) execute function orders_status_notify();

"""Placing orders in one statement: the checkout's idempotency record, the orders, their
deadlines, their timelines and their events in the outbox are written by a single `insert` with
data-modifying CTEs — atomic without a transaction of its own, and one round trip whatever the
number of suppliers. Reading what a checkout needs (an earlier answer for its key, the grant, the
suppliers and listings of the cart) is one statement too."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from plumbing.messaging.outbox import Outbox, OutboxRow, headers_json
from plumbing.org import store as org_store
from plumbing.org.tree import OrgTree
from services.orders.adapters import projections
from services.orders.adapters.repository import columns, envelopes, saved, timeline_rows, timer_rows
from services.orders.domain.checkout import CatalogListing, CatalogSupplier, GrantInfo
from services.orders.domain.order import Order


@dataclass(frozen=True)
class CheckoutRecord:
    """A checkout's idempotency record: its key, the hash of its request and the answer's bytes."""

    tenant_id: str
    buyer_id: str
    idempotency_key: str
    request_hash: str
    checkout_id: str
    response: bytes


@dataclass(frozen=True)
class CheckoutView:
    earlier_hash: str | None
    earlier_response: bytes | None
    grant: GrantInfo | None
    suppliers: dict[str, CatalogSupplier]
    listings: dict[tuple[str, str], CatalogListing]
    tree: OrgTree  # the university's units, and the grant's unit history


# Rows as JSON, not as composite values: asyncpg would look up each row type on every new
# connection first (several statements, in the request that happens to use the connection).
_READ = f"""
select (select request_hash from checkouts
         where tenant_id = $1 and buyer_id = $2 and idempotency_key = $3) as earlier_hash,
       (select response from checkouts
         where tenant_id = $1 and buyer_id = $2 and idempotency_key = $3) as earlier_response,
       (select to_jsonb(g) from grants g where g.tenant_id = $1 and g.grant_id = $4)::text as grant,
       (select coalesce(jsonb_agg(s), '[]') from catalog_suppliers s
         where s.supplier_id = any($5::text[]))::text as suppliers,
       (select coalesce(jsonb_agg(l), '[]') from catalog_listings l
          join unnest($5::text[], $6::text[]) as k(supplier_id, sku) using (supplier_id, sku))::text
         as listings,
       {org_store.UNITS_JSON.format(tenant="$1")} as units,
       {org_store.GRANTS_JSON.format(tenant="$1", grant="$4")} as grant_units
"""


async def read(
    conn: asyncpg.Connection,
    tenant_id: str,
    grant_id: str,
    keys: Sequence[tuple[str, str]],
    idempotency: tuple[str, str] | None = None,
) -> CheckoutView:
    """Everything placing orders reads, in one round trip: the grant, the suppliers and listings
    of the cart (`keys`: supplier and sku), and with `idempotency` (buyer and key) the earlier
    checkout under that key."""
    buyer_id, key = idempotency or (None, None)
    row = await conn.fetchrow(
        _READ, tenant_id, buyer_id, key, grant_id, [s for s, _ in keys], [k for _, k in keys]
    )
    assert row is not None
    response, grant = row["earlier_response"], row["grant"]
    return CheckoutView(
        row["earlier_hash"],
        response.encode() if response is not None else None,
        projections.grant_info(json.loads(grant)) if grant is not None else None,
        {s["supplier_id"]: projections.supplier_of(s) for s in json.loads(row["suppliers"])},
        {(r["supplier_id"], r["sku"]): projections.listing_of(r) for r in json.loads(row["listings"])},
        org_store.tree_of_json(row["units"], row["grant_units"]),
    )


_ORDERS = """
    insert into orders (order_id, checkout_id, tenant_id, grant_id, pi_id, buyer, supplier_id, lines,
        total_minor, currency, status, funds, approvals_required, approval_steps, external_ref, placed_at,
        version)
    select o.order_id, o.checkout_id, o.tenant_id, o.grant_id, o.pi_id, o.buyer, o.supplier_id, o.lines,
        o.total_minor, o.currency, o.status, o.funds,
        array(select jsonb_array_elements_text(o.approvals->'reasons')), o.approvals->'steps',
        o.external_ref, o.placed_at, o.version
    from unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[],
                $14::jsonb[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::jsonb[],
                $20::text[], $21::timestamptz[], $22::int[])
        as o(order_id, checkout_id, tenant_id, grant_id, pi_id, buyer, supplier_id, lines, total_minor,
             currency, status, funds, approvals, external_ref, placed_at, version)
    where exists (select from gate)"""
_TIMERS = """
    insert into order_timers (order_id, kind, due_at, remaining)
    select * from unnest($23::text[], $24::text[], $25::timestamptz[], $26::interval[])
    where exists (select from gate)"""
_TIMELINE = """
    insert into order_timeline (order_id, seq, at, action, actor_id, actor_role, from_status,
        to_status, reason)
    select * from unnest($27::text[], $28::int[], $29::timestamptz[], $30::text[], $31::text[],
                         $32::text[], $33::text[], $34::text[], $35::text[])
    where exists (select from gate)"""
_OUTBOX = """
    insert into outbox (topic, key, value, headers, event_id)
    select * from unnest($36::text[], $37::bytea[], $38::bytea[], $39::jsonb[], $40::uuid[])
    where exists (select from gate)"""
# With a checkout record the statement writes only if the key is new (a concurrent request with
# the same key, committed first, makes `gate` empty and nothing is written); without one (a
# platform's command, already claimed in the caller's transaction) it always writes.
_GATE_CHECKOUT = """
    insert into checkouts (tenant_id, buyer_id, idempotency_key, request_hash, checkout_id, response)
    values ($1, $2, $3, $4, $5, $6) on conflict do nothing returning true"""
_GATE_ALWAYS = "select $1::text, $2::text, $3::text, $4::text, $5::text, $6::text"


def _statement(gate: str) -> str:
    return (
        f"with gate as ({gate}), placed as ({_ORDERS}), timers as ({_TIMERS}),"
        f" timeline as ({_TIMELINE}), sent as ({_OUTBOX}) select exists (select from gate)"
    )


_WITH_CHECKOUT, _WITHOUT_CHECKOUT = _statement(_GATE_CHECKOUT), _statement(_GATE_ALWAYS)


async def place(
    conn: asyncpg.Connection, orders: Sequence[Order], outbox: Outbox, checkout: CheckoutRecord | None
) -> bool:
    """Write new orders with their deadlines, timelines and events (keyed by grant) in one
    statement; with `checkout`, its idempotency record too. False when another request
    recorded that checkout's key first: then nothing was written."""
    staged = [(order, envelopes(order)) for order in orders]
    rows: list[OutboxRow] = [outbox.row(e, key=order.grant_id) for order, events in staged for e in events]
    timers = timer_rows(orders)
    timeline = timeline_rows(orders)
    gate = (
        (c.tenant_id, c.buyer_id, c.idempotency_key, c.request_hash, c.checkout_id, c.response.decode())
        if (c := checkout) is not None
        else (None, None, None, None, None, None)
    )
    outbox.written(conn)
    written = await conn.fetchval(
        _WITH_CHECKOUT if checkout is not None else _WITHOUT_CHECKOUT,
        *gate,
        [o.order_id for o in orders],
        [o.checkout_id for o in orders],
        [o.tenant_id for o in orders],
        [o.grant_id for o in orders],
        [o.pi_id for o in orders],
        [o.buyer.model_dump_json() for o in orders],
        [o.supplier_id for o in orders],
        [json.dumps([line.model_dump(mode="json") for line in o.lines]) for o in orders],
        [o.total_minor for o in orders],
        [o.currency for o in orders],
        [o.status.value for o in orders],
        [o.funds.value for o in orders],
        [
            json.dumps(
                {
                    "reasons": [r.value for r in o.approvals_required],
                    "steps": [step.model_dump(mode="json") for step in o.approval_steps],
                }
            )
            for o in orders
        ],
        [o.external_ref for o in orders],
        [o.placed_at for o in orders],
        [o.version + len(events) for o, events in staged],
        *columns(timers, 4),
        *columns(timeline, 9),
        *columns([(r.topic, r.key, r.value, headers_json(r.headers), r.event_id) for r in rows], 5),
    )
    if written:
        for order, events in staged:
            saved(order, len(events))
    return bool(written)

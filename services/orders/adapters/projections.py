"""What orders keeps of other services' events: the catalog (suppliers.events), grants and the
organisation tree (settlement.events), and how a row of each reads (checkout reads them:
`adapters.placing`). Each row keeps the last aggregate version applied, so duplicates and stale
events change nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import BudgetCategory
from contracts.events.organisation import (
    ApprovalRule,
    GrantOrgUnitChanged,
    OrgUnitApprovalRulesSet,
    OrgUnitClosed,
    OrgUnitCreated,
    OrgUnitMoved,
    OrgUnitRenamed,
    Period,
)
from contracts.events.settlement import GrantBuyersChanged, GrantClosed, GrantRegistered
from contracts.events.suppliers import (
    LicenceExpired,
    LicenceRenewed,
    ListingChanged,
    ListingPublished,
    ListingWithdrawn,
    SupplierActivated,
    SupplierReinstated,
    SupplierSuspended,
)
from plumbing.org import store as org_store
from services.orders.domain.checkout import CatalogListing, CatalogSupplier, GrantInfo


async def _advance(conn: asyncpg.Connection, table: str, key: str, key_value: str, version: int) -> bool:
    """Claim `version` for the aggregate; False when it (or a later one) was already applied."""
    row = await conn.fetchrow(
        f"update {table} set version = $2 where {key} = $1 and version < $2 returning 1", key_value, version
    )
    return row is not None


async def apply_supplier_event(conn: asyncpg.Connection, envelope: Envelope, event: EventPayload) -> None:
    sid: str = event.supplier_id  # type: ignore[attr-defined]
    await conn.execute(
        """insert into catalog_suppliers (supplier_id, state, version) values ($1, 'REGISTERED', 0)
           on conflict do nothing""",
        sid,
    )
    if not await _advance(conn, "catalog_suppliers", "supplier_id", sid, envelope.aggregate_version):
        return
    if isinstance(event, SupplierActivated):
        await conn.execute(
            """update catalog_suppliers set state = 'ACTIVE', hazardous_licence_until = $2
               where supplier_id = $1""",
            sid,
            event.hazardous_licence_valid_until,
        )
    elif isinstance(event, SupplierReinstated):
        await conn.execute("update catalog_suppliers set state = 'ACTIVE' where supplier_id = $1", sid)
    elif isinstance(event, SupplierSuspended):
        await conn.execute("update catalog_suppliers set state = 'SUSPENDED' where supplier_id = $1", sid)
    elif isinstance(event, LicenceRenewed):
        await conn.execute(
            "update catalog_suppliers set hazardous_licence_until = $2 where supplier_id = $1",
            sid,
            event.valid_until,
        )
    elif isinstance(event, LicenceExpired):
        await conn.execute(
            "update catalog_suppliers set hazardous_licence_until = null where supplier_id = $1", sid
        )
    elif isinstance(event, ListingPublished | ListingChanged):
        await conn.execute(
            """insert into catalog_listings (listing_id, supplier_id, sku, active, version, name, unit,
                   price_minor, category, hazardous, cas_number)
               values ($1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10)
               on conflict (listing_id) do update set active = true, version = excluded.version,
                   name = excluded.name, unit = excluded.unit, price_minor = excluded.price_minor,
                   category = excluded.category, hazardous = excluded.hazardous,
                   cas_number = excluded.cas_number""",
            event.listing_id,
            sid,
            event.sku,
            event.listing_version,
            event.name,
            event.unit,
            event.price.amount_minor,
            event.category.value,
            event.hazardous,
            event.cas_number,
        )
    elif isinstance(event, ListingWithdrawn):
        await conn.execute(
            "update catalog_listings set active = false where listing_id = $1", event.listing_id
        )


async def apply_grant_event(conn: asyncpg.Connection, envelope: Envelope, event: EventPayload) -> None:
    gid: str = event.grant_id  # type: ignore[attr-defined]
    if isinstance(event, GrantRegistered):
        await conn.execute(
            """insert into grants (grant_id, tenant_id, pi_id, authorised_buyers, approval_threshold_minor,
                   open, version) values ($1, $2, $3, $4, $5, true, $6) on conflict do nothing""",
            gid,
            envelope.tenant_id,
            event.pi_id,
            event.authorised_buyers,
            event.approval_threshold.amount_minor,
            envelope.aggregate_version,
        )
        return
    tenant = envelope.tenant_id  # grant ids are each university's own
    claimed = await conn.fetchrow(
        "update grants set version = $3 where tenant_id = $1 and grant_id = $2 and version < $3 returning 1",
        tenant,
        gid,
        envelope.aggregate_version,
    )
    if claimed is None:
        return  # seen already, or a stale version
    if isinstance(event, GrantBuyersChanged):
        await conn.execute(
            """update grants set authorised_buyers = $3, approval_threshold_minor = $4
               where tenant_id = $1 and grant_id = $2""",
            tenant,
            gid,
            event.authorised_buyers,
            event.approval_threshold.amount_minor,
        )
    elif isinstance(event, GrantClosed):
        await conn.execute(
            "update grants set open = false where tenant_id = $1 and grant_id = $2", tenant, gid
        )


_PERIODS = TypeAdapter(list[Period])
_RULES = TypeAdapter(list[ApprovalRule])


async def apply_org_event(conn: asyncpg.Connection, envelope: Envelope, event: EventPayload) -> None:
    """Settlement's organisation tree: each event replaces what it carries (a unit's name, its
    parent history, its rules; a grant's unit history) if it is newer than what is held."""
    tenant, version = envelope.tenant_id, envelope.aggregate_version
    if isinstance(event, GrantOrgUnitChanged):
        await org_store.save_grant(conn, tenant, event.grant_id, tuple(event.units), version)
        return
    if isinstance(event, OrgUnitCreated):
        await conn.execute(
            """insert into org_units (tenant_id, unit_id, code, name, kind, active_from, parents, version)
               values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) on conflict do nothing""",
            tenant,
            event.unit_id,
            event.code,
            event.name,
            event.kind.value,
            event.active_from,
            _PERIODS.dump_json(event.parents).decode(),
            version,
        )
        return
    changes: dict[type[EventPayload], tuple[str, Any]] = {
        OrgUnitRenamed: ("name = $4", lambda e: e.name),
        OrgUnitMoved: ("parents = $4::jsonb", lambda e: _PERIODS.dump_json(e.parents).decode()),
        OrgUnitClosed: (
            "parents = $4::jsonb, closed_from = $5",
            lambda e: _PERIODS.dump_json(e.parents).decode(),
        ),
        OrgUnitApprovalRulesSet: ("rules = $4::jsonb", lambda e: _RULES.dump_json(e.rules).decode()),
    }
    assignment, value = changes[type(event)]
    extra = [event.closed_from] if isinstance(event, OrgUnitClosed) else []
    await conn.execute(
        f"""update org_units set version = $3, {assignment}
            where tenant_id = $1 and unit_id = $2 and version < $3""",
        tenant,
        event.unit_id,  # type: ignore[attr-defined]
        version,
        value(event),
        *extra,
    )


Row = Mapping[str, Any]  # a record, or a row as JSON


def grant_info(row: Row) -> GrantInfo:
    return GrantInfo(
        row["grant_id"],
        row["tenant_id"],
        row["pi_id"],
        frozenset(row["authorised_buyers"]),
        row["approval_threshold_minor"],
        row["open"],
    )


def supplier_of(row: Row) -> CatalogSupplier:
    licence = row["hazardous_licence_until"]
    if isinstance(licence, str):  # a row as JSON
        licence = date.fromisoformat(licence)
    return CatalogSupplier(row["supplier_id"], row["state"] == "ACTIVE", licence)


def listing_of(row: Row) -> CatalogListing:
    return CatalogListing(
        row["listing_id"],
        row["supplier_id"],
        row["sku"],
        row["version"],
        row["name"],
        row["unit"],
        row["price_minor"],
        BudgetCategory(row["category"]),
        row["hazardous"],
        row["cas_number"],
        row["active"],
    )

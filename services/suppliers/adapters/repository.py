"""Loading and saving suppliers, their bank account and listings; events go to the outbox here,
in the caller's transaction, numbered on from the supplier's last aggregate version."""

from __future__ import annotations

import uuid

import asyncpg

from contracts.envelope import Envelope
from contracts.events.common import BudgetCategory
from contracts.events.suppliers import Contact
from plumbing.messaging.outbox import Outbox
from plumbing.web.auth import PLATFORM_TENANT
from services.suppliers.domain.bank_account import AccountStatus, BankAccount
from services.suppliers.domain.documents import Document
from services.suppliers.domain.errors import SupplierNotFound
from services.suppliers.domain.listing import Listing, ListingDetails, ListingStatus
from services.suppliers.domain.supplier import Supplier, SupplierState

PRODUCER = "suppliers"
# Suppliers serve every university: their events belong to the platform, not to one tenant.


async def existing(conn: asyncpg.Connection, supplier_id: str, *, for_update: bool = False) -> Supplier:
    """The supplier, or SupplierNotFound."""
    supplier = await get(conn, supplier_id, for_update=for_update)
    if supplier is None:
        raise SupplierNotFound(f"no supplier {supplier_id!r}")
    return supplier


async def get(conn: asyncpg.Connection, supplier_id: str, *, for_update: bool = False) -> Supplier | None:
    row = await conn.fetchrow(
        "select * from suppliers where supplier_id = $1" + (" for update" if for_update else ""), supplier_id
    )
    if row is None:
        return None
    account = await conn.fetchrow(
        "select * from bank_accounts where supplier_id = $1 and status <> 'replaced'", supplier_id
    )
    return Supplier(
        supplier_id=row["supplier_id"],
        legal_name=row["legal_name"],
        credit_code=row["credit_code"],
        contact=Contact.model_validate_json(row["contact"]),
        categories=[BudgetCategory(c) for c in row["categories"]],
        state=SupplierState(row["state"]),
        state_reason=row["state_reason"],
        has_business_licence=row["has_business_licence"],
        hazardous_licence_until=row["hazardous_licence_until"],
        hazardous_licence_expired=row["hazardous_licence_expired"],
        bank_account=_account(account) if account else None,
        version=row["version"],
    )


def _account(row: asyncpg.Record) -> BankAccount:
    return BankAccount(
        account_id=row["account_id"],
        bank_name=row["bank_name"],
        account_number=row["account_number"],
        holder_name=row["holder_name"],
        status=AccountStatus(row["status"]),
        deposit_minor=row["deposit_minor"],
        deposit_sent_at=row["deposit_sent_at"],
        wrong_answers=row["wrong_answers"],
        verified_at=row["verified_at"],
    )


async def add(conn: asyncpg.Connection, supplier: Supplier) -> bool:
    """Insert a new supplier; False when the id or the credit code is already taken."""
    inserted = await conn.fetchval(
        """insert into suppliers (supplier_id, legal_name, credit_code, contact, categories, state, version)
           values ($1, $2, $3, $4::jsonb, $5, $6, 0) on conflict do nothing returning true""",
        supplier.supplier_id,
        supplier.legal_name,
        supplier.credit_code,
        supplier.contact.model_dump_json(),
        [c.value for c in supplier.categories],
        supplier.state.value,
    )
    return bool(inserted)


async def save(
    conn: asyncpg.Connection,
    supplier: Supplier,
    outbox: Outbox,
    *,
    correlation_id: str | None = None,
    causation_id: uuid.UUID | None = None,
) -> None:
    """Persist the supplier and append its new events to the outbox, in one transaction (each
    correlated with the supplier unless a cause says otherwise)."""
    envelopes = Envelope.numbered(
        supplier.events,
        producer=PRODUCER,
        aggregate_id=supplier.supplier_id,
        after_version=supplier.version,
        tenant_id=PLATFORM_TENANT,
        correlation_id=correlation_id or f"supplier:{supplier.supplier_id}",
        causation_ids=causation_id,
    )
    supplier.version += len(envelopes)
    await conn.execute(
        """update suppliers set state = $2, state_reason = $3, has_business_licence = $4,
               hazardous_licence_until = $5, hazardous_licence_expired = $6, version = $7, updated_at = now()
           where supplier_id = $1""",
        supplier.supplier_id,
        supplier.state.value,
        supplier.state_reason,
        supplier.has_business_licence,
        supplier.hazardous_licence_until,
        supplier.hazardous_licence_expired,
        supplier.version,
    )
    if supplier.bank_account is not None:
        await _save_account(conn, supplier.supplier_id, supplier.bank_account)
    if envelopes:
        await outbox.append(conn, envelopes)
    supplier.events.clear()


async def _save_account(conn: asyncpg.Connection, supplier_id: str, a: BankAccount) -> None:
    await conn.execute(
        """update bank_accounts set status = 'replaced'
           where supplier_id = $1 and account_id <> $2 and status <> 'replaced'""",
        supplier_id,
        a.account_id,
    )
    await conn.execute(
        """insert into bank_accounts (account_id, supplier_id, bank_name, account_number, holder_name,
               status, deposit_minor, deposit_sent_at, wrong_answers, verified_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           on conflict (account_id) do update set status = excluded.status,
               deposit_minor = excluded.deposit_minor, deposit_sent_at = excluded.deposit_sent_at,
               wrong_answers = excluded.wrong_answers, verified_at = excluded.verified_at""",
        a.account_id,
        supplier_id,
        a.bank_name,
        a.account_number,
        a.holder_name,
        a.status.value,
        a.deposit_minor,
        a.deposit_sent_at,
        a.wrong_answers,
        a.verified_at,
    )


async def add_document(conn: asyncpg.Connection, supplier_id: str, doc: Document, content: bytes) -> bool:
    """Store a document once per content hash; False when this exact file was uploaded before."""
    inserted = await conn.fetchval(
        """insert into supplier_documents (supplier_id, kind, sha256, content_type, size_bytes, content,
               valid_until, licence_number)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing returning true""",
        supplier_id,
        doc.kind.value,
        doc.sha256,
        doc.content_type,
        doc.size,
        content,
        doc.valid_until,
        doc.licence_number,
    )
    return bool(inserted)


async def documents(conn: asyncpg.Connection, supplier_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(  # type: ignore[no-any-return]
        """select kind, sha256, content_type, size_bytes, valid_until, licence_number, uploaded_at
           from supplier_documents where supplier_id = $1 order by uploaded_at, sha256""",
        supplier_id,
    )


# ---------------------------------------------------------------- listings

_LISTING_SELECT = """
    select l.listing_id, l.supplier_id, l.sku, l.status, l.version, l.withdrawn_reason,
           v.name, v.unit, v.price_minor, v.category, v.hazard_class, v.cas_number
    from listings l join listing_versions v on v.listing_id = l.listing_id and v.version = l.version
"""


def _listing(row: asyncpg.Record) -> Listing:
    return Listing(
        listing_id=row["listing_id"],
        supplier_id=row["supplier_id"],
        sku=row["sku"],
        status=ListingStatus(row["status"]),
        version=row["version"],
        withdrawn_reason=row["withdrawn_reason"],
        details=ListingDetails(
            name=row["name"],
            unit=row["unit"],
            price_minor=row["price_minor"],
            category=BudgetCategory(row["category"]),
            hazard_class=row["hazard_class"],
            cas_number=row["cas_number"],
        ),
    )


async def get_listing(conn: asyncpg.Connection, supplier_id: str, sku: str) -> Listing | None:
    row = await conn.fetchrow(_LISTING_SELECT + " where l.supplier_id = $1 and l.sku = $2", supplier_id, sku)
    return _listing(row) if row else None


async def listings_of(conn: asyncpg.Connection, supplier_id: str) -> list[Listing]:
    rows = await conn.fetch(_LISTING_SELECT + " where l.supplier_id = $1 order by l.sku", supplier_id)
    return [_listing(r) for r in rows]


async def save_listing(conn: asyncpg.Connection, listing: Listing) -> None:
    await conn.execute(
        """insert into listings (listing_id, supplier_id, sku, status, version, withdrawn_reason)
           values ($1, $2, $3, $4, $5, $6)
           on conflict (listing_id) do update set status = excluded.status, version = excluded.version,
               withdrawn_reason = excluded.withdrawn_reason""",
        listing.listing_id,
        listing.supplier_id,
        listing.sku,
        listing.status.value,
        listing.version,
        listing.withdrawn_reason,
    )
    d = listing.details
    await conn.execute(
        """insert into listing_versions (listing_id, version, name, unit, price_minor, category,
               hazard_class, cas_number, hazardous)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing""",
        listing.listing_id,
        listing.version,
        d.name,
        d.unit,
        d.price_minor,
        d.category.value,
        d.hazard_class,
        d.cas_number,
        d.needs_hazardous_licence,
    )

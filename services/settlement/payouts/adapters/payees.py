"""Who settlement may pay: suppliers' state and verified payout account, from suppliers.events.
Each row keeps the supplier stream's last version, so duplicates and stale events change nothing."""

from __future__ import annotations

import asyncpg

from contracts.events.suppliers import (
    BankAccountChanged,
    BankAccountVerified,
    SupplierActivated,
    SupplierRegistered,
    SupplierReinstated,
    SupplierSuspended,
)
from plumbing.messaging.delivery import Delivery
from services.settlement.context import Context

EVENTS = (
    SupplierRegistered,  # settlement knows every supplier, so that it can say which do not exist
    SupplierActivated,
    SupplierSuspended,
    SupplierReinstated,
    BankAccountChanged,
    BankAccountVerified,
)


async def on_supplier_event(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    event = delivery.payload
    sid: str = event.supplier_id  # type: ignore[attr-defined]
    await conn.execute("insert into payees (supplier_id, version) values ($1, 0) on conflict do nothing", sid)
    claimed = await conn.fetchval(
        "update payees set version = $2 where supplier_id = $1 and version < $2 returning true",
        sid,
        delivery.envelope.aggregate_version,
    )
    if not claimed:
        return
    if isinstance(event, SupplierRegistered):
        await conn.execute("update payees set legal_name = $2 where supplier_id = $1", sid, event.legal_name)
    elif isinstance(event, SupplierActivated):
        await conn.execute(
            "update payees set active = true, legal_name = $2 where supplier_id = $1", sid, event.legal_name
        )
    elif isinstance(event, SupplierReinstated):
        await conn.execute("update payees set active = true where supplier_id = $1", sid)
    elif isinstance(event, SupplierSuspended):
        await conn.execute("update payees set active = false where supplier_id = $1", sid)
    elif isinstance(event, BankAccountChanged):  # payouts pause until the new account is verified
        await conn.execute(
            """update payees set bank_account_id = $2, account_masked = $3, account_verified = false
               where supplier_id = $1""",
            sid,
            event.bank_account_id,
            event.account_masked,
        )
    elif isinstance(event, BankAccountVerified):
        await conn.execute(
            """update payees set account_verified = (bank_account_id = $2) where supplier_id = $1""",
            sid,
            event.bank_account_id,
        )

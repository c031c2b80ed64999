"""What the services hold: every row of every table, to show that something changed nothing."""

from __future__ import annotations

import asyncpg

from tests.e2e.processes import ServiceProcess

BOOKKEEPING = {"processed_events", "outbox", "schema_migrations"}


async def snapshot(services: dict[str, ServiceProcess]) -> dict[str, list[str]]:
    """Every row of every table of every service (bookkeeping aside), and how many events each
    service has written to its outbox."""
    rows: dict[str, list[str]] = {}
    for name, service in services.items():
        if not service.dsn:
            continue  # a stream worker keeps no database
        conn = await asyncpg.connect(service.dsn)
        try:
            tables = await conn.fetch(
                "select tablename from pg_tables where schemaname = 'public' order by tablename"
            )
            for (table,) in tables:
                if table not in BOOKKEEPING:
                    found = await conn.fetch(f'select t::text from "{table}" t order by 1')
                    rows[f"{name}.{table}"] = [r[0] for r in found]
            rows[f"{name}.outbox"] = [str(await conn.fetchval("select count(*) from outbox"))]
        finally:
            await conn.close()
    return rows

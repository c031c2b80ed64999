"""Where a service keeps a university's organisation tree: `org_units` and `grant_units`, the
same rows in settlement (which owns the tree) and in orders (which projects it). Each row keeps
the version of the last change written, so a projection skips duplicates and stale events."""

from __future__ import annotations

import json
from datetime import date

import asyncpg
from pydantic import TypeAdapter

from contracts.events.organisation import ApprovalRule, Period, UnitKind
from plumbing.org.tree import OrgTree, Unit

_PERIODS = TypeAdapter(tuple[Period, ...])
_RULES = TypeAdapter(tuple[ApprovalRule, ...])


# The university's units, and each grant's unit history, as JSON: read alone (`load`) or along
# with other things in one statement (checkout's read) — `tree_of_json` reads either.
UNITS_JSON = "(select coalesce(jsonb_agg(u), '[]') from org_units u where u.tenant_id = {tenant})::text"
GRANTS_JSON = (
    "(select coalesce(jsonb_object_agg(g.grant_id, g.units), '{{}}') from grant_units g"
    " where g.tenant_id = {tenant} and ({grant}::text is null or g.grant_id = {grant}))::text"
)


async def load(conn: asyncpg.Connection, tenant_id: str) -> OrgTree:
    """The university's whole tree (a few hundred rows even for a large university)."""
    row = await conn.fetchrow(
        f"select {UNITS_JSON.format(tenant='$1')} as units,"
        f" {GRANTS_JSON.format(tenant='$1', grant='null')} as grants",
        tenant_id,
    )
    assert row is not None
    return tree_of_json(row["units"], row["grants"])


def tree_of_json(units: str, grants: str) -> OrgTree:
    """A tree from `UNITS_JSON` and `GRANTS_JSON`."""
    return OrgTree(
        {
            u["unit_id"]: Unit(
                unit_id=u["unit_id"],
                code=u["code"],
                name=u["name"],
                kind=UnitKind(u["kind"]),
                active_from=date.fromisoformat(u["active_from"]),
                closed_from=date.fromisoformat(u["closed_from"]) if u["closed_from"] else None,
                parents=_PERIODS.validate_python(u["parents"]),
                rules=_RULES.validate_python(u["rules"]),
            )
            for u in json.loads(units)
        },
        {g: _PERIODS.validate_python(periods) for g, periods in json.loads(grants).items()},
    )


async def version(conn: asyncpg.Connection, tenant_id: str, unit_id: str) -> int:
    """The unit's version (0: no such unit)."""
    found = await conn.fetchval(
        "select version from org_units where tenant_id = $1 and unit_id = $2",
        tenant_id,
        unit_id,
    )
    return int(found or 0)


async def save_unit(conn: asyncpg.Connection, tenant_id: str, unit: Unit, version: int) -> bool:
    """Write the unit as of `version`; False when that version (or a later one) is already there."""
    row = await conn.fetchrow(
        """insert into org_units (tenant_id, unit_id, code, name, kind, active_from, closed_from,
               parents, rules, version)
           values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10)
           on conflict (tenant_id, unit_id) do update set code = excluded.code, name = excluded.name,
               kind = excluded.kind, active_from = excluded.active_from,
               closed_from = excluded.closed_from, parents = excluded.parents,
               rules = excluded.rules, version = excluded.version
           where org_units.version < excluded.version
           returning 1""",
        tenant_id,
        unit.unit_id,
        unit.code,
        unit.name,
        unit.kind.value,
        unit.active_from,
        unit.closed_from,
        _PERIODS.dump_json(unit.parents).decode(),
        _RULES.dump_json(unit.rules).decode(),
        version,
    )
    return row is not None


async def save_grant(
    conn: asyncpg.Connection, tenant_id: str, grant_id: str, units: tuple[Period, ...], version: int
) -> bool:
    """Write the grant's unit history as of `version` (the grant's event version)."""
    row = await conn.fetchrow(
        """insert into grant_units (tenant_id, grant_id, units, version) values ($1, $2, $3::jsonb, $4)
           on conflict (tenant_id, grant_id) do update set units = excluded.units, version = excluded.version
           where grant_units.version < excluded.version
           returning 1""",
        tenant_id,
        grant_id,
        _PERIODS.dump_json(units).decode(),
        version,
    )
    return row is not None

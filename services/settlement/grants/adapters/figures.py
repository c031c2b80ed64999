"""Funding-execution figures in Postgres, moved in the same transaction as the money that moves
them: per grant category (budget, encumbered, expended, refunded) and per month."""

from __future__ import annotations

from datetime import date

import asyncpg


async def write_figures(
    conn: asyncpg.Connection,
    figures: dict[tuple[str, str, str], list[int]],
    months: dict[tuple[str, str, str, date], list[int]] | None = None,
) -> None:
    """Move the execution figures with the money: per grant category (budget, encumbered,
    expended, refunded) and per month (expended, refunded)."""
    keys = sorted(figures)
    if keys:
        moves = [[figures[k][i] for k in keys] for i in range(4)]
        # A plain update: an upsert would check its insert row (budget 0) against the constraint.
        updated = await conn.fetch(
            """update grant_figures f set budget = f.budget + d.b, encumbered = f.encumbered + d.e,
                   expended = f.expended + d.x, refunded = f.refunded + d.r
               from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                           $7::bigint[]) d(t, g, c, b, e, x, r)
               where f.tenant_id = d.t and f.grant_id = d.g and f.category = d.c
               returning f.tenant_id, f.grant_id, f.category""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            *moves,
        )
        missing = sorted(set(keys) - {(r["tenant_id"], r["grant_id"], r["category"]) for r in updated})
        if missing:  # a category a grant is given for the first time
            await conn.execute(
                """insert into grant_figures
                       (tenant_id, grant_id, category, budget, encumbered, expended, refunded)
                   select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                                        $6::bigint[], $7::bigint[])""",
                [k[0] for k in missing],
                [k[1] for k in missing],
                [k[2] for k in missing],
                *([figures[k][i] for k in missing] for i in range(4)),
            )
    monthly = sorted(months or {})
    if monthly:
        assert months is not None
        await conn.execute(
            """insert into grant_monthly (tenant_id, grant_id, category, month, expended, refunded)
               select * from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[],
                                    $6::bigint[])
               on conflict (tenant_id, grant_id, category, month) do update
               set expended = grant_monthly.expended + excluded.expended,
                   refunded = grant_monthly.refunded + excluded.refunded""",
            [m[0] for m in monthly],
            [m[1] for m in monthly],
            [m[2] for m in monthly],
            [m[3] for m in monthly],
            [months[m][0] for m in monthly],
            [months[m][1] for m in monthly],
        )

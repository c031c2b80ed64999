"""Funding execution rolled up the organisation tree: a unit's figures are the sum of the
figures of the grants under it today, broken down by the units directly below it; its months are
each grant's months counted under the unit that held the grant on the month's first day — so a
lab moved to another school leaves its past months with the school it was in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from plumbing.org.tree import OrgTree, Unit
from services.settlement.grants.domain.execution import Figures


@dataclass(frozen=True)
class GrantMonth:
    month: date
    expended: int  # net of that month's refunds
    refunded: int


@dataclass(frozen=True)
class GrantLine:
    grant_id: str
    total: Figures
    months: Sequence[GrantMonth] = ()


@dataclass(frozen=True)
class Part:
    """A unit directly below (None: grants under no unit) and what its grants add up to."""

    unit: Unit | None
    total: Figures
    grant_ids: list[str]


@dataclass(frozen=True)
class RollUp:
    total: Figures
    grant_ids: list[str]  # the grants under the unit today
    parts: list[Part]
    months: list[GrantMonth] = field(default_factory=list)


def add(figures: Sequence[Figures]) -> Figures:
    return Figures(
        sum(f.budget for f in figures),
        sum(f.encumbered for f in figures),
        sum(f.expended for f in figures),
        sum(f.refunded for f in figures),
    )


def _under(tree: OrgTree, unit_id: str | None, grant_id: str, on: date) -> bool:
    return unit_id is None or tree.covers(unit_id, grant_id, on)


def roll_up(tree: OrgTree, unit_id: str | None, grants: Mapping[str, GrantLine], today: date) -> RollUp:
    """The unit's roll-up (None: the whole university, by school)."""
    mine = sorted(g for g in grants if _under(tree, unit_id, g, today))
    parts = []
    placed: set[str] = set()
    for child in tree.children(unit_id, today):
        ids = [g for g in mine if tree.covers(child.unit_id, g, today)]
        placed.update(ids)
        parts.append(Part(child, add([grants[g].total for g in ids]), ids))
    loose = [g for g in mine if g not in placed]
    if loose:
        parts.append(Part(None, add([grants[g].total for g in loose]), loose))
    by_month: dict[date, list[int]] = {}
    for line in grants.values():
        for m in line.months:
            if _under(tree, unit_id, line.grant_id, m.month):
                sums = by_month.setdefault(m.month, [0, 0])
                sums[0] += m.expended
                sums[1] += m.refunded
    months = [GrantMonth(m, x, r) for m, (x, r) in sorted(by_month.items())]
    return RollUp(add([grants[g].total for g in mine]), mine, parts, months)

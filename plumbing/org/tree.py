"""A university's organisation tree as every service reads it: which unit sits under which, and
which unit a grant belongs to, on a given day. Settlement keeps the tree and orders projects it
(`contracts.events.organisation`); both read it through `OrgTree`, so "what is under this school
on that day" has one answer.

Membership is effective-dated in months: a period starts on a month's first day, so a month's
figures belong wholly to the unit that held the grant on its first day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from contracts.events.organisation import ApprovalRule, Period, UnitKind


def month_start(day: date) -> date:
    return day.replace(day=1)


def holds(period: Period, on: date) -> bool:
    return period.valid_from <= on and (period.valid_to is None or on < period.valid_to)


def at(periods: Sequence[Period], on: date) -> Period | None:
    """The period in force on `on`, if any."""
    for period in periods:
        if holds(period, on):
            return period
    return None


@dataclass(frozen=True)
class Unit:
    unit_id: str
    code: str
    name: str
    kind: UnitKind
    active_from: date
    closed_from: date | None
    parents: tuple[Period, ...]
    rules: tuple[ApprovalRule, ...] = ()

    def active(self, on: date) -> bool:
        return self.active_from <= on and (self.closed_from is None or on < self.closed_from)


@dataclass(frozen=True)
class OrgTree:
    """One university's units and grant memberships (`grants`: grant id → its unit periods)."""

    units: Mapping[str, Unit]
    grants: Mapping[str, tuple[Period, ...]] = field(default_factory=dict)

    def parent(self, unit_id: str, on: date) -> str | None:
        unit = self.units.get(unit_id)
        period = at(unit.parents, on) if unit else None
        return period.parent_id if period else None

    def unit_of(self, grant_id: str, on: date) -> str | None:
        period = at(self.grants.get(grant_id, ()), on)
        return period.parent_id if period else None

    def path(self, unit_id: str | None, on: date) -> list[str]:
        """The unit and the units above it, nearest first (a cycle cannot be stored, but a
        read never loops on one)."""
        out: list[str] = []
        while unit_id is not None and unit_id not in out and unit_id in self.units:
            out.append(unit_id)
            unit_id = self.parent(unit_id, on)
        return out

    def grant_path(self, grant_id: str, on: date) -> list[str]:
        """The grant's unit and every unit above it, nearest first ([] when it has none)."""
        return self.path(self.unit_of(grant_id, on), on)

    def top(self, grant_id: str, on: date) -> str | None:
        """The school (the topmost unit) a grant is under on `on`."""
        path = self.grant_path(grant_id, on)
        return path[-1] if path else None

    def covers(self, scope_unit: str, grant_id: str, on: date) -> bool:
        """Whether the grant is under `scope_unit` (or in it) on `on`."""
        return scope_unit in self.grant_path(grant_id, on)

    def units_under(self, unit_id: str, on: date) -> set[str]:
        """The unit and everything below it on `on`."""
        return {u for u in self.units if unit_id in self.path(u, on)}

    def grants_under(self, unit_id: str, on: date) -> list[str]:
        """The grants under the unit on `on`, sorted."""
        return sorted(g for g in self.grants if self.covers(unit_id, g, on))

    def children(self, unit_id: str | None, on: date) -> list[Unit]:
        """The units directly under `unit_id` (None: the schools) on `on`, by code."""
        return sorted(
            (u for u in self.units.values() if u.active(on) and self.parent(u.unit_id, on) == unit_id),
            key=lambda u: u.code,
        )

    def rules_for(self, grant_id: str, on: date) -> list[tuple[Unit, ApprovalRule]]:
        """The approval rules in force for an order on the grant, each with the unit that holds
        it: a rule of a unit applies below it unless a nearer unit has one with the same key.
        Nearest unit first, each unit's rules in their order; switched-off rules left out."""
        path = [self.units[u] for u in self.grant_path(grant_id, on)]
        nearest: dict[str, Unit] = {}
        for unit in path:
            for rule in unit.rules:
                nearest.setdefault(rule.key, unit)
        return [
            (unit, rule) for unit in path for rule in unit.rules if nearest[rule.key] is unit and rule.enabled
        ]


def in_scope(tree: OrgTree, scope: str | None, grant_id: str, on: date) -> bool:
    """Whether a principal scoped to `scope` (None: the whole university) deals with the grant."""
    return scope is None or tree.covers(scope, grant_id, on)

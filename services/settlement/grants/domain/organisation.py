"""How a university's organisation tree may change: units are added, renamed, moved and closed,
grants put under units, rules set. Every change of membership takes effect on a month's first day,
never in a month already past, so the figures of every month stay with the unit that held them.
Each function checks the change against the tree and returns what the tree holds afterwards."""

from __future__ import annotations

import dataclasses
from datetime import date

from contracts.events.organisation import ApprovalRule, Period, UnitKind
from plumbing.org.tree import OrgTree, Unit, at, month_start
from services.settlement.grants.domain.errors import (
    ClosedMonth,
    InvalidParent,
    InvalidRules,
    NotAMonthStart,
    OrgUnitClosedError,
    OrgUnitNotEmpty,
    OrgUnitNotFound,
)

# What a unit of each kind may sit under (None: directly under the university).
PARENT_KINDS: dict[UnitKind, frozenset[UnitKind | None]] = {
    UnitKind.SCHOOL: frozenset({None}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.SCHOOL, UnitKind.DEPARTMENT}),
    UnitKind.LAB: frozenset({UnitKind.SCHOOL, UnitKind.DEPARTMENT}),
}


def effective(day: date, today: date) -> date:
    """A membership change's first day: a month's first day, not in a month already past."""
    if day.day != 1:
        raise NotAMonthStart(
            f"{day.isoformat()} is not a month's first day",
            details={"effective_from": day.isoformat(), "next": _next_month(day).isoformat()},
        )
    if day < month_start(today):
        raise ClosedMonth(
            f"{day:%Y-%m} is past: its figures stay where they were",
            details={"effective_from": day.isoformat(), "earliest": month_start(today).isoformat()},
        )
    return day


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def unit(tree: OrgTree, unit_id: str) -> Unit:
    found = tree.units.get(unit_id)
    if found is None:
        raise OrgUnitNotFound(f"no unit {unit_id!r} at this university")
    return found


def relinked(periods: tuple[Period, ...], parent_id: str | None, start: date) -> tuple[Period, ...]:
    """The membership history with `parent_id` from `start` on: the period that holds on `start`
    ends there, any that began on or after it (a move planned earlier) gives way."""
    kept = []
    for period in periods:
        if period.valid_from >= start:
            continue
        if period.valid_to is None or period.valid_to > start:
            period = period.model_copy(update={"valid_to": start})
        kept.append(period)
    return (*kept, Period(parent_id=parent_id, valid_from=start))


def _check_parent(tree: OrgTree, kind: UnitKind, parent_id: str | None, on: date, child: str | None) -> None:
    parent_kind = None
    if parent_id is not None:
        parent = unit(tree, parent_id)
        if not parent.active(on) or parent.closed_from is not None:  # closing: it takes no one in
            raise OrgUnitClosedError(
                f"unit {parent.code!r} is not open on {on.isoformat()}",
                details={"parent_id": parent_id, "on": on.isoformat()},
            )
        parent_kind = parent.kind
        if child is not None and child in tree.path(parent_id, on):
            raise InvalidParent(
                "a unit cannot move under itself or a unit below it",
                details={"parent_id": parent_id, "on": on.isoformat()},
            )
    if parent_kind not in PARENT_KINDS[kind]:
        allowed = sorted("the university" if k is None else k.value for k in PARENT_KINDS[kind])
        raise InvalidParent(
            f"a {kind.value} sits under {' or '.join(allowed)}",
            details={"kind": kind.value, "parent_id": parent_id},
        )


def _dates_from(tree: OrgTree, start: date) -> list[date]:
    """`start` and every later day on which some membership of the tree changes."""
    days = {start}
    for u in tree.units.values():
        days.update(p.valid_from for p in u.parents if p.valid_from > start)
        if u.closed_from and u.closed_from > start:
            days.add(u.closed_from)
    return sorted(days)


def create(
    tree: OrgTree,
    *,
    unit_id: str,
    code: str,
    name: str,
    kind: UnitKind,
    parent_id: str | None,
    active_from: date,
) -> Unit:
    """A new unit under `parent_id` from `active_from` (a month's first day; it may lie in the
    past, for a tree set up after the fact)."""
    if active_from.day != 1:
        raise NotAMonthStart(f"{active_from.isoformat()} is not a month's first day")
    _check_parent(tree, kind, parent_id, active_from, None)
    return Unit(
        unit_id, code, name, kind, active_from, None, (Period(parent_id=parent_id, valid_from=active_from),)
    )


def move(tree: OrgTree, unit_id: str, parent_id: str | None, start: date, today: date) -> Unit:
    moving = unit(tree, unit_id)
    effective(start, today)
    if not moving.active(start):
        raise OrgUnitClosedError(f"unit {moving.code!r} is not open on {start.isoformat()}")
    after = dataclasses.replace(moving, parents=relinked(moving.parents, parent_id, start))
    changed = OrgTree({**tree.units, unit_id: after}, tree.grants)
    for day in _dates_from(changed, start):  # no cycle now, nor when a planned move takes effect
        if after.active(day):
            _check_parent(changed, after.kind, changed.parent(unit_id, day), day, unit_id)
    return after


def close(tree: OrgTree, unit_id: str, closed_from: date, today: date) -> Unit:
    closing = unit(tree, unit_id)
    effective(closed_from, today)
    if closing.closed_from is not None:
        raise OrgUnitClosedError(f"unit {closing.code!r} is already closed")
    for day in _dates_from(tree, closed_from):
        units = [
            u
            for u in tree.units
            if u != unit_id and tree.parent(u, day) == unit_id and tree.units[u].active(day)
        ]
        grants = [g for g in tree.grants if tree.unit_of(g, day) == unit_id]
        if units or grants:
            raise OrgUnitNotEmpty(
                f"unit {closing.code!r} still holds units or grants on {day.isoformat()}",
                details={"units": sorted(units), "grants": sorted(grants), "on": day.isoformat()},
            )
    parents = tuple(
        p
        if p.valid_to is not None and p.valid_to <= closed_from
        else p.model_copy(update={"valid_to": closed_from})
        for p in closing.parents
        if p.valid_from < closed_from
    )
    return dataclasses.replace(closing, closed_from=closed_from, parents=parents or closing.parents)


def assign(tree: OrgTree, grant_id: str, unit_id: str, start: date, today: date) -> tuple[Period, ...]:
    """The grant's unit history with `unit_id` from `start`."""
    target = unit(tree, unit_id)
    effective(start, today)
    if not target.active(start) or target.closed_from is not None:
        raise OrgUnitClosedError(f"unit {target.code!r} is not open on {start.isoformat()} or closes")
    current = tree.grants.get(grant_id, ())
    held = at(current, start)
    if held is not None and held.parent_id == unit_id and held.valid_to is None:
        return current
    return relinked(current, unit_id, start)


def check_rules(rules: list[ApprovalRule]) -> list[ApprovalRule]:
    keys = [r.key for r in rules]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InvalidRules("each rule of a unit has its own key", details={"repeated_keys": twice})
    for index, rule in enumerate(rules):
        if rule.up_to_minor is not None and rule.up_to_minor <= rule.above_minor:
            raise InvalidRules(
                "a rule's band must end above where it starts",
                details={"rule": index, "key": rule.key},
            )
    return rules

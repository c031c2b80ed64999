"""The organisation tree's rules: effective-dated membership read on any day, moves that keep
history, no cycles, no closing a unit that still holds something, and roll-ups whose months stay
with the unit that held the grant then."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.events.organisation import Period, UnitKind
from plumbing.errors import AppError
from plumbing.org.tree import OrgTree, Unit
from services.settlement.grants.domain import organisation as rules
from services.settlement.grants.domain.execution import Figures
from services.settlement.grants.domain.rollup import GrantLine, GrantMonth, roll_up

JAN, APR, MAY, JUN = date(2026, 1, 1), date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)
TODAY = date(2026, 4, 20)


def unit(unit_id: str, kind: UnitKind, parent: str | None) -> Unit:
    return Unit(unit_id, unit_id, unit_id, kind, JAN, None, (Period(parent_id=parent, valid_from=JAN),))


def base() -> OrgTree:
    units = [
        unit("CHEM", UnitKind.SCHOOL, None),
        unit("LIFE", UnitKind.SCHOOL, None),
        unit("CHEM-ORG", UnitKind.DEPARTMENT, "CHEM"),
        unit("CAT", UnitKind.LAB, "CHEM-ORG"),
    ]
    return OrgTree({u.unit_id: u for u in units}, {"G-1": (Period(parent_id="CAT", valid_from=JAN),)})


def with_unit(tree: OrgTree, changed: Unit) -> OrgTree:
    return OrgTree({**tree.units, changed.unit_id: changed}, tree.grants)


def test_a_grant_is_read_under_its_lab_and_every_unit_above() -> None:
    tree = base()
    assert tree.grant_path("G-1", TODAY) == ["CAT", "CHEM-ORG", "CHEM"]
    assert tree.top("G-1", TODAY) == "CHEM" and tree.grants_under("LIFE", TODAY) == []
    assert tree.units_under("CHEM", TODAY) == {"CHEM", "CHEM-ORG", "CAT"}


def test_a_move_from_a_month_keeps_the_months_before_where_they_were() -> None:
    tree = base()
    moved = rules.move(tree, "CAT", "LIFE", MAY, TODAY)
    after = with_unit(tree, moved)
    assert after.top("G-1", APR) == "CHEM" and after.top("G-1", MAY) == "LIFE"
    # A move planned for June replaces nothing before it and gives way to a later plan.
    again = with_unit(after, rules.move(after, "CAT", "CHEM-ORG", JUN, TODAY))
    assert [after.top("G-1", d) for d in (APR, MAY, JUN)] == ["CHEM", "LIFE", "LIFE"]
    assert [again.top("G-1", d) for d in (APR, MAY, JUN)] == ["CHEM", "LIFE", "CHEM"]


@pytest.mark.parametrize(
    ("unit_id", "parent", "start", "code"),
    [
        ("CAT", "LIFE", date(2026, 5, 15), "not_a_month_start"),
        ("CAT", "LIFE", date(2026, 3, 1), "effective_in_past_month"),
        ("CHEM-ORG", "CAT", MAY, "invalid_parent"),  # a department under a lab
        ("CHEM", "CHEM-ORG", MAY, "invalid_parent"),  # a school under anything
        ("CAT", None, MAY, "invalid_parent"),  # a lab directly under the university
        ("CAT", "NOPE", MAY, "org_unit_not_found"),
    ],
)
def test_bad_moves_are_refused(unit_id: str, parent: str | None, start: date, code: str) -> None:
    with pytest.raises(AppError) as refused:
        rules.move(base(), unit_id, parent, start, TODAY)
    assert refused.value.code == code


def test_a_department_never_ends_up_under_itself() -> None:
    tree = base()
    tree = with_unit(tree, unit("BIO", UnitKind.DEPARTMENT, "CHEM-ORG"))
    with pytest.raises(AppError) as refused:
        rules.move(tree, "CHEM-ORG", "BIO", MAY, TODAY)
    assert refused.value.code == "invalid_parent"


def test_a_unit_closes_only_once_nothing_is_left_under_it() -> None:
    tree = base()
    with pytest.raises(AppError) as refused:
        rules.close(tree, "CHEM-ORG", MAY, TODAY)
    assert refused.value.code == "org_unit_not_empty"
    emptied = with_unit(tree, rules.move(tree, "CAT", "CHEM", MAY, TODAY))
    closed = rules.close(emptied, "CHEM-ORG", MAY, TODAY)
    assert closed.active(APR) and not closed.active(MAY)
    assert closed.parents[-1].valid_to == MAY


def test_roll_ups_are_the_sum_of_their_grants_and_months_follow_the_tree() -> None:
    tree = base()
    tree = OrgTree(
        {**tree.units, "CELL": unit("CELL", UnitKind.LAB, "LIFE")},
        {**tree.grants, "G-2": (Period(parent_id="CELL", valid_from=JAN),)},
    )
    tree = with_unit(tree, rules.move(tree, "CAT", "LIFE", MAY, TODAY))
    lines = {
        "G-1": GrantLine(
            "G-1", Figures(1_000, 100, 300, 0), [GrantMonth(APR, 200, 0), GrantMonth(MAY, 100, 0)]
        ),
        "G-2": GrantLine("G-2", Figures(500, 0, 50, 10), [GrantMonth(MAY, 50, 10)]),
    }
    may = date(2026, 5, 20)
    life = roll_up(tree, "LIFE", lines, may)
    assert life.total == Figures(1_500, 100, 350, 10) and life.grant_ids == ["G-1", "G-2"]
    assert [(p.unit.unit_id if p.unit else None, p.total.expended) for p in life.parts] == [
        ("CAT", 300),
        ("CELL", 50),
    ]
    assert [(m.month, m.expended) for m in life.months] == [(MAY, 150)]
    chem = roll_up(tree, "CHEM", lines, may)
    assert chem.grant_ids == [] and [(m.month, m.expended) for m in chem.months] == [(APR, 200)]
    university = roll_up(tree, None, lines, may)
    assert sum(p.total.expended for p in university.parts) == university.total.expended == 350


def test_a_unit_that_is_closing_takes_no_one_in() -> None:
    tree = base()
    tree = with_unit(tree, unit("EMPTY", UnitKind.SCHOOL, None))
    tree = with_unit(tree, rules.close(tree, "EMPTY", JUN, TODAY))
    for attempt in (
        lambda: rules.assign(tree, "G-1", "EMPTY", MAY, TODAY),
        lambda: rules.move(tree, "CHEM-ORG", "EMPTY", MAY, TODAY),
        lambda: rules.create(
            tree, unit_id="N", code="N", name="N", kind=UnitKind.LAB, parent_id="EMPTY", active_from=MAY
        ),
    ):
        with pytest.raises(AppError) as refused:
            attempt()
        assert refused.value.code == "org_unit_closed"

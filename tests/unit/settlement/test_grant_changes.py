"""What university finance may change of a grant: the grant enforces its rules and records the
event and the budget move its store writes (the ledger transfer's id derives from the cause)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.events.common import Actor, BudgetCategory
from contracts.events.settlement import GrantBudgetAdjusted, GrantBuyersChanged, GrantClosed
from services.settlement.grants.domain.errors import BudgetBelowCommitted, GrantClosedError
from services.settlement.grants.domain.grant import BudgetMove, Grant

FINANCE = Actor(user_id="fo-1", role="university_finance")


def grant() -> Grant:
    return Grant(
        grant_id="G-1",
        tenant_id="tsinghua",
        code="NSFC-1",
        title="t",
        pi_id="prof-wang",
        authorised_buyers=["alice"],
        budget={BudgetCategory.REAGENTS: 1_000_000},
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        approval_threshold_minor=0,
        version=3,
        committed={BudgetCategory.REAGENTS: 400_000},
    )


def test_a_budget_lowered_to_what_is_committed_moves_the_difference_back() -> None:
    g = grant()
    g.adjust_budget(BudgetCategory.REAGENTS, 400_000, "mid-term review", FINANCE)
    assert g.budget[BudgetCategory.REAGENTS] == 400_000
    assert g.moves == [BudgetMove(BudgetCategory.REAGENTS, -600_000, "grant:tsinghua:G-1:adjust:4")]
    (event,) = g.events
    assert isinstance(event, GrantBudgetAdjusted)
    assert (event.previous_minor, event.budget_minor) == (1_000_000, 400_000)


def test_a_budget_below_what_is_committed_is_refused_and_nothing_is_recorded() -> None:
    g = grant()
    with pytest.raises(BudgetBelowCommitted) as refused:
        g.adjust_budget(BudgetCategory.REAGENTS, 399_999, "too far", FINANCE)
    assert refused.value.details == {"committed_minor": 400_000}
    assert (g.budget[BudgetCategory.REAGENTS], g.moves, g.events) == (1_000_000, [], [])


def test_a_new_category_is_funded_and_an_unchanged_budget_moves_nothing() -> None:
    g = grant()
    g.adjust_budget(BudgetCategory.CONSUMABLES, 50_000, "new work package", FINANCE)
    g.adjust_budget(BudgetCategory.REAGENTS, 1_000_000, "confirmed", FINANCE)
    assert g.moves == [BudgetMove(BudgetCategory.CONSUMABLES, 50_000, "grant:tsinghua:G-1:adjust:4")]
    assert len(g.events) == 2


def test_registration_funds_every_category_even_one_of_zero() -> None:
    g = grant()
    g.budget[BudgetCategory.CONSUMABLES] = 0
    g.funded()
    assert g.moves == [
        BudgetMove(BudgetCategory.CONSUMABLES, 0, "grant:tsinghua:G-1:budget:consumables"),
        BudgetMove(BudgetCategory.REAGENTS, 1_000_000, "grant:tsinghua:G-1:budget:reagents"),
    ]


def test_buyers_are_kept_sorted_once_each() -> None:
    g = grant()
    g.change_buyers(["carol", "bob", "carol"], 500_000, FINANCE)
    assert (g.authorised_buyers, g.approval_threshold_minor) == (["bob", "carol"], 500_000)
    assert isinstance(g.events[0], GrantBuyersChanged)


def test_a_grant_is_closed_once() -> None:
    g = grant()
    g.close("project ended", FINANCE)
    assert not g.open and isinstance(g.events[0], GrantClosed)
    with pytest.raises(GrantClosedError):
        g.close("again", FINANCE)
    assert len(g.events) == 1

"""Accounting vouchers (记账凭证) from the ledger: one voucher per ledger transfer that moves a
university's grant money, with balanced lines in the university's accounts (`domain.mapping`),
the grant's project code, the expense's economic classification, the source documents and a
summary (摘要) in Chinese. Vouchers are derived, never kept apart from the ledger: the same
transfers and mappings always give the same vouchers, ids included.

    budget (posted, to the grant)        Dr budget             Cr budget source
    escrow (pending)                     Dr commitment         Cr commitment offset
    escrow_release (post_pending)        Dr expense[category]  Cr payable
                                         Dr commitment offset  Cr commitment
    escrow_void / escrow_carried /       Dr commitment offset  Cr commitment
      refund_from_escrow (void_pending)
    refund_supplier_balance /            Dr refund receivable  Cr expense[category]
      refund_advance (posted, to the grant)

A transfer taking money from the grant where the rule gives to it (a budget cut) has its sides
swapped. A transfer the rules do not know, or whose accounts the mapping of its day lacks, is an
exception with the reason, never a voucher with a line left out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.settlement.books.domain.mapping import (
    AccountMapping,
    Expense,
    Missing,
    Role,
    account,
    expense,
    in_force,
)

CHINA = ZoneInfo("Asia/Shanghai")  # a university's books keep Beijing time: periods end at its midnight
NAMESPACE = uuid.UUID("6f1c3b0e-2d3a-5b8e-9a51-7c0de5e771e5")
CATEGORY_ZH = {"reagents": "试剂", "consumables": "耗材", "equipment": "设备", "services": "服务"}


@dataclass(frozen=True)
class Movement:
    """A ledger transfer as it touches one grant account of the university."""

    transfer_id: str
    seq: int
    at: datetime
    kind: str
    code: str
    amount: int
    grant_id: str
    project_code: str
    category: str
    to_grant: bool  # the grant account is credited (money comes to it)
    order_id: str | None = None

    @property
    def day(self) -> date:
        return self.at.astimezone(CHINA).date()


@dataclass(frozen=True)
class Line:
    account: str
    project: str
    classification: str
    debit: int
    credit: int


@dataclass(frozen=True)
class Voucher:
    voucher_id: str
    day: date
    summary: str
    lines: tuple[Line, ...]
    sources: dict[str, str] = field(default_factory=dict)  # order, transfer, grant

    @property
    def balanced(self) -> bool:
        return sum(x.debit for x in self.lines) == sum(x.credit for x in self.lines)


@dataclass(frozen=True)
class Unpostable:
    """A movement finance must resolve (a mapping, a rule) before it can be posted."""

    transfer_id: str
    day: date
    summary: str
    reasons: tuple[str, ...]
    amount: int


Pair = tuple[str | Expense | Missing, str | Expense | Missing]  # Dr, Cr


def voucher_id(tenant_id: str, transfer_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"voucher:{tenant_id}:{transfer_id}"))


def _pairs(m: Movement, mapping: AccountMapping | None) -> tuple[str, list[Pair]] | None:
    """The summary and the (debit, credit) pairs the rule gives, or None for an unknown rule."""
    on, cat, order = m.day, CATEGORY_ZH.get(m.category, m.category), m.order_id or ""

    def a(role: Role) -> str | Missing:
        return account(mapping, role, on)

    e = expense(mapping, m.category, on)
    uncommit: Pair = (a(Role.COMMITMENT_OFFSET), a(Role.COMMITMENT))
    match (m.code, m.kind):
        case ("budget", "posted"):
            return f"项目 {m.project_code} 经费下达（{cat}）", [(a(Role.BUDGET), a(Role.BUDGET_SOURCE))]
        case ("escrow", "pending"):
            return f"订单 {order} 预算占用（{cat}）", [(a(Role.COMMITMENT), a(Role.COMMITMENT_OFFSET))]
        case ("escrow_release", "post_pending"):
            return f"订单 {order} 收货确认，应付供应商（{cat}）", [(e, a(Role.PAYABLE)), uncommit]
        case ("escrow_void", "void_pending"):
            return f"订单 {order} 取消，解除预算占用（{cat}）", [uncommit]
        case ("escrow_carried", "void_pending"):
            return f"订单 {order} 部分收货，余额重新占用（{cat}）", [uncommit]
        case ("refund_from_escrow", "void_pending"):
            return f"订单 {order} 退款，解除预算占用（{cat}）", [uncommit]
        case ("refund_supplier_balance" | "refund_advance", "posted"):
            return f"订单 {order} 退款，冲减支出（{cat}）", [(a(Role.REFUND_RECEIVABLE), e)]
    return None


def _gives_to_grant(code: str) -> bool:
    return code in ("budget", "refund_supplier_balance", "refund_advance")


def voucher_of(tenant_id: str, m: Movement, mappings: Sequence[AccountMapping]) -> Voucher | Unpostable:
    """The movement's voucher, or the exception that keeps it from being one."""
    found = _pairs(m, in_force(mappings, m.day))
    if found is None:
        return Unpostable(
            m.transfer_id, m.day, f"{m.code} {m.kind}", (f"no voucher rule for {m.code} {m.kind}",), m.amount
        )
    summary, pairs = found
    if m.kind == "posted" and _gives_to_grant(m.code) != m.to_grant:
        pairs = [(cr, dr) for dr, cr in pairs]  # the money leaves the grant: a cut or a reversal
    missing = sorted({side.reason for pair in pairs for side in pair if isinstance(side, Missing)})
    if missing:
        return Unpostable(m.transfer_id, m.day, summary, tuple(missing), m.amount)
    lines: list[Line] = []
    for dr, cr in pairs:
        lines.append(_line(dr, m, debit=m.amount))
        lines.append(_line(cr, m, credit=m.amount))
    sources = {"transfer": m.transfer_id, "grant": m.grant_id} | ({"order": m.order_id} if m.order_id else {})
    return Voucher(voucher_id(tenant_id, m.transfer_id), m.day, summary, tuple(lines), sources)


def _line(side: str | Expense | Missing, m: Movement, *, debit: int = 0, credit: int = 0) -> Line:
    assert not isinstance(side, Missing)
    if isinstance(side, Expense):
        return Line(side.account, m.project_code, side.classification, debit, credit)
    return Line(side, m.project_code, "", debit, credit)


@dataclass(frozen=True)
class Book:
    """A university's vouchers and exceptions for a period, in ledger order."""

    vouchers: tuple[Voucher, ...]
    exceptions: tuple[Unpostable, ...]


def book(tenant_id: str, movements: Sequence[Movement], mappings: Sequence[AccountMapping]) -> Book:
    """Size: one pass over the period's movements, each a voucher or an exception."""
    vouchers: list[Voucher] = []
    exceptions: list[Unpostable] = []
    for m in sorted(movements, key=lambda x: x.seq):
        made = voucher_of(tenant_id, m, mappings)
        (vouchers if isinstance(made, Voucher) else exceptions).append(made)  # type: ignore[arg-type]
    return Book(tuple(vouchers), tuple(exceptions))

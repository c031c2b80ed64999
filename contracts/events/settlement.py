"""Events on `settlement.events`: grants, escrow, refunds paid, and payouts."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.events.base import EventPayload
from contracts.events.common import (
    Actor,
    BudgetCategory,
    CategoryAmounts,
    ExecutionTarget,
    Id,
    Reason,
)
from contracts.money import CurrencyCode, MinorUnits, Money
from contracts.topics import Topic


class _SettlementEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.SETTLEMENT_EVENTS


class GrantRegistered(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.GrantRegistered"
    summary: ClassVar[str] = "University finance registered a research grant and its budget."

    grant_id: Id
    code: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=500)]
    pi_id: Id
    authorised_buyers: list[Id]
    budget_by_category: CategoryAmounts
    currency: CurrencyCode = "CNY"
    period_start: date
    period_end: date
    approval_threshold: Money
    execution_targets: list[ExecutionTarget] = []
    org_unit_id: Id | None = None  # the unit (a lab) it belongs to from its registration month


class GrantBudgetAdjusted(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.GrantBudgetAdjusted"
    summary: ClassVar[str] = "A category budget changed, never below what is already committed."

    grant_id: Id
    category: BudgetCategory
    previous_minor: MinorUnits
    budget_minor: MinorUnits
    reason: Reason
    adjusted_by: Actor


class GrantBuyersChanged(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.GrantBuyersChanged"
    summary: ClassVar[str] = "Who may buy on the grant, and its approval threshold, changed."

    grant_id: Id
    authorised_buyers: list[Id]
    approval_threshold: Money
    changed_by: Actor


class GrantClosed(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.GrantClosed"
    summary: ClassVar[str] = "The grant takes no new orders."

    grant_id: Id
    closed_by: Actor
    reason: Reason


class FundsReserved(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.FundsReserved"
    summary: ClassVar[str] = "Escrow holds the order amount: a pending transfer grant → supplier."

    order_id: Id
    grant_id: Id
    supplier_id: Id
    amount: Money
    by_category: CategoryAmounts
    transfer_ids: list[uuid.UUID]


class FundsRejectedReason(StrEnum):
    UNKNOWN_GRANT = "unknown_grant"
    BUYER_NOT_AUTHORISED = "buyer_not_authorised"
    GRANT_CLOSED = "grant_closed"
    OUTSIDE_GRANT_PERIOD = "outside_grant_period"
    INSUFFICIENT_BUDGET = "insufficient_budget"
    CURRENCY_MISMATCH = "currency_mismatch"


class FundsRejected(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.FundsRejected"
    summary: ClassVar[str] = "The grant cannot pay for the order; nothing was reserved."

    order_id: Id
    grant_id: Id
    reason_code: FundsRejectedReason
    detail: str = ""


class EscrowReleased(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.EscrowReleased"
    summary: ClassVar[str] = (
        "Escrow posted for one receipt: supplier payable net of the platform fee; the order's "
        "last receipt (`complete`) releases all that was still held."
    )

    order_id: Id
    grant_id: Id
    supplier_id: Id
    gross: Money
    fee: Money
    net_to_supplier: Money
    receivable_recovered: Money
    transfer_ids: list[uuid.UUID]
    receipt_no: Annotated[int, Field(ge=1)] = 1
    complete: bool = True  # nothing of the order is held any more


class EscrowVoided(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.EscrowVoided"
    summary: ClassVar[str] = "Escrow returned to the grant (cancelled or closed order)."

    order_id: Id
    grant_id: Id
    amount: Money
    reason_code: Annotated[str, Field(min_length=1, max_length=64)]


class RefundSource(StrEnum):
    ESCROW = "escrow"
    SUPPLIER_BALANCE = "supplier_balance"
    GUARANTEE_ADVANCE = "guarantee_advance"


class RefundSettled(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.RefundSettled"
    summary: ClassVar[str] = "An agreed refund reached the grant, from the named source."

    refund_id: Id
    order_id: Id
    grant_id: Id
    supplier_id: Id
    amount: Money
    source: RefundSource
    transfer_ids: list[uuid.UUID]


class ReceivableRecovered(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.ReceivableRecovered"
    summary: ClassVar[str] = "A guarantee advance was recovered from the supplier's settlement."

    supplier_id: Id
    order_id: Id
    amount: Money
    outstanding: Money


class PayoutInitiated(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.PayoutInitiated"
    summary: ClassVar[str] = "A payout left for the bank; pending until the bank answers."

    payout_id: Id
    run_id: Id
    supplier_id: Id
    amount: Money
    bank_account_id: Id
    account_masked: Annotated[str, Field(max_length=40, examples=["**** 4321"])]


class PayoutSettled(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.PayoutSettled"
    summary: ClassVar[str] = "The bank confirmed the payout; it is posted."

    payout_id: Id
    supplier_id: Id
    amount: Money
    bank_reference: Id


class PayoutFailed(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.PayoutFailed"
    summary: ClassVar[str] = "The bank failed the payout; it is voided and the balance restored."

    payout_id: Id
    supplier_id: Id
    amount: Money
    reason_code: Annotated[str, Field(min_length=1, max_length=64)]
    detail: str = ""


class PayoutRunCompleted(_SettlementEvent):
    event_type: ClassVar[str] = "settlement.PayoutRunCompleted"
    summary: ClassVar[str] = "A payout run finished: who was paid and who was skipped, and why."

    run_id: Id
    payouts: Annotated[int, Field(ge=0)]
    total: Money
    skipped: dict[Id, str] = {}


SETTLEMENT_EVENTS: tuple[type[EventPayload], ...] = (
    GrantRegistered,
    GrantBudgetAdjusted,
    GrantBuyersChanged,
    GrantClosed,
    FundsReserved,
    FundsRejected,
    EscrowReleased,
    EscrowVoided,
    RefundSettled,
    ReceivableRecovered,
    PayoutInitiated,
    PayoutSettled,
    PayoutFailed,
    PayoutRunCompleted,
)

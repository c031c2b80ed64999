"""Field types shared by several services' events."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.money import MinorUnits

Id = Annotated[str, Field(min_length=1, max_length=200)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
CasNumber = Annotated[str, Field(pattern=r"^\d{2,7}-\d{2}-\d$", examples=["67-64-1"])]
CreditCode = Annotated[str, Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]


class BudgetCategory(StrEnum):
    REAGENTS = "reagents"
    CONSUMABLES = "consumables"
    EQUIPMENT = "equipment"
    SERVICES = "services"


class Actor(BaseModel):
    """Who did something: a user id and the role they acted in, or the system itself."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user_id: Id
    role: Annotated[str, Field(examples=["researcher", "supplier", "platform_ops", "system"])]


class ExecutionTarget(BaseModel):
    """The university's time-based target: by `on`, this share of the budget should be spent."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    on: date
    rate_bp: Annotated[int, Field(strict=True, ge=0, le=10_000, description="basis points of budget")]


CategoryAmounts = dict[BudgetCategory, MinorUnits]

"""A university's books: its chart-of-accounts mappings, and each period's vouchers as JSON or
CSV for its finance system (finance of the whole university)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from contracts.events.common import BudgetCategory
from plumbing.errors import Forbidden, RuleViolation
from plumbing.web.auth import Principal
from plumbing.web.auth_deps import require_tenant
from plumbing.web.request_bodies import RequestBody
from services.settlement.books.adapters import export
from services.settlement.books.commands import books
from services.settlement.books.domain.mapping import AccountMapping, Expense, Role
from services.settlement.books.domain.vouchers import CHINA
from services.settlement.deps import Ctx, Finance

router = APIRouter(tags=["books"])
TenantPath = Annotated[str, Path(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.\-]+$")]


class ExpenseIn(RequestBody):
    account: Code
    classification: Annotated[str, Field(pattern=r"^\d{3,7}$")]  # 支出经济分类, e.g. 30218


class MappingIn(RequestBody):
    accounts: dict[Role, Code]
    expense: dict[BudgetCategory, ExpenseIn]


class MappingOut(BaseModel):
    effective_from: date
    accounts: dict[str, str]
    expense: dict[str, dict[str, str]]

    @classmethod
    def of(cls, m: AccountMapping) -> MappingOut:
        return cls(
            effective_from=m.effective_from,
            accounts={r.value: a for r, a in sorted(m.accounts.items())},
            expense={
                c: {"account": e.account, "classification": e.classification}
                for c, e in sorted(m.expense.items())
            },
        )


def _whole_university(finance: Principal, tenant_id: str) -> None:
    require_tenant(finance, tenant_id)
    if finance.org_unit_id is not None:
        raise Forbidden("the books are the whole university's", code="outside_scope")


@router.put("/v1/universities/{tenant_id}/account-mappings/{effective_from}", response_model=MappingOut)
async def put_mapping(
    tenant_id: TenantPath, effective_from: date, body: MappingIn, ctx: Ctx, finance: Finance
) -> MappingOut:
    """The university's accounts from `effective_from` on (until a later mapping): the roles'
    accounts (`budget`, `budget_source`, `commitment`, `commitment_offset`, `payable`,
    `refund_receivable`) and per budget category its expense account and economic
    classification. Audited; setting the same day again replaces it."""
    _whole_university(finance, tenant_id)
    mapping = AccountMapping(
        effective_from,
        dict(body.accounts),
        {c.value: Expense(e.account, e.classification) for c, e in body.expense.items()},
    )
    await books.set_mapping(ctx, finance, tenant_id, mapping)
    return MappingOut.of(mapping)


@router.get("/v1/universities/{tenant_id}/account-mappings", response_model=list[MappingOut])
async def get_mappings(tenant_id: TenantPath, ctx: Ctx, finance: Finance) -> list[MappingOut]:
    _whole_university(finance, tenant_id)
    return [MappingOut.of(m) for m in await books.mappings(ctx, tenant_id)]


@router.get("/v1/universities/{tenant_id}/vouchers", response_class=Response)
async def vouchers(
    tenant_id: TenantPath,
    ctx: Ctx,
    finance: Finance,
    period: Annotated[str, Query(description="YYYY-MM, a month in Beijing time")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The period's vouchers from the ledger, balanced, with deterministic ids, and the
    movements that cannot be vouchers yet (`exceptions`: an account the mapping lacks). The same
    period gives the same bytes until something new is recorded in it."""
    _whole_university(finance, tenant_id)
    found = await books.vouchers(ctx, tenant_id, period)
    name = f"vouchers-{tenant_id}-{period}"
    if format == "csv":
        return Response(
            export.as_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        export.as_json(tenant_id, period, found),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


class PostReportOut(BaseModel):
    posted: int
    already: int
    rejected: list[dict[str, str]]
    unpostable: list[dict[str, str]]


PeriodQuery = Annotated[str, Query(description="YYYY-MM, a month in Beijing time")]


@router.post("/v1/universities/{tenant_id}/vouchers/post", response_model=PostReportOut)
async def post(tenant_id: TenantPath, ctx: Ctx, finance: Finance, period: PeriodQuery) -> PostReportOut:
    """Post the period's vouchers to the university's finance system: those not posted yet, and
    those it rejected before (after finance fixed the cause). It de-duplicates by voucher id:
    posting again never doubles anything. Rejected vouchers and movements without a voucher are
    the period's exceptions."""
    _whole_university(finance, tenant_id)
    report = await books.post(ctx, finance, tenant_id, period)
    return PostReportOut(**report.__dict__)


@router.get("/v1/universities/{tenant_id}/voucher-exceptions")
async def voucher_exceptions(
    tenant_id: TenantPath, ctx: Ctx, finance: Finance, period: PeriodQuery
) -> list[dict[str, object]]:
    """What finance must resolve before the period is fully posted: `unmapped` movements (fix the
    account mapping) and vouchers the finance system `rejected` (fix the cause, post again)."""
    _whole_university(finance, tenant_id)
    return await books.exceptions(ctx, tenant_id, period)


class AccrualOut(BaseModel):
    supplier_id: str
    grant_id: str
    project_code: str
    received: int
    refunded: int
    invoiced: int
    accrued: int
    orders: list[str]


class AccrualsOut(BaseModel):
    at: datetime
    total: int
    accruals: list[AccrualOut]


@router.get("/v1/universities/{tenant_id}/accruals", response_model=AccrualsOut)
async def accruals(
    tenant_id: TenantPath,
    ctx: Ctx,
    finance: Finance,
    at: Annotated[
        datetime | None, Query(description="the moment (default: now); a date is its end in Beijing")
    ] = None,
) -> AccrualsOut:
    """Received-not-invoiced (暂估) at a moment, by supplier and grant: received and released,
    less refunds after release, not yet covered by matched invoices (net of red-letter ones)."""
    _whole_university(finance, tenant_id)
    moment = at or ctx.clock.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    if not 2000 <= moment.year <= 2999:
        raise RuleViolation("ask for a moment between the years 2000 and 2999", code="invalid_moment")
    found = await books.accruals(ctx, tenant_id, moment)
    return AccrualsOut(
        at=moment,
        total=sum(a.accrued for a in found),
        accruals=[AccrualOut(**{**a.__dict__, "orders": list(a.orders)}) for a in found],
    )
